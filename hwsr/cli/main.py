"""``hwsr``: the command line. Each subcommand lives in its own module of this package."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Quiet TensorFlow's C++ start-up logging before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hwsr import __version__

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
}


class CLIError(Exception):
    """An error to report as one line on stderr (exit code 2), without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hwsr",
        description="Online handwriting synthesis (text -> pen strokes) and recognition "
        "(pen strokes -> text). Run 'hwsr COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"hwsr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS.values():
        try:
            mod = importlib.import_module(f"hwsr.cli.{module}")
        except ModuleNotFoundError as e:
            if e.name != f"hwsr.cli.{module}":
                raise
            continue
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except CLIError as e:
        print(f"hwsr {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, OSError) as e:
        # Our readers and loaders raise these with messages that name the file and problem.
        print(f"hwsr {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hwsr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
