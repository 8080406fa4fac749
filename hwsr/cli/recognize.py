"""``hwsr recognize FILE...``: read handwriting files and print their text."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hwsr import evaluation
from hwsr.cli.models import load_recognizer
from hwsr.console import CLIError
from hwsr.decoding import (
    DEFAULT_BEAM_WIDTH,
    DEFAULT_CANDIDATES,
    DEFAULT_LM_WEIGHT,
    DEFAULT_OOV_PENALTY,
    DEFAULT_WORD_BONUS,
)

EPILOG = """\
inputs:
  .inkml / .xml   W3C InkML (a line per <traceGroup>), or an IAM-OnDB lineStrokes XML
  .json           JSON ink {"strokes": [[[x, y, t?], ...], ...]}, ML Kit's
                  {"strokes": [{"points": [{"x", "y", "t"}]}]}, or a page {"lines": [...]}
  .npz            one line ('strokes'), or the compact corpus layout ('points' + 'starts'):
                  every line is read
  .svg            SVG written by hwsr (hwsr generate --out page.svg)
  FOLDER          a corpus folder (one *.npz, optional line_ids.txt): every line is read
A file of several lines written as one trace set (a note, a page) is split into its lines
by pen movement and vertical gaps.

examples:
  hwsr recognize note.inkml
  hwsr recognize --beam-width 16 --json a.json b.xml
  hwsr recognize --no-lm note.inkml          # greedy, without the language model
  hwsr recognize --model-dir runs/recognition --json ../shared/data/iam_ondb_lines
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "recognize",
        help="read handwriting (InkML, JSON ink, IAM XML, npz) and print its text",
        description="Recognise the text of online handwriting files with a trained recogniser.\n"
        "Prints one line of text per line of ink ('SOURCE<TAB>TEXT' for several files or a corpus).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="ink files or corpus folders")
    p.add_argument("--model-dir", help="recognition model dir (default: the shipped model)")
    p.add_argument("--beam-width", type=int, default=None, metavar="N",
                   help="CTC beam search of width N; 0: greedy, without language model (default: "
                   f"beam {DEFAULT_BEAM_WIDTH} with the language model when there is one, else greedy)")
    g = p.add_argument_group("language model (the shipped recogniser uses the shipped one by default)")
    g.add_argument("--no-lm", action="store_true", help="read without a language model")
    g.add_argument("--lm", metavar="FILE", help="a character language model file (scripts/build_lm.py)")
    g.add_argument("--lm-weight", type=float, default=DEFAULT_LM_WEIGHT, metavar="W",
                   help=f"weight of the language model's log probability [{DEFAULT_LM_WEIGHT}]")
    g.add_argument("--word-bonus", type=float, default=DEFAULT_WORD_BONUS, metavar="B",
                   help=f"score bonus per word [{DEFAULT_WORD_BONUS}]")
    g.add_argument("--oov-penalty", type=float, default=DEFAULT_OOV_PENALTY, metavar="P",
                   help=f"score penalty per word outside the model's lexicon [{DEFAULT_OOV_PENALTY}]")
    p.add_argument("--candidates", type=int, default=DEFAULT_CANDIDATES, metavar="N",
                   help=f"N-best readings per line in --json (beam search) [{DEFAULT_CANDIDATES}]")
    p.add_argument("--batch-size", type=int, default=16, metavar="N", help="lines per model call")
    p.add_argument("--adapt-ink", action="store_true",
                   help="ink from another device: bring it to the training ink's size and point "
                        "density first (hwsr.strokes.device; needs the model dir's ink_reference.json)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with the text, score and candidates of every line")
    p.set_defaults(func=run)


