"""Recogniser ablations: same seed, data split and budget per variant.

Trains one short run per variant of a suite, then prints the validation CER/WER/loss that
each run's own `hwsr-train` recorded:

* ``--suite features`` (issue #4): stroke features and regularisers, from scratch;
* ``--suite data`` (issue #11): baseline, + ink augmentation, + synthetic ink, + both,
  usually fine-tuned from one model (``--set train.init_from=DIR``).

    python bench/recognition_ablation.py --data ../shared/data/iam_ondb_lines --steps 400
    python bench/recognition_ablation.py --suite data --synthetic ~/.cache/hwsr-runs/synthetic-ink \
        --steps 150 --set train.init_from=~/.cache/hwsr-runs/recognition --set train.warmup_steps=20

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

AUGMENT = ["augment.probability=0.8"]
SYNTHETIC = ["data.synthetic_source={synthetic}", "data.synthetic_fraction=0.25"]
SUITES = {
    "features": {
        "baseline": [],
        "curvature": ["recognition.curvature_features=true"],
        "no_layer_norm": ["recognition.layer_norm=false"],
        "no_dropout": ["recognition.dropout=0.0"],
    },
    "data": {
        "baseline": [],
        "augment": AUGMENT,
        "synthetic": SYNTHETIC,
        "both": AUGMENT + SYNTHETIC,
    },
}


def train(name: str, overrides: list[str], args, task: str = "recognition") -> Path:
    """Trains variant ``name`` in ``args.runs/name`` to ``args.steps`` (``hwsr-train`` in a
    fresh process, with ``args.data``, ``args.config`` and ``args.set``) unless it is there."""
    run = Path(args.runs) / name
    state = run / "train_state.json"
    if state.exists() and json.loads(state.read_text())["step"] >= args.steps:
        return run
    command = [
        sys.executable, "-m", "hwsr.cli.train", "--task", task, "--data", args.data,
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
    parser.add_argument("--suite", choices=sorted(SUITES), default="features")
    parser.add_argument("--only", nargs="*", help="variants of the suite to run")
    parser.add_argument("--synthetic", default="", help="synthetic ink dir (suite data)")
    parser.add_argument("--config", default="cpu", help="hwsr-train preset or file [cpu: the shipped one]")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra hwsr-train override for every variant (repeatable)")
    args = parser.parse_args(argv)
    variants = SUITES[args.suite]
    unknown = sorted(set(args.only or ()) - set(variants))
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; suite {args.suite} has {sorted(variants)}")
    uses_synthetic = any("{synthetic}" in o for name in args.only or variants for o in variants[name])
    if uses_synthetic and not args.synthetic:
        raise SystemExit("--suite data needs --synthetic DIR (scripts/make_synthetic_ink.py writes one)")
    rows = []
    for name in args.only or variants:
        overrides = [o.format(synthetic=os.path.expanduser(args.synthetic)) for o in variants[name]]
        history = json.loads((train(name, overrides, args) / "train_state.json").read_text())["history"]
        if not all("val_cer" in h for h in history):
            raise SystemExit(f"{name}: the run recorded no validation CER (is the validation split empty?)")
        rows.append((name, history))
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
