"""Synthesis network size per CPU-hour: Graves' 3x400 against the shipped 3x256.

    python bench/synthesis_size.py --data ../shared/data/iam_ondb_lines --steps 600 \
        [--runs runs/synthesis-size] [--set KEY=VALUE ...]

Trains each size from scratch with the same seed, data split, data order and optimiser
(``hwsr-train --task conditional_handwriting``, the ``cpu`` preset, ``synthesis.units`` 256
or 400), then prints each run's validation NLL against its step and its cumulative wall time
(the trainer's ``epoch_seconds``, validation included), and both sizes' validation NLL at the
same time: the wall time the faster run took, with the slower run's curve interpolated there.
Runs resume where they stopped. Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recognition_ablation import train  # the sibling bench script

SIZES = {"3x256": ["synthesis.units=256"], "3x400": ["synthesis.units=400"]}


def curve(history) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(steps, cumulative seconds, validation NLL)`` of the validated epochs."""
    rows = [h for h in history if "val_loss" in h]
    seconds = np.cumsum([h.get("epoch_seconds", np.nan) for h in rows])
    return np.array([h["step"] for h in rows]), seconds, np.array([h["val_loss"] for h in rows])


def at_equal_time(curves: dict) -> tuple[float, dict]:
    """The shortest run's total wall time and every run's validation NLL then (linear
    interpolation between validated epochs; NaN before a run's first one)."""
    horizon = min(float(seconds[-1]) for _, seconds, _ in curves.values())
    return horizon, {name: float(np.interp(horizon, seconds, val, left=np.nan))
                     for name, (_, seconds, val) in curves.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/iam_ondb_lines")
    p.add_argument("--runs", default="runs/synthesis-size")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--config", default="cpu")
    p.add_argument("--only", nargs="*", choices=sorted(SIZES))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    curves = {}
    for name in args.only or SIZES:
        run = train(name, SIZES[name], args, task="conditional_handwriting")
        curves[name] = curve(json.loads((run / "train_state.json").read_text())["history"])
    print(f"\n{'size':<6} {'step':>5} {'seconds':>8} {'val NLL':>9}")
    for name, (steps, seconds, val) in curves.items():
        for row in zip(steps, seconds, val):
            print(f"{name:<6} {row[0]:>5} {row[1]:>8.0f} {row[2]:>9.2f}")
    horizon, nll = at_equal_time(curves)
    print(f"at {horizon:.0f} s of training: " + ", ".join(f"{n} {v:.2f}" for n, v in nll.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
