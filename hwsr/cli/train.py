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
import sys
from pathlib import Path

from hwsr.console import CLIError, run_command
from hwsr.pipeline.configs import TASKS, ConfigError, ExperimentConfig, resolve_config
from hwsr.pipeline.strategies import STRATEGIES


def build_parser() -> argparse.ArgumentParser:
    from hwsr import __version__

    p = argparse.ArgumentParser(
        prog="hwsr-train",
        description="Train an hwsr model (synthesis or recognition). Re-running the same\n"
        "command on the same --model-dir resumes from its last checkpoint. Ctrl-C (or SIGTERM)\n"
        "saves a checkpoint and exits with status 130. An error prints one line (status 2 for\n"
        "the arguments, data or model dir, 1 for anything else); --debug adds the traceback.\n"
        "Progress goes to stderr; stdout gets the JSON summary of the run.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  hwsr-train --task recognition --data ../shared/data/iam_ondb_lines --model-dir runs/rec\n"
        "  hwsr-train --task conditional_handwriting --data DATA --model-dir runs/syn "
        "--config tiny --set train.steps=10\n"
        "  TF_CONFIG='{...}' hwsr-train ... --strategy multi_worker   "
        "(see docs/distributed_training.md)\n",
    )
    p.add_argument("--version", action="version", version=f"hwsr {__version__}")
    p.add_argument("--task", required=True, choices=TASKS, help="what to train")
    p.add_argument("--data", help="data folder (npz + sentences.txt layout) or prepared "
                   "TFRecords dir; defaults to data.source of the config")
    p.add_argument("--model-dir", required=True, help="where checkpoints, logs and the model go")
    p.add_argument("--config", default=None,
                   help="preset (tiny, cpu, paper) or a YAML/JSON config file [default: cpu, or "
                   "the model dir's saved config.json when resuming]")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.batch_size=64 (repeatable)")
    p.add_argument("--steps", type=int, help="total optimizer steps (same as --set train.steps=N)")
    p.add_argument("--epochs", type=int,
                   help="total epochs of train.steps_per_epoch steps (overrides --steps)")
    p.add_argument("--strategy", default="auto", choices=STRATEGIES,
                   help="tf.distribute strategy: auto (Mirrored on several GPUs), one_device, "
                   "mirrored, multi_worker (cluster from TF_CONFIG) [default: auto]")
    p.add_argument("--allow-pickle", action="store_true",
                   help="allow the legacy strokes.npy layout, which needs pickle (pickle runs "
                   "code: only for files you trust)")
    p.add_argument("--quiet", action="store_true",
                   help="one console line per epoch, on stderr (also when CI is set or stderr is "
                   "not a TTY); no start-up message")
    p.add_argument("--debug", action="store_true",
                   help="on an error, show the full traceback (and TensorFlow's own messages)")
    return p


def resolve(args) -> ExperimentConfig:
    """The run's config from the parsed arguments (see `build_parser`)."""
    from hwsr import model_dir as md

    model_dir = Path(args.model_dir)
    existing = md.read_task(model_dir) if model_dir.is_dir() else None
    if existing is not None and existing != args.task:
        raise CLIError(
            f"{model_dir} holds a {existing!r} run; use another --model-dir for {args.task!r}"
        )
    overrides = list(args.overrides)
    if args.data:
        overrides.insert(0, f"data.source={args.data}")
    if args.steps is not None:
        overrides.append(f"train.steps={args.steps}")
    if args.epochs is not None and args.epochs < 1:
        raise ConfigError(f"--epochs must be >= 1, got {args.epochs}")
    saved = model_dir / md.CONFIG_FILE
    config = args.config
    if config is None and saved.exists():
        config = str(saved)
    cfg = resolve_config(args.task, config, overrides)
    if args.epochs is not None:
        cfg.train.steps = args.epochs * cfg.train.steps_per_epoch
    if not cfg.data.source:
        from hwsr.pipeline.sources import EXPECTED_LAYOUTS

        raise CLIError("no data: pass --data DIR (or set data.source in the config)",
                       hint=f"--data takes {EXPECTED_LAYOUTS}")
    return cfg


def check_data(source: str) -> None:
    """Fails early, with the accepted layouts, when a local ``--data`` folder is missing."""
    from hwsr.pipeline.sources import EXPECTED_LAYOUTS, has_url_scheme

    if not has_url_scheme(source) and not Path(source).exists():
        raise CLIError(f"--data {source}: no such folder", hint=f"--data takes {EXPECTED_LAYOUTS}")


def run(args) -> int:
    """Trains as ``args`` say; prints the summary as JSON on stdout."""
    from hwsr.console import stderr_progress
    from hwsr.pipeline.trainer import TrainingError, TrainingInterrupted, train

    cfg = resolve(args)
    check_data(cfg.data.source)
    say = stderr_progress(args.quiet)
    if say:
        say(f"hwsr-train: {cfg.task} in {args.model_dir}, {cfg.train.steps} steps "
            f"({cfg.train.steps_per_epoch} per epoch); reading {cfg.data.source}")
    try:
        result = train(cfg, args.model_dir, strategy=args.strategy, quiet=args.quiet,
                       allow_pickle=args.allow_pickle)
    except TrainingError as e:
        raise CLIError(str(e)) from e
    except TrainingInterrupted as e:
        print(f"hwsr-train: stopped by {e}; a checkpoint is saved in {args.model_dir}, re-run the "
              "same command to resume", file=sys.stderr)
        return 130
    print(json.dumps(result, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``hwsr-train``: 0 on success, 2 for a user error, 1 for an unexpected one, 130 when
    interrupted."""
    args = build_parser().parse_args(argv)
    return run_command("hwsr-train", lambda: run(args), debug=args.debug,
                       interrupted="interrupted; re-run the same command to resume from the "
                       "last checkpoint")


if __name__ == "__main__":
    sys.exit(main())
