"""Carries background training runs across sessions through git.

    python scripts/training_state.py save runs/synthesis      # -> training_state/synthesis/
    python scripts/training_state.py restore synthesis        # -> runs/synthesis/, then re-run
                                                              #    the same hwsr-train command

`save` keeps what resuming needs: the resolved config, the model files, train_state.json and
only the newest checkpoint (model + optimizer + step). TensorBoard logs, older checkpoints and
the best weights (shipped in hwsr/pretrained/, copied back by `restore`) stay behind. `runs/`
itself is git-ignored.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import tensorflow as tf

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / "training_state"
FILES = ("config.json", "model.json", "alphabet.json", "stats.json", "train_state.json")


def save(run: Path) -> Path:
    latest = tf.train.latest_checkpoint(str(run / "checkpoints"))
    if latest is None:
        raise SystemExit(f"{run}: no checkpoint yet")
    target = STATE / run.name
    tmp = target.with_name(f".{run.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "checkpoints").mkdir(parents=True)
    for name in FILES:
        if (run / name).exists():
            shutil.copy2(run / name, tmp / name)
    for path in Path(latest).parent.glob(Path(latest).name + ".*"):
        shutil.copy2(path, tmp / "checkpoints" / path.name)
    (tmp / "checkpoints" / "checkpoint").write_text(
        f'model_checkpoint_path: "{Path(latest).name}"\nall_model_checkpoint_paths: "{Path(latest).name}"\n'
    )
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def restore(name: str) -> Path:
    source = STATE / name
    target = REPO / "runs" / name
    if target.exists():
        raise SystemExit(f"{target} exists; remove it first")
    shutil.copytree(source, target)
    # The best weights so far are the shipped ones (hwsr/pretrained/<name>); the trainer
    # replaces them only when the validation loss improves.
    shipped = REPO / "hwsr" / "pretrained" / name / "model.weights.h5"
    if shipped.exists():
        shutil.copy2(shipped, target / "model.weights.h5")
    return target


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("save", "restore"))
    p.add_argument("what", help="a run dir (save) or a name under training_state/ (restore)")
    args = p.parse_args()
    out = save(Path(args.what)) if args.action == "save" else restore(args.what)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
