"""Sampling speed of the synthesis network: steps/s at batch 1 and lines/s at batch 16.

    python bench/sampling_speed.py [--model-dir DIR] [--repeats 3]

Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Handwriting synthesis on two CPU cores",
    "Pack my box with five dozen liquor jugs!",
    "Sphinx of black quartz, judge my vow.",
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    from hwsr.synthesizer import Synthesizer

    synth = Synthesizer.from_dir(args.model_dir) if args.model_dir else Synthesizer.from_pretrained()
    synth.generate(TEXTS[:1], seed=0)  # trace + compile
    synth.generate(TEXTS * 4, seed=0)
    for batch in (1, 16):
        texts = (TEXTS * 4)[:batch]
        best = None
        for r in range(args.repeats):
            t0 = time.perf_counter()
            lines = synth.generate(texts, seed=r, bias=0.75, dense=False)  # model-density points
            dt = time.perf_counter() - t0
            steps = max(len(line) for line in lines)
            points = sum(len(line) for line in lines)
            if best is None or dt < best[0]:
                best = (dt, steps, points)
        dt, steps, points = best
        print(f"batch {batch:2d}: {dt:6.2f} s, {steps / dt:7.0f} loop steps/s, "
              f"{points / dt:7.0f} points/s, {batch / dt:5.2f} lines/s")


if __name__ == "__main__":
    main()
