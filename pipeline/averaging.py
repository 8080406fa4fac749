"""Checkpoint averaging: one model whose weights are the mean of several checkpoints of a run.

Averaging the weights of the last few checkpoints of a run (the same network at nearby
steps, on one side of the loss basin) is a cheap way to a model that generalises a little
better than any one of them (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima
and Better Generalization", https://arxiv.org/abs/1803.05407; Vaswani et al. 2017 average
the last checkpoints of their Transformers). Nothing is trained: the run dir's
``model.json`` builds the network, each ``tf.train.Checkpoint`` written by ``hwsr-train`` is
restored into it in turn, and the mean of the model's variables is written as a new model dir.

A fine-tuned run can also be blended with the model it started from (``--blend DIR``, the
weights ``(1 - w) * mean + w * start``): the interpolation between a model and its fine-tuned
copy often beats both (Wortsman et al. 2022, "Robust fine-tuning of zero-shot models",
https://arxiv.org/abs/2109.01903).

    python -m hwsr.pipeline.averaging RUN_DIR OUT_DIR --last 5 [--checkpoints-dir DIR] \
        [--blend hwsr/pretrained/recognition --blend-weight 0.5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from hwsr import model_dir as md
from hwsr.io_utils import atomic_directory

#: Files of a run dir that describe the model (not its weights), copied as they are.
MODEL_FILES = (md.MODEL_FILE, md.ALPHABET_FILE, md.STATS_FILE)
#: Optional files copied when the run dir has them.
OPTIONAL_FILES = (md.CONFIG_FILE, "ink_reference.json")

_STEP = re.compile(r"ckpt-(\d+)\.index$")


class AveragingError(ValueError):
    """No such run, too few checkpoints, or checkpoints of another network."""


def find_checkpoints(directory: str | Path) -> list[str]:
    """The checkpoint prefixes (``.../ckpt-N``) in ``directory``, oldest step first."""
    found = []
    for index in Path(directory).glob("ckpt-*.index"):
        match = _STEP.search(index.name)
        if match:
            found.append((int(match.group(1)), str(index.with_suffix(""))))
    return [prefix for _, prefix in sorted(found)]


def average_checkpoints(run_dir: str | Path, out_dir: str | Path, checkpoints: Sequence[str],
                        overwrite: bool = False, blend: str | Path | None = None,
                        blend_weight: float = 0.5) -> Path:
    """Writes a model dir whose weights are the mean of ``checkpoints``.

    Args:
        run_dir: the ``hwsr-train`` model dir the checkpoints belong to (its ``model.json``,
            ``alphabet.json`` and ``stats.json`` describe the network).
        out_dir: the model dir to write (atomically: it appears complete or not at all).
        checkpoints: ``tf.train.Checkpoint`` prefixes written by ``hwsr-train`` for this network.
        overwrite: replace ``out_dir`` if it exists.
        blend: a model dir of the same network (e.g. the one the run started from) mixed in
            with ``blend_weight``: ``(1 - blend_weight) * mean + blend_weight * blend``.
        blend_weight: in ``[0, 1]``.

    Returns:
        ``out_dir`` as a `Path`.

    Raises:
        AveragingError: no checkpoints, or one that does not fit the run's network.

    Example:

    >>> average_checkpoints("runs/rec", "runs/rec-avg5",  # doctest: +SKIP
    ...                     find_checkpoints("runs/rec/checkpoints")[-5:])
    """
    if not checkpoints:
        raise AveragingError("no checkpoints to average")
    if not 0.0 <= blend_weight <= 1.0:
        raise AveragingError(f"blend weight must be in [0, 1], got {blend_weight}")
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    try:
        bundle = md.load_model_dir(run_dir)
    except md.ModelDirError as e:
        raise AveragingError(str(e)) from None
    model = bundle.model
    total = None
    for prefix in checkpoints:
        try:
            tf.train.Checkpoint(model=model).restore(prefix).expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise AveragingError(f"{prefix}: does not fit the network of {run_dir} ({first[:200]})") from None
        weights = [np.asarray(w, np.float64) for w in model.get_weights()]
        total = weights if total is None else [t + w for t, w in zip(total, weights)]
    mean = [t / len(checkpoints) for t in total]
    if blend is not None:
        mean = [(1.0 - blend_weight) * m + blend_weight * np.asarray(b, np.float64)
                for m, b in zip(mean, _blend_weights(blend, bundle))]
    model.set_weights([m.astype(np.float32) for m in mean])
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        for name in MODEL_FILES:
            shutil.copy2(run_dir / name, tmp / name)
        for name in OPTIONAL_FILES:
            if (run_dir / name).exists():
                shutil.copy2(run_dir / name, tmp / name)
        model.save_weights(tmp / md.WEIGHTS_FILE)
    return out_dir


def _blend_weights(path, bundle) -> list[np.ndarray]:
    """The weights of model dir ``path``, checked to be ``bundle``'s network."""
    try:
        other = md.load_model_dir(path)
    except md.ModelDirError as e:
        raise AveragingError(f"--blend: {e}") from None
    ours, theirs = bundle.model.get_weights(), other.model.get_weights()
    if type(other.model) is not type(bundle.model) or [w.shape for w in ours] != [w.shape for w in theirs]:
        raise AveragingError(f"{path}: another network than the run's, cannot blend")
    return theirs


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", help="the hwsr-train model dir")
    p.add_argument("out_dir", help="the averaged model dir to write")
    p.add_argument("--last", type=int, default=3, help="average the newest N checkpoints [3]")
    p.add_argument("--checkpoints-dir", help="where the checkpoints are [RUN_DIR/checkpoints]")
    p.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it exists")
    p.add_argument("--blend", metavar="DIR", help="a model dir of the same network to mix in")
    p.add_argument("--blend-weight", type=float, default=0.5, help="its share [0.5]")
    args = p.parse_args(argv)
    if args.last < 1:
        p.error("--last must be >= 1")
    directory = args.checkpoints_dir or Path(args.run_dir) / md.CHECKPOINT_DIR
    chosen = find_checkpoints(directory)[-args.last:]
    try:
        if len(chosen) < args.last:
            raise AveragingError(f"{directory}: {len(chosen)} checkpoints, --last {args.last} asked for")
        out = average_checkpoints(args.run_dir, args.out_dir, chosen, overwrite=args.overwrite,
                                  blend=args.blend, blend_weight=args.blend_weight)
    except (AveragingError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    blended = f" blended with {args.blend} ({args.blend_weight:g})" if args.blend else ""
    print(f"averaged {', '.join(Path(c).name for c in chosen)}{blended} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