def lm_options(args, recognizer) -> dict:
    """``recognize()`` keyword arguments for the decoding flags, with the language model
    resolved: ``--lm FILE`` (loaded already), none with ``--no-lm``, else the recogniser's."""
    if args.candidates < 1:
        raise CLIError(f"--candidates must be >= 1, got {args.candidates}")
    lm = None if args.no_lm else (args.lm_model if args.lm else recognizer.lm)
    if args.beam_width == 0 or (args.beam_width is None and lm is None):
        return {"method": "greedy", "lm": None}
    return {"method": "beam", "beam_width": args.beam_width or DEFAULT_BEAM_WIDTH, "lm": lm,
            "lm_weight": args.lm_weight, "word_bonus": args.word_bonus, "oov_penalty": args.oov_penalty,
            "candidates": args.candidates}


def decoding_options(beam_width: int) -> dict:
    """``recognize()`` keyword arguments for ``--beam-width`` (0: greedy)."""
    if beam_width < 0:
        raise CLIError(f"--beam-width must be >= 0 (0: greedy), got {beam_width}")
    return evaluation.decoding_options(beam_width)


def _is_corpus(source: str) -> bool:
    """A corpus folder or npz: its lines are named by their ids, not read as a page."""
    path = Path(source)
    return path.is_dir() or path.suffix.lower() == ".npz"


def _line_ids(npz: Path, count: int) -> list[str]:
    """The ids in ``line_ids.txt`` beside a corpus npz when they match its lines, else 0, 1, ..."""
    ids_path = npz.parent / "line_ids.txt"
    ids = ids_path.read_text(encoding="utf-8").splitlines() if ids_path.is_file() else []
    return ids if len(ids) == count else [str(i) for i in range(count)]


def read_lines(source: str) -> list[tuple[str, np.ndarray]]:
    """``(name, strokes)`` for every text line of ink in a file or corpus folder.

    A file holding several lines (InkML trace groups, JSON ``"lines"``, an hwsr SVG, or one
    trace set that `hwsr.ink.read_page` splits into lines) gives ``SOURCE:N`` (0-based) per
    line; the lines of a corpus npz are named ``NPZ:LINE_ID`` by a ``line_ids.txt`` beside it.
    """
    from hwsr.ink import read_page

    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{source}: no such file or directory")
    if path.is_dir():
        npzs = sorted(path.glob("*.npz"))
        if len(npzs) != 1:
            raise CLIError(f"{source}: a corpus folder needs exactly one .npz file, found {len(npzs)}",
                           hint="give ink files (.inkml, .xml, .json, .npz, .svg) or a folder with one "
                           "compact .npz ('points' + 'starts')")
        path = npzs[0]
    lines = read_page(path)
    if _is_corpus(source) and (len(lines) > 1 or path != Path(source)):
        names = [f"{path}:{i}" for i in _line_ids(path, len(lines))]
    elif len(lines) == 1:
        names = [str(source)]
    else:
        names = [f"{source}:{i}" for i in range(len(lines))]
    return [(name, line.strokes) for name, line in zip(names, lines)]


def run(args) -> int:
    from hwsr.language_model import CharNgramLM

    decoding_options(args.beam_width or 0)
    if args.no_lm and args.lm:
        raise CLIError("--no-lm and --lm FILE contradict each other: give one")
    args.lm_model = CharNgramLM.load(args.lm) if args.lm else None  # Fails before the slow loading.
    sources = [line for f in args.files for line in read_lines(f)]
    recognizer = load_recognizer(args.model_dir, args.batch_size, adapt_ink=args.adapt_ink)
    options = lm_options(args, recognizer)
    results = recognizer.recognize([s for _, s in sources], **options)
    if args.json:
        lm = options.pop("lm")
        out = {
            "model": str(recognizer.bundle.path),
            **options,
            "language_model": lm.path if lm is not None else None,
            "lines": [{"source": name, **r.to_dict()} for (name, _), r in zip(sources, results)],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif len(args.files) == 1 and not _is_corpus(args.files[0]):
        for r in results:  # One file, a line or a page: its text, line by line.
            print(r.text)
    else:
        for (name, _), r in zip(sources, results):
            print(f"{name}\t{r.text}")
    return 0
