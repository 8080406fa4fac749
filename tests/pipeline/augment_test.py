"""Tests for hwsr.pipeline.augment (ink augmentation in tf.data)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from hwsr.pipeline import datasets
from hwsr.pipeline.augment import augment_strokes, resample_density
from hwsr.pipeline.configs import AugmentConfig, ConfigError, resolve_config
from hwsr.testing import random_lines

ALWAYS = AugmentConfig(probability=1.0)
IDENTITY = AugmentConfig(probability=1.0, max_shear=0.0, max_rotation_degrees=0.0, min_scale=1.0,
                         max_scale=1.0, max_aspect=1.0, min_density=1.0, max_density=1.0, jitter=0.0)


def _line(seed=0) -> np.ndarray:
    (line,), _ = random_lines(1, seed=seed)
    line = line.astype(np.float32)
    line[0, 1:] = 0.0
    return line


def _points(strokes) -> np.ndarray:
    return np.cumsum(np.asarray(strokes)[:, 1:], axis=0)


def _strokes_of(strokes) -> list[np.ndarray]:
    strokes = np.asarray(strokes)
    ends = np.flatnonzero(strokes[:, 0] > 0.5)
    points = _points(strokes)
    return np.split(points, ends[:-1] + 1) if len(ends) else [points]


def test_identity_ranges_give_the_line_back():
    line = _line()
    out = augment_strokes(line, tf.constant([1, 2]), IDENTITY).numpy()
    np.testing.assert_allclose(out, line, atol=1e-3)


def test_probability_zero_never_augments_and_one_always_does():
    line = _line()
    off = dataclasses.replace(ALWAYS, probability=0.0)
    for i in range(5):
        np.testing.assert_array_equal(augment_strokes(line, tf.constant([0, i]), off).numpy(), line)
        assert not np.array_equal(augment_strokes(line, tf.constant([0, i]), ALWAYS).numpy(), line)


def test_same_seed_same_line_other_seed_other_line():
    line = _line()
    a = augment_strokes(line, tf.constant([3, 4]), ALWAYS).numpy()
    b = augment_strokes(line, tf.constant([3, 4]), ALWAYS).numpy()
    c = augment_strokes(line, tf.constant([3, 5]), ALWAYS).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.allclose(a, c)


def test_pure_scale_scales_every_offset():
    line = _line()
    double = dataclasses.replace(IDENTITY, min_scale=2.0, max_scale=2.0)
    out = augment_strokes(line, tf.constant([0, 0]), double).numpy()
    np.testing.assert_allclose(out[:, 1:], 2.0 * line[:, 1:], rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(out[:, 0], line[:, 0])


def test_shear_moves_x_by_y_and_keeps_y():
    line = _line()
    cfg = dataclasses.replace(IDENTITY, max_shear=0.3)
    out = augment_strokes(line, tf.constant([0, 9]), cfg).numpy()
    np.testing.assert_allclose(out[:, 2], line[:, 2], atol=1e-3)
    shear = (out[1:, 1] - line[1:, 1]) / np.where(np.abs(line[1:, 2]) > 1, line[1:, 2], np.nan)
    shear = shear[np.isfinite(shear)]
    assert np.ptp(shear) < 1e-3 and 0 < abs(shear[0]) <= 0.3


@pytest.mark.parametrize("factor", [0.5, 0.7, 1.6, 2.0])
def test_resampling_changes_density_and_keeps_the_pen_strokes(factor):
    line = _line(seed=5)
    out = resample_density(tf.constant(line), factor, tf.constant([0, 1])).numpy()
    before, after = _strokes_of(line), _strokes_of(out)
    assert len(after) == len(before)  # Every pen stroke is still there...
    for a, b in zip(after, before):
        np.testing.assert_allclose(a[-1], b[-1], atol=1e-3)  # ...ending where it ended.
    ratio = len(out) / len(line)
    assert abs(ratio - factor) < 0.2 * factor + 0.1
    np.testing.assert_array_equal(out[0, 1:], [0.0, 0.0])


def test_upsampled_midpoints_lie_on_the_segments():
    line = _line(seed=2)
    out = resample_density(tf.constant(line), 2.0, tf.constant([0, 0])).numpy()  # Keeps all points.
    assert len(out) == 2 * len(line) - 1
    points, original = _points(out), _points(line)
    np.testing.assert_allclose(points[::2], original, atol=1e-3)
    pen_down = line[:-1, 0] < 0.5
    mids = (original[:-1] + original[1:]) / 2
    expected = np.where(pen_down[:, None], mids, original[1:])
    np.testing.assert_allclose(points[1::2], expected, atol=1e-3)


def test_max_points_bounds_the_resampled_length():
    line = _line()
    cfg = dataclasses.replace(IDENTITY, min_density=2.0, max_density=2.0)
    out = augment_strokes(line, tf.constant([0, 0]), cfg, max_points=len(line)).numpy()
    assert len(out) <= len(line)


def test_max_points_holds_although_points_are_kept_at_random():
    line = _line()
    bound = len(line) + 3  # caps the density just above 1: resampling lands around the bound
    cfg = dataclasses.replace(IDENTITY, min_density=2.0, max_density=2.0)
    density = tf.constant(bound / len(line), tf.float32)
    raw = [len(resample_density(tf.constant(line), density, tf.constant([s, 1]))) for s in range(40)]
    assert max(raw) > bound  # what the bound must catch (the batches' buckets end there)
    lengths = [len(augment_strokes(line, tf.constant([s, 1]), cfg, max_points=bound)) for s in range(40)]
    assert max(lengths) <= bound and len(set(lengths)) > 1


def test_recognition_batches_augment_reproducibly():
    lines, _ = random_lines(6, seed=1)
    codes = [np.array([3, 4, 5], np.int32)] * 6
    batching = datasets.BatchingConfig(batch_size=3, shuffle_buffer=6, seed=7)

    def first_batches(augment):
        ds = datasets.recognition_batches(datasets.from_arrays(lines, codes), batching, augment)
        return [x["strokes"].numpy() for x, _ in ds.take(2)]

    augment = lambda s, seed: augment_strokes(s, seed, ALWAYS)  # noqa: E731
    a, b, plain = first_batches(augment), first_batches(augment), first_batches(None)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert any(x.shape != y.shape or not np.allclose(x, y) for x, y in zip(a, plain))


def test_augment_config_is_validated_and_overridable():
    cfg = resolve_config("recognition", "tiny", ["augment.probability=0.8", "augment.max_scale=2"])
    assert cfg.augment.probability == 0.8 and cfg.augment.max_scale == 2.0
    with pytest.raises(ConfigError, match=r"augment\.probability"):
        resolve_config("recognition", "tiny", ["augment.probability=2"])
    with pytest.raises(ConfigError, match=r"augment\.min_density"):
        resolve_config("recognition", "tiny", ["augment.max_density=3"])
