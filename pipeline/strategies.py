"""Picks the ``tf.distribute`` strategy for ``hwsr-train --strategy``."""

from __future__ import annotations

import tensorflow as tf

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker")


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """``auto``: Mirrored with several GPUs, else the default strategy.
    ``one_device``: the first GPU, or the CPU. ``mirrored``: all local devices (GPUs, or
    the logical CPUs when there is no GPU). ``multi_worker``: MultiWorkerMirroredStrategy
    over the cluster in ``TF_CONFIG``.
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    import json
    import os

    if "TF_CONFIG" not in os.environ:
        raise ValueError("--strategy multi_worker needs the TF_CONFIG environment variable")
    try:
        json.loads(os.environ["TF_CONFIG"])
    except json.JSONDecodeError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON: {e}") from None
    return tf.distribute.MultiWorkerMirroredStrategy()
