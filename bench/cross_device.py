"""Cross-device robustness of a recogniser: the validation lines as another tablet would give them.

Other devices sample at other rates and report other units. This reads the held-out forms
(the split `hwsr-train` uses) as they are, at half and double point density, and scaled by
0.5 and 3, and prints the greedy CER/WER of each against the original:

    python bench/cross_device.py --data ../shared/data/iam_ondb_lines [--model-dir RUN] [--limit 200]

Half density keeps every 2nd point of each pen stroke (`hwsr.strokes.drop_points`), double
density puts a point between every two (`hwsr.strokes.interpolate_points`); scaling
multiplies every offset. ``--adapt-ink`` reads with ``Recognizer(adapt_ink=True)``, which
brings such ink to the training ink's size and density first (`hwsr.strokes.device`). Target
(issue #11): no condition more than 1 CER point above the original.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def conditions():
    from hwsr.strokes import drop_points, interpolate_points

    def scaled(factor):
        def apply(line):
            out = line.copy()
            out[:, 1:] *= factor
            return out

        return apply

    return {
        "original": lambda line: line,
        "half density": lambda line: drop_points(line, 2),
        "double density": lambda line: interpolate_points(line, 2),
        "scale x0.5": scaled(0.5),
        "scale x3": scaled(3.0),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="../shared/data/iam_ondb_lines")
    p.add_argument("--model-dir", help="recognition model dir (default: the shipped model)")
    p.add_argument("--limit", type=int, default=0, help="only the first N validation lines")
    p.add_argument("--method", choices=("greedy", "beam"), default="greedy",
                   help="decoding (beam uses the shipped language model when there is one)")
    p.add_argument("--adapt-ink", action="store_true",
                   help="adapt the ink to the recogniser's training ink first (hwsr.strokes.device)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from hwsr import Recognizer
    from hwsr.metrics import character_error_rate, word_error_rate
    from hwsr.pipeline.configs import DataConfig
    from hwsr.pipeline.sources import load_corpus

    corpus = load_corpus(args.data)
    idx = DataConfig().split(corpus.line_ids)["validation"]  # The split hwsr-train uses by default.
    if args.limit:
        idx = idx[: args.limit]
    lines = [np.asarray(corpus.strokes[i], np.float32) for i in idx]
    texts = [corpus.texts[i] for i in idx]
    kwargs = {"adapt_ink": args.adapt_ink}
    reader = (Recognizer.from_dir(args.model_dir, **kwargs) if args.model_dir
              else Recognizer.from_pretrained(**kwargs))
    rows = []
    for name, transform in conditions().items():
        start = time.perf_counter()
        read = [r.text for r in reader.recognize([transform(s) for s in lines], method=args.method)]
        rows.append({"condition": name, "cer": character_error_rate(texts, read),
                     "wer": word_error_rate(texts, read), "seconds": round(time.perf_counter() - start, 1)})
        print(f"{name:<15} CER {100 * rows[-1]['cer']:5.2f}%  WER {100 * rows[-1]['wer']:5.2f}%",
              file=sys.stderr, flush=True)
    base = rows[0]["cer"]
    for row in rows:
        row["cer_points_above_original"] = round(100 * (row["cer"] - base), 2)
    result = {"model": str(reader.bundle.path), "lines": len(lines), "decoding": args.method,
              "ink_reference": None if reader.ink_reference is None else vars(reader.ink_reference),
              "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{len(lines)} validation lines, model {result['model']}, {args.method} decoding, "
              f"ink adaptation {'off' if reader.ink_reference is None else reader.ink_reference}")
        print(f"{'condition':<15} {'CER':>7} {'WER':>7} {'vs original':>12}")
        for r in rows:
            print(f"{r['condition']:<15} {100 * r['cer']:6.2f}% {100 * r['wer']:6.2f}% "
                  f"{r['cer_points_above_original']:+11.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
