"""``hwsr-train``: the one training entry point for every task and every machine.

    hwsr-train --task conditional_handwriting --data ../shared/data/iam_ondb_lines \
        --model-dir runs/synthesis --config cpu --set train.steps=5000

The same command runs on one CPU, several GPUs (``--strategy mirrored``) or several
machines (``--strategy multi_worker`` with ``TF_CONFIG``). Re-running it on an existing
model dir resumes from the last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

from hwsr.pipeline.configs import TASKS, ConfigError, ExperimentConfig, resolve_config


class TrainingError(RuntimeError):
    """A problem the user can fix (bad data folder, wrong model dir...)."""


def build_parser() -> argparse.ArgumentParser:
    from hwsr import __version__

    p = argparse.ArgumentParser(
        prog="hwsr-train",
        description="Train an hwsr model (synthesis or recognition). Re-running the same "
        "command on the same --model-dir resumes from its last checkpoint.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  hwsr-train --task recognition --data ../shared/data/iam_ondb_lines --model-dir runs/rec\n"
        "  hwsr-train --task conditional_handwriting --data DATA --model-dir runs/syn "
        "--config tiny --set train.steps=10\n",
    )
    p.add_argument("--version", action="version", version=f"hwsr {__version__}")
    p.add_argument("--task", required=True, choices=TASKS, help="what to train")
    p.add_argument("--data", help="data folder (npz + sentences.txt layout) or prepared "
                   "TFRecords dir; defaults to data.source of the config")
    p.add_argument("--model-dir", required=True, help="where checkpoints, logs and the model go")
    p.add_argument("--config", default=None,
                   help="preset (tiny, cpu, paper) or a YAML/JSON config file [default: cpu, or "
                   "the model dir's saved config when resuming]")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.batch_size=64 (repeatable)")
    p.add_argument("--steps", type=int, help="total optimizer steps (same as --set train.steps=N)")
    p.add_argument("--epochs", type=int,
                   help="total epochs of train.steps_per_epoch steps (overrides --steps)")
    p.add_argument("--strategy", default="auto",
                   choices=("auto", "one_device", "mirrored", "multi_worker"),
                   help="tf.distribute strategy [default: auto]")
    p.add_argument("--quiet", action="store_true", help="no progress bar (one line per epoch)")
    return p


def resolve(args) -> ExperimentConfig:
    overrides = list(args.overrides)
    if args.data:
        overrides.insert(0, f"data.source={args.data}")
    if args.steps is not None:
        overrides.append(f"train.steps={args.steps}")
    saved = Path(args.model_dir) / "config.json"
    config = args.config
    if config is None and saved.exists():
        config = str(saved)
    cfg = resolve_config(args.task, config, overrides)
    if args.epochs is not None:
        cfg.train.steps = args.epochs * cfg.train.steps_per_epoch
    if not cfg.data.source:
        raise ConfigError("no data: pass --data DIR (or set data.source in the config)")
    return cfg


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = resolve(args)
        from hwsr.pipeline.trainer import train

        result = train(cfg, args.model_dir, strategy=args.strategy, quiet=args.quiet)
    except (ConfigError, TrainingError, ValueError, FileNotFoundError) as e:
        print(f"hwsr-train: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hwsr-train: interrupted; the last checkpoint is saved, re-run to resume",
              file=sys.stderr)
        return 130
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
