"""``hwsr evaluate``: recognition error rates on a data folder, and legibility of synthesis."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hwsr.cli.models import load_recognizer, load_synthesizer
from hwsr.cli.recognize import decoding_options
from hwsr.console import CLIError
from hwsr.defaults import DEFAULT_STYLE, FREE_HAND
from hwsr.evaluation import (
    CLASSES,
    LEGIBILITY_SETS,
    SCORING_RECOGNIZER_DIR,
    evaluate_legibility,
    evaluate_recognition,
    legibility_texts,
    scoring_recognizer,
)

TASKS = ("recognition", "legibility")
SPLITS = ("all", "train", "validation")


EPILOG = """\
examples:
  hwsr evaluate --task recognition --data ../shared/data/iam_ondb_lines --split validation --json
  hwsr evaluate --task recognition --data DIR --model-dir runs/recognition --beam-width 16 --limit 200
  hwsr evaluate --task legibility --biases 0,0.5,1,2 --json
  hwsr evaluate --task legibility --set hard --biases 1 --candidates 4
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="measure CER/WER of a recogniser, or the legibility of generated handwriting",
        description="--task recognition: character and word error rates (corpus-level edit\n"
        "  distance) of a recogniser on a data folder (*.npz + sentences.txt).\n"
        "--task legibility: writes texts with the synthesis model at several biases, reads\n"
        "  them back with the recogniser (greedy, or --beam-width N without language model)\n"
        "  and reports the CER and WER per bias, overall and for lowercase words, capitalised\n"
        "  words, numbers and punctuation. Score with the shipped recogniser (the default) to\n"
        "  compare synthesis models: the output names the recogniser by the SHA-256 of its\n"
        "  weights and warns when it is not the pinned one.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--model-dir", help="recognition model dir (default: the shipped model; for "
                   "legibility the pinned scorer, hwsr/pretrained/legibility_scorer)")
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
    g.add_argument("--lm", metavar="FILE",
                   help="with --beam-width: also report beam search with this language model "
                   "(default: the shipped recogniser's, the shipped one)")
    g.add_argument("--no-lm", action="store_true", help="no beam + language model row")
    g.add_argument("--adapt-ink", action="store_true",
                   help="adapt each line to the recogniser's training ink first (hwsr.strokes.device)")
    g = p.add_argument_group("legibility")
    g.add_argument("--set", choices=LEGIBILITY_SETS, default="unseen",
                   help="built-in texts: 'unseen', 111 ordinary sentences not in the training data; "
                   "'hard', 30 lines rich in digits, capitals and punctuation [unseen]")
    g.add_argument("--texts", metavar="FILE", help="UTF-8 file, one text per line (instead of --set)")
    g.add_argument("--candidates", type=int, default=0, metavar="N",
                   help="write N candidates per text and keep the one the recogniser reads best "
                   "(as 'hwsr generate --candidates N') [0: one each]")
    g.add_argument("--biases", default="0,0.5,1,2", help="comma-separated sampling biases")
    g.add_argument("--synthesis-model-dir", help="synthesis model dir (default: the shipped model)")
    g.add_argument("--seed", type=int, default=0, help="sampling seed")
    g.add_argument("--style", default="default", metavar="N|default|free",
                   help="bundled style to write in: an id, the model's 'default' or 'free' (no "
                   "priming) [default]")
    g.add_argument("--details", action="store_true",
                   help="also list every text with what the recogniser read")
    p.set_defaults(func=run)


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


def read_texts(path: str | None, name: str = "unseen") -> list[str]:
    if path is None:
        return legibility_texts(name)
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


