"""tf.data input pipelines for synthesis and recognition training.

Both pipelines start from ``(strokes [T, 3], codes [U])`` examples, either in memory
(`from_arrays`) or from TFRecords (`hwsr.pipeline.tfrecords`), and end in padded,
length-bucketed batches:

* synthesis: ``x = {"strokes": [B, T-1, 3], "chars": [B, U]}``,
  ``y = {"targets": [B, T-1, 3], "mask": [B, T-1]}`` (inputs and targets shifted by one).
* recognition: ``x = {"strokes": [B, T, 3], "lengths": [B]}``,
  ``y = {"labels": [B, U], "label_lengths": [B]}``.

Batch sizes are *global*: under ``tf.distribute`` the strategy splits each batch
across replicas (``model.fit`` does it, or
``strategy.experimental_distribute_dataset(batches)`` in a custom loop).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class BatchingConfig:
    """How examples are grouped into batches.

    Attributes:
        batch_size: global batch size.
        bucket_boundaries: stroke-length boundaries for `bucket_by_sequence_length`;
            empty means plain padded batches. With ``pad_to_bucket_boundary`` every
            batch has one of a few fixed lengths (cheap for XLA, no retracing).
        pad_to_bucket_boundary: pad each batch to its bucket's upper boundary.
        shuffle_buffer: 0 disables shuffling.
        seed: shuffling seed; with ``deterministic`` the order is reproducible.
        repeat: repeat forever (step-budgeted training).
        cache: cache the examples in memory after parsing.
        drop_remainder: drop a last partial batch.
        deterministic: keep element order deterministic in parallel maps.
    """

    batch_size: int = 32
    bucket_boundaries: tuple[int, ...] = ()
    pad_to_bucket_boundary: bool = False
    shuffle_buffer: int = 4096
    seed: int | None = 0
    repeat: bool = True
    cache: bool = False
    drop_remainder: bool = False
    deterministic: bool = True


def from_arrays(strokes: Sequence[np.ndarray], codes: Sequence[np.ndarray]) -> tf.data.Dataset:
    """An unbatched dataset of ``{"strokes": [T, 3] float32, "codes": [U] int32}``."""
    if len(strokes) != len(codes):
        raise ValueError(f"{len(strokes)} stroke arrays but {len(codes)} code arrays")
    if not strokes:
        raise ValueError("empty dataset: no examples")
    flat = np.concatenate([np.asarray(s, np.float32) for s in strokes])
    stroke_lengths = np.array([len(s) for s in strokes], np.int64)
    flat_codes = np.concatenate([np.asarray(c, np.int32) for c in codes])
    code_lengths = np.array([len(c) for c in codes], np.int64)
    ragged_strokes = tf.RaggedTensor.from_row_lengths(flat, stroke_lengths)
    ragged_codes = tf.RaggedTensor.from_row_lengths(flat_codes, code_lengths)
    ds = tf.data.Dataset.from_tensor_slices({"strokes": ragged_strokes, "codes": ragged_codes})
    # Slices of ragged tensors have a RaggedTensorSpec (ragged_rank 0); re-emit them as plain
    # tensors so the element_spec equals that of `hwsr.pipeline.tfrecords.prepared_dataset`.
    return ds.map(lambda e: {"strokes": tf.identity(e["strokes"]), "codes": tf.identity(e["codes"])})


def _with_lengths(examples: tf.data.Dataset, config: BatchingConfig) -> tf.data.Dataset:
    """Keeps ``strokes`` and ``codes`` (other keys, e.g. line ids, are dropped) and adds ``length``."""
    return examples.map(
        lambda e: {"strokes": e["strokes"], "codes": e["codes"], "length": tf.shape(e["strokes"])[0]},
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=config.deterministic,
    )


def synthesis_batches(examples: tf.data.Dataset, config: BatchingConfig) -> tf.data.Dataset:
    """Padded synthesis batches (see module docstring)."""
    examples = _with_lengths(examples, config)

    def to_model(batch):
        strokes = batch["strokes"]
        inputs, targets = strokes[:, :-1], strokes[:, 1:]
        mask = tf.sequence_mask(batch["length"] - 1, tf.shape(targets)[1], dtype=tf.float32)
        return {"strokes": inputs, "chars": batch["codes"]}, {"targets": targets, "mask": mask}

    ds = _batch_with_lengths(examples, config)
    return ds.map(to_model, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


#: ``augment(strokes [T, 3], seed [2]) -> strokes [T', 3]``, e.g. `hwsr.pipeline.augment.augment_strokes`.
Augment = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def recognition_batches(examples: tf.data.Dataset, config: BatchingConfig,
                        augment: Augment | None = None) -> tf.data.Dataset:
    """Padded recognition batches (see module docstring).

    Args:
        augment: applied to every line after shuffling, with a seed drawn from
            ``config.seed`` and the line's position in the stream (reproducible).
    """
    examples = _with_lengths(examples, config)

    def to_model(batch):
        label_lengths = tf.reduce_sum(tf.cast(batch["codes"] > 0, tf.int32), axis=1)
        return (
            {"strokes": batch["strokes"], "lengths": batch["length"]},
            {"labels": batch["codes"], "label_lengths": label_lengths},
        )

    ds = _batch_with_lengths(examples, config, augment)
    return ds.map(to_model, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _augmented(ds: tf.data.Dataset, augment: Augment, config: BatchingConfig) -> tf.data.Dataset:
    base = tf.constant(config.seed or 0, tf.int64)

    def apply(index, e):
        strokes = augment(e["strokes"], tf.stack([base, index]))
        return {"strokes": strokes, "codes": e["codes"], "length": tf.shape(strokes)[0]}

    return ds.enumerate().map(apply, num_parallel_calls=tf.data.AUTOTUNE,
                              deterministic=config.deterministic)


def _batch_with_lengths(ds: tf.data.Dataset, config: BatchingConfig,
                        augment: Augment | None = None) -> tf.data.Dataset:
    if config.batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {config.batch_size}")
    if list(config.bucket_boundaries) != sorted(set(config.bucket_boundaries)) or any(
        b < 1 for b in config.bucket_boundaries
    ):
        raise ValueError(
            f"bucket_boundaries must be positive and strictly increasing, got {config.bucket_boundaries}"
        )
    if config.cache:
        ds = ds.cache()
    if config.repeat:
        ds = ds.repeat()
    if config.shuffle_buffer:
        ds = ds.shuffle(config.shuffle_buffer, seed=config.seed, reshuffle_each_iteration=True)
    if augment is not None:
        ds = _augmented(ds, augment, config)
    padded_shapes = {"strokes": [None, 3], "codes": [None], "length": []}
    if config.bucket_boundaries:
        boundaries = list(config.bucket_boundaries)
        return ds.bucket_by_sequence_length(
            element_length_func=lambda e: e["length"],
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[config.batch_size] * (len(boundaries) + 1),
            padded_shapes=padded_shapes,
            pad_to_bucket_boundary=config.pad_to_bucket_boundary,
            drop_remainder=config.drop_remainder,
        )
    return ds.padded_batch(config.batch_size, padded_shapes, drop_remainder=config.drop_remainder)
