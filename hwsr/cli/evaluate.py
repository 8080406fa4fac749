"""``hwsr evaluate``: recognition error rates on a data folder, and legibility of synthesis."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from hwsr.cli.console import CLIError
from hwsr.cli.models import load_recognizer, load_synthesizer
from hwsr.cli.recognize import decoding_options

TASKS = ("recognition", "legibility")
SPLITS = ("all", "train", "validation")
#: Recognition progress: one line per this many batches of lines.
PROGRESS_EVERY_BATCHES = 8

#: Written for this check (not IAM-OnDB text): capitals, digits and punctuation, each line
#: about as long as a line of the training data.
LEGIBILITY_TEXTS = (
    "The 7 quick foxes jumped over 3 lazy dogs.",
    "Meet me at 10:45 near Platform 9, please.",
    "Is it 2031 already? Time flies (too fast).",
    "Dr. Okafor paid 38 pounds for 12 new books.",
    "Keep calm & carry on: the bus is late!",
    "Order #56 shipped on May 3rd, 1998.",
    "Zebras, yaks and 4 wolves visit Quebec.",
    'She said "hello" and waved at 6 o\'clock.',
    "Room 101 is on the 2nd floor - turn left.",
    "Jack's 5 boxes weigh 27 kilograms in all.",
    "How many miles to Oxford? About 60 or so.",
    "Volume 8, pages 140-152 (see the notes).",
    "Bring 2 eggs, 1 cup of milk and some flour.",
    "The vote was 312 to 97; the motion passed.",
    "Quiet, please! Exam in progress until 4:30.",
    "Uncle Ben bought 11 jars of jam on Friday.",
    "Fix the bug in line 42, then run all tests.",
    "Vivid jazz music played from 8 until 11.",
    "X marks the spot: 15 paces north, 3 west.",
    "Great news - we won 3 of our 4 matches!",
)

EPILOG = """\
examples:
  hwsr evaluate --task recognition --data ../shared/data/iam_ondb_lines --split validation --json
  hwsr evaluate --task recognition --data DIR --model-dir runs/recognition --beam-width 16 --limit 200
  hwsr evaluate --task legibility --biases 0,0.5,1,2 --json
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="measure CER/WER of a recogniser, or the legibility of generated handwriting",
        description="--task recognition: character and word error rates (corpus-level edit\n"
        "  distance) of a recogniser on a data folder (*.npz + sentences.txt).\n"
        "--task legibility: writes texts with the synthesis model at several biases, reads\n"
        "  them back with the recogniser and reports the CER and WER per bias.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--model-dir", help="recognition model dir (default: the shipped model)")
    p.add_argument("--beam-width", type=int, default=0, metavar="N",
                   help="recognition: also report beam search of width N; legibility: read with it")
    p.add_argument("--batch-size", type=int, default=16, metavar="N", help="lines per model call")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress messages on stderr (also when $CI is set)")
    g = p.add_argument_group("recognition")
    g.add_argument("--data", metavar="DIR", help="data folder: one *.npz + sentences.txt (+ line_ids.txt)")
    g.add_argument("--allow-pickle", action="store_true",
                   help="allow the legacy strokes.npy layout (pickle runs code: trusted files only)")
    g.add_argument("--split", choices=SPLITS, default="all",
                   help="'validation': only the held-out forms of the training split (as hwsr-train "
                   "splits them with --validation-fraction and --split-seed); default: all lines")
    g.add_argument("--validation-fraction", type=float, default=0.05, metavar="F",
                   help="validation fraction of the training split (default 0.05, as hwsr-train)")
    g.add_argument("--split-seed", type=int, default=0, help="seed of the training split (default 0)")
    g.add_argument("--limit", type=int, default=0, metavar="N", help="evaluate only the first N lines")
    g = p.add_argument_group("legibility")
    g.add_argument("--texts", metavar="FILE",
                   help="UTF-8 file, one text per line (default: 20 built-in sentences)")
    g.add_argument("--biases", default="0,0.5,1,2", help="comma-separated sampling biases")
    g.add_argument("--synthesis-model-dir", help="synthesis model dir (default: the shipped model)")
    g.add_argument("--seed", type=int, default=0, help="sampling seed")
    g.add_argument("--details", action="store_true",
                   help="also list every text with what the recogniser read")
    p.set_defaults(func=run)


