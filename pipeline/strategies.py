"""Picks the ``tf.distribute`` strategy for ``hwsr-train --strategy`` and answers "am I the chief?".

We build no scheduler: one process per machine runs the same ``hwsr-train`` command,
TensorFlow's `MultiWorkerMirroredStrategy` does the collective all-reduce, and the cluster
comes from the ``TF_CONFIG`` environment variable exactly as TensorFlow documents it
(https://www.tensorflow.org/guide/distributed_training).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker")


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """This process's place in a ``TF_CONFIG`` cluster (``task_type=None``: no cluster)."""

    task_type: str | None = None
    task_id: int = 0
    num_workers: int = 1

    @property
    def is_chief(self) -> bool:
        """The process that writes the model dir (``chief``, or ``worker`` 0 without a chief)."""
        return self.task_type in (None, "chief") or (self.task_type == "worker" and self.task_id == 0)


def read_tf_config() -> dict | None:
    """The parsed ``TF_CONFIG``, None when unset. Raises ValueError when malformed."""
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON: {e}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster or not isinstance(task, dict):
        raise ValueError(
            'TF_CONFIG must look like {"cluster": {"worker": ["host1:port", "host2:port"]}, '
            '"task": {"type": "worker", "index": 0}}'
        )
    task_type, index = task.get("type"), task.get("index")
    if task_type not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[task_type]):
        raise ValueError(f"TF_CONFIG task {task} is not in its cluster {sorted(cluster)}")
    return config


def worker_info(strategy: tf.distribute.Strategy | None = None) -> WorkerInfo:
    """Where this process stands; read from the strategy's resolver, else ``TF_CONFIG``."""
    import tensorflow as tf

    resolver = getattr(strategy, "cluster_resolver", None) if strategy is not None else None
    if resolver is not None and resolver.task_type:
        spec = resolver.cluster_spec().as_dict()
        workers = len(spec.get("worker", [])) + len(spec.get("chief", []))
        return WorkerInfo(resolver.task_type, int(resolver.task_id or 0), max(workers, 1))
    if strategy is not None and not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return WorkerInfo()
    config = read_tf_config()
    if config is None:
        return WorkerInfo()
    cluster = config["cluster"]
    workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
    return WorkerInfo(config["task"]["type"], int(config["task"]["index"]), max(workers, 1))


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """The strategy for ``--strategy NAME``.

    * ``auto``: `MirroredStrategy` over all GPUs when there are several, else the default
      (single-device) strategy.
    * ``one_device``: the first GPU, or the CPU.
    * ``mirrored``: all local GPUs, or every logical CPU device when there is no GPU (tests
      split the CPU in two to really distribute; CPU replicas reduce on one device).
    * ``multi_worker``: `MultiWorkerMirroredStrategy` over the cluster in ``TF_CONFIG``.
      It must be created before TensorFlow touches any device, so call this first.

    Raises:
        ValueError: unknown name, or ``multi_worker`` without a usable ``TF_CONFIG``.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    if name == "multi_worker":
        if read_tf_config() is None:
            raise ValueError(
                "--strategy multi_worker needs the TF_CONFIG environment variable (see "
                "docs/distributed_training.md)"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if gpus:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    # CPU replicas share one process: reduce on one device rather than with collective ops,
    # whose instance keys collide between strategies created in the same process.
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(cpus, cross_device_ops=tf.distribute.ReductionToOneDevice())


def has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def shard_in_memory(ds: tf.data.Dataset) -> tf.data.Dataset:
    """Marks an in-memory dataset for DATA auto-sharding across workers.

    Every worker builds the same (seeded) pipeline; with the DATA policy each worker keeps
    its own slice of every global batch, so the batch size stays global. (FILE sharding,
    the AUTO default, only applies to file-based sources such as TFRecords.)
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)
