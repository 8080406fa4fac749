"""``hwsr``: the command line. Each subcommand lives in its own module of this package."""

from __future__ import annotations

import argparse
import importlib
import sys

from hwsr import __version__
from hwsr.console import run_command

# Subcommand -> module in hwsr.cli exposing ``add_parser(subparsers)``; the parser it adds
# sets ``func(args) -> int``.
SUBCOMMANDS = {
    "data": "data",
    "generate": "generate",
    "recognize": "recognize",
    "evaluate": "evaluate",
    "export": "export",
    "serve": "serve",
    "plot": "plot",
    "app": "app",
}

DEBUG_FLAG = "--debug"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hwsr",
        description="Online handwriting synthesis (text -> pen strokes) and recognition "
        "(pen strokes -> text). Run 'hwsr COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"hwsr {__version__}")
    parser.add_argument(DEBUG_FLAG, action="store_true",
                        help="on an error, show the full traceback (and TensorFlow's own messages); "
                        "may also come after the command")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS.values():
        importlib.import_module(f"hwsr.cli.{module}").add_parser(sub)
    return parser


def split_debug_flag(argv: list[str]) -> tuple[list[str], bool]:
    """``(argv without --debug, whether it was there)``, so that ``--debug`` works anywhere
    before a ``--`` (``hwsr --debug generate ...`` and ``hwsr generate ... --debug``)."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [a for a in argv[:end] if a != DEBUG_FLAG] + argv[end:]
    return kept, len(kept) != len(argv)


def command_name(args: argparse.Namespace) -> str:
    """``hwsr generate``, ``hwsr data prepare``...: how error messages start."""
    words = ("hwsr", args.command, getattr(args, "data_command", None))
    return " ".join(w for w in words if w)


def main(argv: list[str] | None = None) -> int:
    """``hwsr``: 0 on success, 2 for a user error, 1 for an unexpected one, 130 on Ctrl-C."""
    argv, debug = split_debug_flag(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    return run_command(command_name(args), lambda: args.func(args), debug=debug)


if __name__ == "__main__":
    sys.exit(main())
