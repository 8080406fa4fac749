"""Ink augmentation in ``tf.data``: what another writer, pen or tablet would change.

`augment_strokes` takes one raw-unit ``[T, 3]`` ``[eos, dx, dy]`` line and returns a new
line, drawn with stateless random ops from a ``[2]`` seed (so a seeded input stream
gives the same augmented stream on every run, and a resumed run sees what an
uninterrupted one would):

* **point density**: resampled by a log-uniform factor in ``[min_density, max_density]``
  (other devices sample at other rates). Above 1 every segment of a pen stroke gets its
  midpoint; then points are kept at random, never the last point of a stroke, so pen
  strokes stay pen strokes;
* **affine**: slant (shear), rotation and an anisotropic scale (a log-uniform overall
  scale in ``[min_scale, max_scale]`` times a per-axis aspect change), applied to the
  offsets, which is the same as applying it to the points;
* **jitter**: Gaussian noise on the point positions, a fraction of the line's median
  step length (so it means the same at any scale).

Offsets are linear in the points, so everything happens on absolute positions
(``cumsum``) and goes back to offsets at the end. Row 0 stays ``[eos, 0, 0]``.
"""

from __future__ import annotations

import math

import tensorflow as tf

from hwsr.pipeline.configs import AugmentConfig


def _log_uniform(seed, low: float, high: float) -> tf.Tensor:
    u = tf.random.stateless_uniform([], seed, math.log(low), math.log(high))
    return tf.exp(u)


def _upsample(points: tf.Tensor, eos: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Doubles the density: a midpoint before every point (a copy of the point after a pen-up)."""
    previous = tf.concat([points[:1], points[:-1]], 0)
    pen_was_down = tf.concat([[False], eos[:-1] < 0.5], 0)
    mids = tf.where(pen_was_down[:, None], (previous + points) / 2.0, points)
    both = tf.reshape(tf.stack([mids, points], 1), [-1, 2])[1:]  # Row 0 has no midpoint.
    both_eos = tf.reshape(tf.stack([tf.zeros_like(eos), eos], 1), [-1])[1:]
    return both, both_eos


def _keep_at_random(points, eos, keep_probability, seed):
    """Keeps each point with ``keep_probability``; always the first and every stroke's last."""
    u = tf.random.stateless_uniform(tf.shape(eos), seed)
    first = tf.range(tf.shape(eos)[0]) == 0
    keep = (u < keep_probability) | (eos > 0.5) | first
    return tf.boolean_mask(points, keep), tf.boolean_mask(eos, keep)


def resample_density(strokes: tf.Tensor, factor: tf.Tensor, seed) -> tf.Tensor:
    """``strokes`` with about ``factor`` (in (0, 2]) times as many points along the ink."""
    factor = tf.convert_to_tensor(factor, tf.float32)
    eos = strokes[:, 0]
    points = tf.cumsum(strokes[:, 1:], axis=0)
    points, eos = tf.cond(factor > 1.0, lambda: _upsample(points, eos), lambda: (points, eos))
    keep = tf.where(factor > 1.0, factor / 2.0, factor)
    points, eos = _keep_at_random(points, eos, keep, seed)
    offsets = tf.concat([tf.zeros([1, 2]), points[1:] - points[:-1]], 0)
    return tf.concat([eos[:, None], offsets], 1)


def augment_strokes(strokes: tf.Tensor, seed, config: AugmentConfig,
                    max_points: int | None = None) -> tf.Tensor:
    """One randomly augmented copy of a raw ``[T, 3]`` line (see the module docstring).

    Args:
        strokes: float32 ``[T, 3]`` ``[eos, dx, dy]``, row 0 ``[eos, 0, 0]``.
        seed: int32/int64 ``[2]`` stateless seed.
        config: the ranges.
        max_points: never resample a line above this many points (None: no bound).

    Returns:
        The augmented line, float32 ``[T', 3]``.
    """
    strokes = tf.convert_to_tensor(strokes, tf.float32)
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 9)
    apply = tf.random.stateless_uniform([], seeds[0]) < config.probability

    def augmented():
        length = tf.cast(tf.shape(strokes)[0], tf.float32)
        density = _log_uniform(seeds[1], config.min_density, config.max_density)
        if max_points:
            density = tf.minimum(density, tf.maximum(float(max_points) / length, 1.0))
        line = tf.cond(tf.abs(density - 1.0) > 1e-3,
                       lambda: resample_density(strokes, density, seeds[2]), lambda: strokes)
        if max_points:
            # Points are kept at random, so a line resampled up to the bound can land a few
            # points above it: such a line keeps its own density.
            line = tf.cond(tf.shape(line)[0] > max_points, lambda: strokes, lambda: line)
        scale = _log_uniform(seeds[3], config.min_scale, config.max_scale)
        aspect = tf.sqrt(_log_uniform(seeds[4], 1.0 / config.max_aspect, config.max_aspect))
        shear = tf.random.stateless_uniform([], seeds[5], -config.max_shear, config.max_shear)
        angle = tf.random.stateless_uniform([], seeds[6], -1.0, 1.0) * math.radians(
            config.max_rotation_degrees)
        c, s = tf.cos(angle), tf.sin(angle)
        # Column vectors [dx, dy]: scale, then slant x by y, then rotate.
        rotate = tf.stack([[c, -s], [s, c]])
        slant = tf.stack([[1.0, shear], [0.0, 1.0]])
        stretch = tf.linalg.diag(tf.stack([scale * aspect, scale / aspect]))
        matrix = rotate @ slant @ stretch
        offsets = line[:, 1:] @ tf.transpose(matrix)
        points = tf.cumsum(offsets, axis=0)
        steps = tf.norm(offsets[1:], axis=1)
        median_step = tf.cond(tf.size(steps) > 0,
                              lambda: tf.sort(steps)[tf.size(steps) // 2], lambda: tf.constant(0.0))
        noise = tf.random.stateless_normal(tf.shape(points), seeds[7]) * (config.jitter * median_step)
        points = points + noise
        offsets = tf.concat([tf.zeros([1, 2]), points[1:] - points[:-1]], 0)
        return tf.concat([line[:, :1], offsets], 1)

    return tf.cond(apply, augmented, lambda: strokes)
