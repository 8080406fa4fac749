"""How much do point dropping and arc-length resampling shorten the IAM-OnDB lines?

Prints mean/median points per line and points per character of the transcription for
the raw lines, `drop_points` with factors 2 and 3, and `resample` at a few step sizes
(raw whiteboard units; the median distance between recorded points is about 19).

Usage:
    python bench/stroke_lengths.py [--data ../shared/data/iam_ondb_lines] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hwsr.pipeline.readers.npz_lines import read_npz_lines
from hwsr.strokes import drop_points, resample

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "iam_ondb_lines"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="compact npz folder [%(default)s]")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N lines (0: all)")
    parser.add_argument("--steps", type=float, nargs="+", default=[10.0, 20.0, 30.0, 40.0, 60.0],
                        help="resampling steps in raw units [%(default)s]")
    args = parser.parse_args(argv)

    corpus = read_npz_lines(args.data)
    lines = corpus.strokes[: args.limit or None]
    chars = np.array([max(len(t), 1) for t in corpus.texts[: len(lines)]], dtype=np.float64)
    steps = [np.hypot(s[1:, 1], s[1:, 2]) for s in lines]
    pen_down = np.concatenate([d[s[:-1, 0] == 0] for d, s in zip(steps, lines)])
    print(f"{len(lines)} lines from {args.data}; median pen-down step {np.median(pen_down):.1f} units")
    variants = [("raw", lambda s: s), ("drop_points x2", lambda s: drop_points(s, 2)),
                ("drop_points x3", lambda s: drop_points(s, 3))]
    variants += [(f"resample step {step:g}", lambda s, step=step: resample(s, step)) for step in args.steps]
    print(f"{'variant':<22}{'mean pts':>10}{'median':>9}{'max':>7}{'pts/char':>10}"
          f"{'median/char':>13}{'ratio':>7}{'s':>7}")
    base = None
    for name, fn in variants:
        start = time.perf_counter()
        lengths = np.array([len(fn(s)) for s in lines], dtype=np.float64)
        seconds = time.perf_counter() - start
        base = lengths.mean() if base is None else base
        per_char = lengths / chars
        print(f"{name:<22}{lengths.mean():>10.1f}{np.median(lengths):>9.0f}{lengths.max():>7.0f}"
              f"{per_char.mean():>10.2f}{np.median(per_char):>13.2f}{lengths.mean() / base:>7.2f}"
              f"{seconds:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