def error_rates(references, hypotheses) -> dict:
    from hwsr.metrics import character_error_rate, word_error_rate

    return {"cer": character_error_rate(references, hypotheses),
            "wer": word_error_rate(references, hypotheses)}


def parse_biases(text: str) -> list[float]:
    try:
        biases = [float(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise CLIError(f"--biases {text!r}: expected comma-separated numbers, e.g. 0,0.5,1,2") from None
    if not biases:
        raise CLIError("--biases: give at least one bias")
    if any(b < 0 for b in biases):
        raise CLIError(f"--biases {text!r}: biases must be >= 0")
    return biases


def read_texts(path: str | None) -> list[str]:
    if path is None:
        return list(LEGIBILITY_TEXTS)
    try:
        texts = [t.strip() for t in Path(path).read_text(encoding="utf-8").splitlines()]
    except UnicodeDecodeError as e:
        raise CLIError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    texts = [t for t in texts if t]
    if not texts:
        raise CLIError(f"{path}: no texts (one text per line expected)")
    return texts


def select_lines(corpus, split: str, fraction: float, seed: int, limit: int):
    """The lines of ``corpus`` to evaluate: a split of it, then the first ``limit``."""
    from hwsr.pipeline.splits import split_by_form

    if split != "all":
        corpus = corpus.subset(split_by_form(corpus.line_ids, fraction, seed)[split])
    if limit < 0:
        raise CLIError(f"--limit must be >= 0, got {limit}")
    if limit:
        corpus = corpus.subset(range(min(limit, len(corpus))))
    if len(corpus) == 0:
        raise CLIError(f"no lines to evaluate (split {split!r})")
    return corpus


def recognize_lines(recognizer, strokes, options: dict, progress=None, label: str = "lines") -> list:
    """``recognizer.recognize(strokes, **options)``, reporting progress every few batches.

    The lines go in length order, in chunks of whole batches, so the batches (and results)
    are those of one ``recognize`` call over all lines.
    """
    order = np.argsort([len(s) for s in strokes], kind="stable")
    chunk = recognizer.batch_size * PROGRESS_EVERY_BATCHES
    results = [None] * len(strokes)
    start = time.perf_counter()
    for begin in range(0, len(order), chunk):
        idx = order[begin : begin + chunk]
        for i, result in zip(idx, recognizer.recognize([strokes[i] for i in idx], **options)):
            results[i] = result
        if progress:
            done = begin + len(idx)
            rate = done / max(time.perf_counter() - start, 1e-9)
            progress(f"{label}: {done}/{len(order)} lines ({rate:.1f} lines/s)")
    return results


def evaluate_recognition(recognizer, strokes, texts, beam_width: int = 0, progress=None) -> dict:
    """Greedy (and, with ``beam_width``, beam) error rates of ``recognizer`` on the lines.

    Args:
        progress: called with one-line progress messages (None: silent).
    """
    out = {"lines": len(texts), "characters": sum(len(t) for t in texts),
           "words": sum(len(t.split()) for t in texts)}
    runs = [("greedy", decoding_options(0))]
    if beam_width:
        runs.append(("beam", decoding_options(beam_width)))
    for name, options in runs:
        start = time.perf_counter()
        label = f"beam {beam_width}" if name == "beam" else name
        results = recognize_lines(recognizer, strokes, options, progress, label)
        seconds = time.perf_counter() - start
        out[name] = {**options, **error_rates(texts, [r.text for r in results]),
                     "seconds": round(seconds, 3)}
    return out


def evaluate_legibility(synthesizer, recognizer, texts, biases, seed: int = 0,
                        beam_width: int = 0, details: bool = False, progress=None) -> list[dict]:
    """Writes ``texts`` at each bias, reads them back; one dict of error rates per bias.

    Args:
        progress: called with one-line progress messages (None: silent).
    """
    options = decoding_options(beam_width)
    out = []
    for k, bias in enumerate(biases, 1):
        if progress:
            progress(f"bias {bias:g} ({k}/{len(biases)}): writing {len(texts)} texts, reading them back")
        start = time.perf_counter()
        strokes = synthesizer.generate(list(texts), bias=bias, seed=seed)
        read = [r.text for r in recognizer.recognize(strokes, **options)]
        row = {"bias": bias, **error_rates(texts, read)}
        if progress:
            progress(f"bias {bias:g}: CER {100 * row['cer']:.1f}%, WER {100 * row['wer']:.1f}% "
                     f"({time.perf_counter() - start:.1f} s)")
        if details:
            row["texts"] = [{"text": t, "read": r} for t, r in zip(texts, read)]
        out.append(row)
    return out


def run(args) -> int:
    from hwsr.cli.console import stderr_progress

    say = stderr_progress(args.quiet)
    decoding_options(args.beam_width)  # Checks --beam-width before any slow loading.
    if args.task == "recognition":
        if not args.data:
            raise CLIError("--task recognition needs --data DIR",
                           hint="a data folder with transcribed lines, e.g. ../shared/data/iam_ondb_lines")
        from hwsr.pipeline.sources import load_corpus

        if say:
            say(f"reading {args.data}")
        corpus = load_corpus(args.data, allow_pickle=args.allow_pickle)
        corpus = select_lines(corpus, args.split, args.validation_fraction,
                              args.split_seed, args.limit)
        recognizer = load_recognizer(args.model_dir, args.batch_size)
        result = {"task": "recognition", "data": str(args.data), "model": str(recognizer.bundle.path),
                  "split": args.split,
                  **evaluate_recognition(recognizer, corpus.strokes, corpus.texts, args.beam_width,
                                         say)}
    else:
        texts = read_texts(args.texts)
        biases = parse_biases(args.biases)
        synthesizer = load_synthesizer(args.synthesis_model_dir, flag="--synthesis-model-dir")
        recognizer = load_recognizer(args.model_dir, args.batch_size)
        result = {
            "task": "legibility",
            "synthesis_model": str(synthesizer.bundle.path),
            "model": str(recognizer.bundle.path),
            "texts": len(texts),
            "seed": args.seed,
            **decoding_options(args.beam_width),
            "results": evaluate_legibility(synthesizer, recognizer, texts, biases, args.seed,
                                           args.beam_width, args.details, say),
        }
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_result(result))
    return 0


def format_result(result: dict) -> str:
    """The human-readable report of `run`."""
    if result["task"] == "recognition":
        lines = [f"{result['lines']} lines ({result['split']}) of {result['data']}, model {result['model']}"]
        for name in ("greedy", "beam"):
            if name in result:
                r = result[name]
                label = f"beam {r['beam_width']}" if name == "beam" else "greedy"
                lines.append(f"  {label:<10} CER {100 * r['cer']:6.2f}%  WER {100 * r['wer']:6.2f}%  "
                             f"({r['seconds']:.1f} s)")
        return "\n".join(lines)
    lines = [f"legibility of {result['texts']} texts (seed {result['seed']}), "
             f"synthesis {result['synthesis_model']}, recogniser {result['model']}"]
    for r in result["results"]:
        lines.append(f"  bias {r['bias']:<5g} CER {100 * r['cer']:6.2f}%  WER {100 * r['wer']:6.2f}%")
        for t in r.get("texts", []):
            lines.append(f"    {t['text']!r} -> {t['read']!r}")
    return "\n".join(lines)
