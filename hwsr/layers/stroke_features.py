"""In-graph stroke features for the recogniser: point dropping, scaling, pen state."""

from __future__ import annotations

import keras
import tensorflow as tf

from hwsr.strokes.graph_transforms import drop_points_mask


@keras.saving.register_keras_serializable(package="hwsr")
class StrokeFeatures(keras.layers.Layer):
    """Turns raw ``[eos, dx, dy]`` strokes into recogniser features, inside the graph.

    1. Point dropping with the rule of `hwsr.strokes.drop_points` (every ``downsample``-th
       point of each pen stroke, every stroke end and the last point; the same rule as the
       synthesis data and priming), then the offsets between kept points are recomputed (the
       pen path keeps its shape; the sequence gets about ``downsample`` times shorter). Row 0
       is the origin of the line: its offset is read as zero, so where the ink starts on
       the page does not matter (the training lines all start at the origin).
    2. Features per kept point: ``dx / scale_x``, ``dy / scale_y``, ``eos`` and, with
       ``curvature=True``, the cosine and sine of the turning angle and the log step length.

    Because this runs in the graph, exported models (SavedModel, TFLite) take the same raw
    strokes as the Python API.

    Args:
        downsample: keep every n-th point (1 keeps all).
        offset_scale: ``(scale_x, scale_y)`` dividing the offsets (training-set std).
        curvature: add turning-angle and step-length features.

    Example:

    >>> strokes = np.zeros((1, 9, 3), "float32")
    >>> strokes[0, -1, 0] = 1.0  # One pen stroke of 9 points.
    >>> features, lengths = StrokeFeatures(downsample=2, offset_scale=(42.0, 37.0))(strokes, np.array([9]))
    >>> np.asarray(lengths).tolist()  # Every 2nd point: 0, 2, 4, 6 and the stroke's end.
    [5]
    """

    def __init__(self, downsample: int = 1, offset_scale=(1.0, 1.0), curvature: bool = False, **kwargs):
        super().__init__(**kwargs)
        if int(downsample) < 1:
            raise ValueError(f"downsample must be >= 1, got {downsample}")
        self.downsample = int(downsample)
        self.offset_scale = tuple(float(s) for s in offset_scale)
        self.curvature = bool(curvature)

    @property
    def num_features(self) -> int:
        return 6 if self.curvature else 3

    def call(self, strokes, lengths):
        strokes = tf.cast(strokes, tf.float32)
        lengths = tf.cast(lengths, tf.int32)
        steps = tf.shape(strokes)[1]
        eos = strokes[..., 0] > 0.5
        keep = drop_points_mask(eos, lengths, self.downsample)
        # Compact the kept points to the front: kept point j goes to slot cumsum(keep) - 1.
        origin = tf.one_hot(0, steps, on_value=0.0, off_value=1.0)[tf.newaxis, :, tf.newaxis]
        xy = tf.cumsum(strokes[..., 1:3] * origin, axis=1)
        slot = tf.cumsum(tf.cast(keep, tf.int32), axis=1) - 1
        new_lengths = tf.reduce_sum(tf.cast(keep, tf.int32), axis=1)
        out_steps = tf.maximum(tf.reduce_max(new_lengths), 1)
        batch = tf.shape(strokes)[0]
        b = tf.broadcast_to(tf.range(batch)[:, tf.newaxis], tf.shape(slot))
        idx = tf.stack([b, tf.where(keep, slot, out_steps)], axis=-1)  # dropped -> overflow row
        kept_xy = tf.scatter_nd(
            tf.reshape(idx, [-1, 2]),
            tf.reshape(xy, [-1, 2]),
            tf.stack([batch, out_steps + 1, 2]),
        )[:, :out_steps]
        kept_eos = tf.scatter_nd(
            tf.reshape(idx, [-1, 2]),
            tf.reshape(tf.cast(eos, tf.float32), [-1]),
            tf.stack([batch, out_steps + 1]),
        )[:, :out_steps]
        offsets = kept_xy - tf.pad(kept_xy[:, :-1], [[0, 0], [1, 0], [0, 0]])
        new_valid = tf.sequence_mask(new_lengths, out_steps, dtype=tf.float32)
        offsets = offsets * new_valid[..., tf.newaxis]
        scaled = offsets / tf.constant(self.offset_scale, tf.float32)
        feats = [scaled, kept_eos[..., tf.newaxis] * new_valid[..., tf.newaxis]]
        if self.curvature:
            length = tf.norm(offsets, axis=-1, keepdims=True)
            direction = offsets / tf.maximum(length, 1e-6)
            prev = tf.pad(direction[:, :-1], [[0, 0], [1, 0], [0, 0]])
            cos = tf.reduce_sum(direction * prev, axis=-1, keepdims=True)
            sin = direction[..., 1:2] * prev[..., 0:1] - direction[..., 0:1] * prev[..., 1:2]
            log_len = tf.math.log1p(length / tf.constant(max(self.offset_scale), tf.float32))
            feats += [cos * new_valid[..., tf.newaxis], sin * new_valid[..., tf.newaxis], log_len]
        return tf.concat(feats, axis=-1), new_lengths

    def get_config(self):
        config = super().get_config()
        config.update(
            {"downsample": self.downsample, "offset_scale": list(self.offset_scale),
             "curvature": self.curvature}
        )
        return config
