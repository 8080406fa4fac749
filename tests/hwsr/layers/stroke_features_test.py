"""Tests for hwsr/layers/stroke_features.py: in-graph point dropping and features."""

import keras
import numpy as np
import pytest

from hwsr.layers.stroke_features import StrokeFeatures
from hwsr.strokes import drop_points, from_stroke_list
from hwsr.testing import run_layer_test


def reference_features(strokes: np.ndarray, downsample: int, scale) -> np.ndarray:
    """NumPy statement of the layer's rule: `drop_points` (every ``downsample``-th point of
    each pen stroke, stroke ends, the last point), row 0 at the origin, scaled offsets."""
    line = strokes.copy()
    line[0, 1:] = 0.0
    kept = drop_points(line, downsample)
    return np.concatenate([kept[:, 1:] / np.asarray(scale), kept[:, :1]], axis=1)


def padded_batch(lines):
    lengths = np.array([len(s) for s in lines], np.int32)
    batch = np.zeros([len(lines), lengths.max(), 3], np.float32)
    for i, s in enumerate(lines):
        batch[i, : len(s)] = s
    return batch, lengths


@pytest.fixture
def lines():
    rng = np.random.default_rng(3)
    out = []
    for n in (23, 9, 16):
        s = np.zeros([n, 3], np.float32)
        s[1:, 1:] = rng.integers(-20, 20, [n - 1, 2])
        s[:, 0] = rng.random(n) < 0.2
        s[-1, 0] = 1
        out.append(s)
    return out


@pytest.mark.parametrize("downsample", [1, 2, 3])
def test_features_match_numpy_reference_for_every_padded_line(lines, downsample):
    layer = StrokeFeatures(downsample=downsample, offset_scale=(4.0, 5.0))
    batch, lengths = padded_batch(lines)
    batch[1, lengths[1]:] = 77.0  # Garbage in the padding must not leak into the features.
    features, new_lengths = layer(batch, lengths)
    features, new_lengths = features.numpy(), new_lengths.numpy()
    for i, s in enumerate(lines):
        want = reference_features(s, downsample, (4.0, 5.0))
        assert new_lengths[i] == len(want)
        np.testing.assert_allclose(features[i, : len(want)], want, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(features[i, len(want):], 0.0)
    assert features.shape == (3, new_lengths.max(), 3)


def test_padded_batch_equals_single_unpadded_lines(lines):
    layer = StrokeFeatures(downsample=2, offset_scale=(3.0, 3.0), curvature=True)
    batch, lengths = padded_batch(lines)
    features, new_lengths = layer(batch, lengths)
    for i, s in enumerate(lines):
        alone, n = layer(s[np.newaxis], np.array([len(s)]))
        assert int(n[0]) == int(new_lengths[i])
        np.testing.assert_allclose(features[i, : int(n[0])], alone[0], rtol=1e-5, atol=1e-6)


def test_agrees_with_drop_points_for_strokes_of_any_length():
    # Stroke lengths that are not multiples of the factor: the rule counts within each pen
    # stroke (hwsr.strokes.drop_points), not over the line.
    factor = 3
    t = np.linspace(0, 3, 11)
    ink = from_stroke_list([
        np.stack([10 * t, np.sin(t)], axis=1),
        np.stack([40 + t, 5 * t], axis=1)[:7],
        np.stack([60 + t ** 2, -t], axis=1)[:8],
    ])
    layer = StrokeFeatures(downsample=factor, offset_scale=(2.0, 0.5))
    features, n = layer(ink[np.newaxis], np.array([len(ink)]))
    dropped = drop_points(ink, factor)
    assert int(n[0]) == len(dropped) < len(ink)
    np.testing.assert_allclose(features[0, :, :2].numpy() * [2.0, 0.5], dropped[:, 1:], atol=1e-4)
    np.testing.assert_array_equal(features[0, :, 2], dropped[:, 0])


def test_row_zero_is_the_origin():
    ink = np.array([[0, 500, -300], [0, 1, 2], [1, 3, 4]], np.float32)
    layer = StrokeFeatures(downsample=1)
    moved, _ = layer(ink[np.newaxis], np.array([3]))
    ink[0, 1:] = 0.0
    at_origin, _ = layer(ink[np.newaxis], np.array([3]))
    np.testing.assert_array_equal(moved, at_origin)


def test_keeps_last_point_even_without_eos():
    ink = np.zeros([5, 3], np.float32)
    ink[:, 1] = 1.0
    features, n = StrokeFeatures(downsample=3)(ink[np.newaxis], np.array([5]))
    assert int(n[0]) == 3  # Indices 0, 3 and the last one, 4.
    np.testing.assert_allclose(features[0, :, 0], [0.0, 3.0, 1.0])  # Row 0 is the origin.


def test_curvature_features_of_a_left_turn():
    ink = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 1]], np.float32)  # Right, then up.
    layer = StrokeFeatures(downsample=1, offset_scale=(1.0, 2.0), curvature=True)
    assert layer.num_features == 6
    features, _ = layer(ink[np.newaxis], np.array([3]))
    f = features.numpy()[0]
    np.testing.assert_allclose(f[:, 3], [0.0, 0.0, 0.0], atol=1e-6)  # cos: no previous step,
    np.testing.assert_allclose(f[:, 4], [0.0, 0.0, 1.0], atol=1e-6)  # then 0 and 90 degrees left.
    np.testing.assert_allclose(f[:, 5], np.log1p([0.0, 0.5, 0.5]), atol=1e-6)
    np.testing.assert_allclose(f[:, 1], [0.0, 0.0, 0.5], atol=1e-6)


def test_get_config_round_trip_and_serialisation():
    layer = StrokeFeatures(downsample=3, offset_scale=(42.0, 37.0), curvature=True, name="f")
    config = layer.get_config()
    assert config["downsample"] == 3 and config["offset_scale"] == [42.0, 37.0] and config["curvature"]
    again = StrokeFeatures.from_config(config)
    assert again.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, StrokeFeatures) and restored.get_config() == config


def test_rejects_bad_downsample():
    with pytest.raises(ValueError, match="downsample must be >= 1"):
        StrokeFeatures(downsample=0)


def test_layer_contract():
    strokes = np.zeros((2, 11, 3), np.float32)
    strokes[:, 1:, 1:] = np.random.default_rng(0).normal(size=(2, 10, 2))
    strokes[:, 10, 0] = 1.0  # One pen stroke: every 2nd point and its last are kept.
    run_layer_test(StrokeFeatures, {"downsample": 2, "offset_scale": (2.0, 3.0), "curvature": False},
                   (strokes, np.array([11, 11], np.int32)), expected_output_shape=((2, 6, 3), (2,)))