def run(args) -> int:
    from hwsr.console import stderr_progress

    say = stderr_progress(args.quiet)
    decoding_options(args.beam_width)  # Checks --beam-width before any slow loading.
    if args.task == "recognition" and args.lm and args.no_lm:
        raise CLIError("--no-lm and --lm FILE contradict each other: give one")
    if args.task == "recognition":
        from hwsr.language_model import CharNgramLM

        lm = CharNgramLM.load(args.lm) if args.lm else None
        if not args.data:
            raise CLIError("--task recognition needs --data DIR",
                           hint="a data folder with transcribed lines, e.g. ../shared/data/iam_ondb_lines")
        from hwsr.pipeline.sources import load_corpus

        if say:
            say(f"reading {args.data}")
        corpus = load_corpus(args.data, allow_pickle=args.allow_pickle)
        corpus = select_lines(corpus, args.split, args.validation_fraction,
                              args.split_seed, args.limit)
        recognizer = load_recognizer(args.model_dir, args.batch_size, adapt_ink=args.adapt_ink)
        lm = None if args.no_lm else (lm or recognizer.lm)
        result = {"task": "recognition", "data": str(args.data), "model": str(recognizer.bundle.path),
                  "split": args.split, "adapt_ink": args.adapt_ink,
                  **evaluate_recognition(recognizer, corpus.strokes, corpus.texts, args.beam_width,
                                         say, lm=lm)}
    else:
        texts = read_texts(args.texts, args.set)
        biases = parse_biases(args.biases)
        if args.candidates < 0:
            raise CLIError(f"--candidates must be >= 0, got {args.candidates}")
        synthesizer = load_synthesizer(args.synthesis_model_dir, flag="--synthesis-model-dir")
        style = legibility_style(args.style, synthesizer)
        recognizer = load_recognizer(args.model_dir or SCORING_RECOGNIZER_DIR, args.batch_size)
        scorer = scoring_recognizer(recognizer)
        if not scorer["pinned"]:
            print(f"warning: scoring with {scorer['path']} (weights {scorer['sha256'][:12]}), not the "
                  "pinned legibility recogniser: figures are not comparable with the README's",
                  file=sys.stderr)
        result = {
            "task": "legibility",
            "synthesis_model": str(synthesizer.bundle.path),
            "model": str(recognizer.bundle.path),
            "scoring_recognizer": scorer,
            "set": "file" if args.texts else args.set,
            "texts": len(texts),
            "seed": args.seed,
            "style": synthesizer.resolve_style(style),
            "candidates": args.candidates,
            **decoding_options(args.beam_width),
            "results": evaluate_legibility(synthesizer, recognizer, texts, biases, args.seed,
                                           args.beam_width, args.details, say, args.candidates,
                                           style=style),
        }
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_result(result))
    return 0


def legibility_style(value: str, synthesizer):
    """``--style``: a bundled style id, ``default`` or ``free``, checked."""
    if value in (DEFAULT_STYLE, FREE_HAND):
        return value
    if not value.isdigit() or int(value) not in synthesizer.styles():
        raise CLIError(f"--style {value}: give 'default', 'free' or a bundled style id "
                       f"({', '.join(map(str, synthesizer.styles())) or 'the model has none'})")
    return int(value)


def format_result(result: dict) -> str:
    """The human-readable report of `run`."""
    if result["task"] == "recognition":
        lines = [f"{result['lines']} lines ({result['split']}) of {result['data']}, model {result['model']}"]
        for name in ("greedy", "beam", "beam_lm"):
            if name in result:
                r = result[name]
                label = {"greedy": "greedy", "beam": f"beam {r.get('beam_width')}",
                         "beam_lm": f"beam {r.get('beam_width')} + LM"}[name]
                lines.append(f"  {label:<15} CER {100 * r['cer']:6.2f}%  WER {100 * r['wer']:6.2f}%  "
                             f"({r['seconds']:.1f} s)")
                lines.append("    CER by class: " + ", ".join(
                    f"{kind} {100 * r['classes'][kind]['cer']:.1f}%" for kind in CLASSES))
        return "\n".join(lines)
    scorer = result["scoring_recognizer"]
    style = "free hand" if result["style"] is None else f"style {result['style']}"
    lines = [f"legibility of {result['texts']} texts ({result['set']}, seed {result['seed']}, {style}, "
             f"candidates {result['candidates']}), synthesis {result['synthesis_model']}, "
             f"recogniser {result['model']} (weights {scorer['sha256'][:12]}"
             f"{', pinned' if scorer['pinned'] else ', NOT the pinned one'}), {result['method']}"]
    for r in result["results"]:
        lines.append(f"  bias {r['bias']:<5g} CER {100 * r['cer']:6.2f}%  WER {100 * r['wer']:6.2f}%  "
                     f"worst line CER {100 * r['max_line_cer']:5.1f}%")
        if "second_round_lines" in r:
            lines.append(f"    {r['second_round_lines']} line(s) needed a second round, "
                         f"{r['failed_lines']} still failed")
        for kind in CLASSES:
            c = r["classes"][kind]
            lines.append(f"    {kind:<12} CER {100 * c['cer']:6.2f}%  WER {100 * c['wer']:6.2f}%  "
                         f"({c['characters']} characters, {c['words']} words)")
        for t in r.get("texts", []):
            lines.append(f"    {t['text']!r} -> {t['read']!r}")
    return "\n".join(lines)
