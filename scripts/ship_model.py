"""Copies a trained model dir into ``hwsr/pretrained/<name>`` (the models shipped in the wheel).

    python scripts/ship_model.py runs/recognition recognition [--metrics metrics.json]

Only what loading needs is copied (model.json, alphabet.json, stats.json, model.weights.h5,
styles/, ink_reference.json; the shipped model's styles and ink reference are kept when the run
has none), plus a ``card.json`` with the training step, validation figures and training hours read
from the run's train_state.json. The copy is atomic: the old shipped model stays until the new one
is complete.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ("model.json", "alphabet.json", "stats.json", "model.weights.h5")


def to_float16(path: Path) -> None:
    """Rewrites an .h5 weights file with every float32 dataset stored as float16."""
    import h5py
    import numpy as np

    tmp = path.with_suffix(".f16.tmp")
    with h5py.File(path, "r") as src, h5py.File(tmp, "w") as dst:
        def copy(group_src, group_dst):
            for key, value in group_src.attrs.items():
                group_dst.attrs[key] = value
            for name, obj in group_src.items():
                if isinstance(obj, h5py.Dataset):
                    data = obj[()]
                    if getattr(data, "dtype", None) == np.float32:
                        data = data.astype(np.float16)
                    ds = group_dst.create_dataset(name, data=data)
                    for key, value in obj.attrs.items():
                        ds.attrs[key] = value
                else:
                    copy(obj, group_dst.create_group(name))

        copy(src, dst)
    tmp.replace(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("name", choices=("synthesis", "recognition", "prediction"))
    p.add_argument("--metrics", help="JSON file of measured figures to put in card.json")
    p.add_argument("--hours", type=float, help="training wall-clock hours so far")
    p.add_argument("--float16", action="store_true",
                   help="store the weights as float16 (half the size; loaded back as float32)")
    args = p.parse_args()
    sys.path.insert(0, str(REPO))
    from hwsr.io_utils import atomic_directory
    from hwsr.strokes.device import REFERENCE_FILE

    run = Path(args.run_dir)
    missing = [f for f in FILES if not (run / f).exists()]
    if missing:
        print(f"{run}: missing {missing}", file=sys.stderr)
        return 2
    state = json.loads((run / "train_state.json").read_text()) if (run / "train_state.json").exists() else {}
    card = {
        "task": json.loads((run / "model.json").read_text())["task"],
        "step": state.get("step"),
        "best_step": state.get("best_step"),
        "best_val_loss": state.get("best_val_loss"),
        "training_hours": args.hours,
        "trained_on": "IAM-OnDB lines (non-commercial research terms), validation split by form",
        "weights_dtype": "float16" if args.float16 else "float32",
    }
    if args.metrics:
        card["metrics"] = json.loads(Path(args.metrics).read_text())
    target = REPO / "hwsr" / "pretrained" / args.name
    keep_styles = target / "styles"
    # The ink reference (hwsr.strokes.device) describes the training data, not one run: a run
    # dir's own wins, else the shipped model's is kept.
    reference = next((d / REFERENCE_FILE for d in (run, target) if (d / REFERENCE_FILE).exists()), None)
    from hwsr.model_dir import load_model_dir

    bundle = load_model_dir(run)  # an uncompiled model: no optimizer state in the weights
    with atomic_directory(target, overwrite=True) as tmp:
        for f in FILES[:-1]:
            shutil.copy2(run / f, tmp / f)
        bundle.model.save_weights(tmp / "model.weights.h5")
        if args.float16:
            to_float16(tmp / "model.weights.h5")
        if (run / "styles").is_dir():
            shutil.copytree(run / "styles", tmp / "styles")
        elif keep_styles.is_dir():
            shutil.copytree(keep_styles, tmp / "styles")
        if reference is not None:
            shutil.copy2(reference, tmp / REFERENCE_FILE)
        (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        for path in tmp.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    print(f"shipped {run} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
