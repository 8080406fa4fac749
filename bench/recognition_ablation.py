"""Recogniser ablation: which stroke features and regularisers help (issue #4).

Trains one short run per variant from scratch with the same seed, data split and budget,
then prints the validation CER/WER/loss that each run's own `hwsr-train` recorded:

    python bench/recognition_ablation.py --data ../shared/data/iam_ondb_lines --steps 400

Runs live under ``--runs`` (one folder per variant); a variant whose run already reached the
budget is only read back, so an interrupted ablation resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

VARIANTS = {
    "baseline": [],
    "curvature": ["recognition.curvature_features=true"],
    "no_layer_norm": ["recognition.layer_norm=false"],
    "no_dropout": ["recognition.dropout=0.0"],
}


def train(name: str, overrides: list[str], args) -> Path:
    run = Path(args.runs) / name
    state = run / "train_state.json"
    if state.exists() and json.loads(state.read_text())["step"] >= args.steps:
        return run
    command = [
        sys.executable, "-m", "hwsr.cli.train", "--task", "recognition", "--data", args.data,
        "--model-dir", str(run), "--config", args.config, "--quiet",
        "--set", f"train.steps={args.steps}", "--set", "train.sample_every_epochs=0",
        *[item for o in [*args.set, *overrides] for item in ("--set", o)],
    ]
    print(f"[{name}] {' '.join(command[2:])}", flush=True)
    subprocess.run(command, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return run


def table(rows) -> str:
    """The figures of ``[(variant, history)]`` as a text table, one row per validated epoch."""
    lines = [f"{'variant':<15} {'step':>5} {'val CER':>8} {'val WER':>8} {'val loss':>9} {'timesteps/s':>12}"]
    for name, history in rows:
        for h in history:
            lines.append(f"{name:<15} {h['step']:>5} {100 * h['val_cer']:>7.1f}% {100 * h['val_wer']:>7.1f}% "
                         f"{h['val_loss']:>9.2f} {h['timesteps_per_s']:>12.0f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/iam_ondb_lines")
    parser.add_argument("--runs", default="runs/ablation")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--only", nargs="*", choices=sorted(VARIANTS), help="variants to run")
    parser.add_argument("--config", default="cpu", help="hwsr-train preset or file [cpu: the shipped one]")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra hwsr-train override for every variant (repeatable)")
    args = parser.parse_args(argv)
    rows = []
    for name in args.only or VARIANTS:
        history = json.loads((train(name, VARIANTS[name], args) / "train_state.json").read_text())["history"]
        if not all("val_cer" in h for h in history):
            raise SystemExit(f"{name}: the run recorded no validation CER (is the validation split empty?)")
        rows.append((name, history))
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
