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
  .inkml / .xml   W3C InkML, or an IAM-OnDB lineStrokes XML (one line each)
  .json           JSON ink {"strokes": [[[x, y, t?], ...], ...]}
  .npz            one line ('strokes'), or the compact corpus layout ('points' + 'starts'):
                  every line is read
  FOLDER          a corpus folder (one *.npz, optional line_ids.txt): every line is read

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
        "Prints one line of text per line of ink ('SOURCE<TAB>TEXT' when there are several).",
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


def _compact_npz_lines(path: Path) -> list[tuple[str, np.ndarray]] | None:
    """Every line of a compact ``points`` + ``starts`` npz, or None for another npz."""
    from hwsr.ink import InkFormatError
    from hwsr.strokes import validate_strokes

    try:
        with np.load(path, allow_pickle=False) as z:
            if "points" not in z.files or "starts" not in z.files:
                return None
            points, starts = z["points"], z["starts"]
    except (OSError, ValueError, EOFError) as e:
        raise InkFormatError(f"{path}: cannot read as .npz ({e})") from None
    if starts.ndim != 1 or len(starts) < 2 or starts[0] != 0 or starts[-1] != len(points):
        raise InkFormatError(f"{path}: 'starts' must be a 1-D array running from 0 to len(points)")
    ids_path = path.parent / "line_ids.txt"
    ids = ids_path.read_text(encoding="utf-8").splitlines() if ids_path.exists() else []
    if len(ids) != len(starts) - 1:
        ids = [str(i) for i in range(len(starts) - 1)]
    return [
        (f"{path}:{ids[i]}", validate_strokes(points[starts[i] : starts[i + 1]], source=f"{path}:{ids[i]}"))
        for i in range(len(starts) - 1)
    ]


def read_lines(source: str) -> list[tuple[str, np.ndarray]]:
    """``(name, strokes)`` for every line of ink in a file or corpus folder."""
    from hwsr.ink import read_ink

    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{source}: no such file or directory")
    if path.is_dir():
        npzs = sorted(path.glob("*.npz"))
        if len(npzs) != 1:
            raise CLIError(f"{source}: a corpus folder needs exactly one .npz file, found {len(npzs)}",
                           hint="give ink files (.inkml, .xml, .json, .npz) or a folder with one "
                           "compact .npz ('points' + 'starts')")
        path = npzs[0]
    if path.suffix.lower() == ".npz":
        lines = _compact_npz_lines(path)
        if lines is not None:
            return lines
    return [(str(source), read_ink(path))]


def run(args) -> int:
    from hwsr.language_model import CharNgramLM

    decoding_options(args.beam_width or 0)
    if args.no_lm and args.lm:
        raise CLIError("--no-lm and --lm FILE contradict each other: give one")
    args.lm_model = CharNgramLM.load(args.lm) if args.lm else None  # Fails before the slow loading.
    sources = [line for f in args.files for line in read_lines(f)]
    recognizer = load_recognizer(args.model_dir, args.batch_size)
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
    elif len(sources) == 1:
        print(results[0].text)
    else:
        for (name, _), r in zip(sources, results):
            print(f"{name}\t{r.text}")
    return 0
