"""`drop_points` and `interpolate_points` as TensorFlow ops on padded batches.

The rules are those of `hwsr.strokes.transforms` (the numpy reference, used by the Python
API and training); these graph versions let exported models (SavedModel, TFLite) and the
recogniser's `StrokeFeatures` apply the *same* rules inside their graphs, and give the same
numbers (``tests/hwsr/strokes/graph_transforms_test.py`` checks equality line by line).

Batches are ``strokes [B, T, 3]`` ``[eos, dx, dy]`` zero-padded after each line's
``lengths [B]``.
"""

from __future__ import annotations

import tensorflow as tf


def _compact(values, keep, out_steps):
    """Moves the ``keep`` rows of ``values [B, T, ...]`` to the front of each line (in order)
    and zero-pads to ``out_steps``; builtin ops only (cumsum + scatter), TFLite-friendly."""
    batch = tf.shape(keep)[0]
    slot = tf.cumsum(tf.cast(keep, tf.int32), axis=1) - 1
    rows = tf.broadcast_to(tf.range(batch)[:, tf.newaxis], tf.shape(slot))
    index = tf.stack([rows, tf.where(keep, slot, out_steps)], axis=-1)  # dropped -> overflow row
    tail = tf.shape(values)[2:]
    flat = tf.reshape(values, tf.concat([[-1], tail], 0))
    out = tf.scatter_nd(tf.reshape(index, [-1, 2]), flat, tf.concat([[batch, out_steps + 1], tail], 0))
    return out[:, :out_steps]


def drop_points_mask(eos, lengths, factor: int):
    """``[B, T]`` bool: the points `hwsr.strokes.drop_points` keeps.

    Every ``factor``-th point of each pen stroke counted from the stroke's first point, every
    stroke end (``eos``) and the last point of the line; nothing after ``lengths``.

    Args:
        eos: ``[B, T]`` bool, the pen lifts after the point.
        lengths: ``[B]`` int32 valid points per line.
        factor: keep every ``factor``-th point (1 keeps all).
    """
    steps = tf.shape(eos)[1]
    index = tf.range(steps)[tf.newaxis, :]
    valid = index < lengths[:, tf.newaxis]
    if factor == 1:
        return valid
    batch = tf.shape(eos)[0]
    starts = tf.concat([tf.ones([batch, 1], tf.bool), eos[:, :-1]], axis=1)
    stroke = tf.cumsum(tf.cast(starts, tf.int32), axis=1) - 1
    # The first index of every stroke: each stroke's start scatters its index to its slot.
    rows = tf.broadcast_to(tf.range(batch)[:, tf.newaxis], tf.shape(stroke))
    slot = tf.stack([rows, tf.where(starts, stroke, steps)], axis=-1)
    first = tf.scatter_nd(tf.reshape(slot, [-1, 2]),
                          tf.reshape(tf.broadcast_to(index, tf.shape(stroke)), [-1]),
                          tf.stack([batch, steps + 1]))
    position = index - tf.gather(first, stroke, axis=1, batch_dims=1)
    last = tf.equal(index, lengths[:, tf.newaxis] - 1)
    return (tf.equal(position % factor, 0) | eos | last) & valid


def drop_points(strokes, lengths, factor: int):
    """`hwsr.strokes.drop_points` on a padded batch, with the same float32 results.

    Positions are summed in float64 and rounded to float32 before the offsets between kept
    points are taken (again in float64), exactly as the numpy version does.

    Returns:
        ``(strokes [B, T', 3] float32, lengths [B] int32)``, zero-padded.
    """
    strokes = tf.cast(strokes, tf.float32)
    lengths = tf.cast(lengths, tf.int32)
    keep = drop_points_mask(strokes[..., 0] > 0.5, lengths, factor)
    new_lengths = tf.reduce_sum(tf.cast(keep, tf.int32), axis=1)
    out_steps = tf.maximum(tf.reduce_max(new_lengths), 1)
    xy = tf.cast(tf.cast(tf.cumsum(tf.cast(strokes[..., 1:], tf.float64), axis=1), tf.float32), tf.float64)
    kept_xy = _compact(xy, keep, out_steps)
    kept_eos = _compact(strokes[..., :1], keep, out_steps)
    offsets = tf.cast(kept_xy - tf.pad(kept_xy[:, :-1], [[0, 0], [1, 0], [0, 0]]), tf.float32)
    # Row 0 keeps its own offset (the line's origin), as in the numpy version.
    offsets = tf.concat([strokes[:, :1, 1:], offsets[:, 1:]], axis=1)
    valid = tf.sequence_mask(new_lengths, out_steps, dtype=tf.float32)[..., tf.newaxis]
    return tf.concat([kept_eos, offsets], axis=-1) * valid, new_lengths


def interpolate_points(strokes, lengths, factor: int):
    """`hwsr.strokes.interpolate_points` on a padded batch (the inverse of `drop_points`).

    Every pen-down offset (one that follows a point with ``eos = 0``) is split into
    ``factor`` equal steps; only the last piece keeps the eos flag.

    Returns:
        ``(strokes [B, T', 3] float32, lengths [B] int32)``, zero-padded.
    """
    strokes = tf.cast(strokes, tf.float32)
    lengths = tf.cast(lengths, tf.int32)
    if factor == 1:
        return strokes, lengths
    ragged = tf.RaggedTensor.from_tensor(strokes, lengths=lengths)
    previous_eos = tf.concat([tf.ones_like(ragged[:, :1, 0]), ragged[:, :-1, 0]], axis=1)
    repeats = tf.where(previous_eos == 0, factor, 1)
    flat_repeats = repeats.flat_values
    pieces = tf.repeat(ragged.flat_values, flat_repeats, axis=0)
    divisor = tf.cast(tf.repeat(flat_repeats, flat_repeats), tf.float32)
    last_piece = tf.cumsum(flat_repeats) - 1
    eos = tf.scatter_nd(last_piece[:, tf.newaxis], ragged.flat_values[:, 0], tf.shape(divisor))
    flat = tf.concat([eos[:, tf.newaxis], pieces[:, 1:] / divisor[:, tf.newaxis]], axis=-1)
    new_lengths = tf.cast(tf.reduce_sum(repeats, axis=1), tf.int32)
    dense = tf.RaggedTensor.from_row_lengths(flat, new_lengths).to_tensor(default_value=0.0)
    return tf.reshape(dense, [tf.shape(strokes)[0], -1, 3]), new_lengths
