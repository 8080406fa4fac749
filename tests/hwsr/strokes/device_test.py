"""Tests for hwsr/strokes/device.py: ink from other devices adapted to the training ink."""

import json

import numpy as np
import pytest

from hwsr.strokes import drop_points, interpolate_points
from hwsr.strokes.device import InkReference, adapt_ink, ink_size, point_spacing


def cursive(points=400, seed=0, size=100.0, step=1.0):
    """A wavy line in code: loops about ``size`` high, ``step``-long pen-down steps, a pen
    lift every 50 points."""
    rng = np.random.default_rng(seed)
    t = np.arange(points) * step / size
    x = 30 * t * size / 10 + rng.normal(0, 0.01, points)
    y = 0.5 * size * np.sin(2 * np.pi * t * 3) + rng.normal(0, 0.01, points)
    line = np.zeros([points, 3], np.float32)
    line[1:, 1] = np.diff(x)
    line[1:, 2] = np.diff(y)
    line[49::50, 0] = 1
    line[-1, 0] = 1
    return line


def reference_of(line):
    return InkReference(ink_size(line), point_spacing(line))


def test_size_follows_the_units_and_spacing_the_sampling_rate():
    line = cursive()
    scaled = line.copy()
    scaled[:, 1:] *= 3
    assert ink_size(scaled) == pytest.approx(3 * ink_size(line), rel=1e-5)
    assert point_spacing(scaled) == pytest.approx(point_spacing(line), rel=1e-5)
    dense = interpolate_points(line, 2)
    assert ink_size(dense) == pytest.approx(ink_size(line), rel=0.02)
    assert point_spacing(dense) == pytest.approx(point_spacing(line) / 2, rel=0.05)


def test_ink_like_the_reference_is_left_as_it_is():
    line = cursive()
    for factor in (1.0, 1.4, 1 / 1.4):  # within the reference's factor 1.6 (size)
        scaled = line.copy()
        scaled[:, 1:] *= factor
        np.testing.assert_array_equal(adapt_ink(scaled, reference_of(line)), scaled)


@pytest.mark.parametrize("factor", [0.5, 3.0])
def test_other_units_are_brought_to_the_reference_size(factor):
    line = cursive()
    scaled = line.copy()
    scaled[:, 1:] *= factor
    adapted = adapt_ink(scaled, reference_of(line))
    np.testing.assert_allclose(adapted, line, atol=1e-4)


def test_sparse_ink_gets_its_steps_split_dense_ink_keeps_its_points():
    line = cursive(800)
    reference = reference_of(line)
    sparse = drop_points(line, 2)
    adapted = adapt_ink(sparse, reference)
    np.testing.assert_array_equal(adapted, interpolate_points(sparse, 2))
    assert point_spacing(adapted) == pytest.approx(reference.spacing, rel=0.1)
    dense = interpolate_points(line, 3)
    np.testing.assert_array_equal(adapt_ink(dense, reference), dense)
    slightly_sparse = drop_points(interpolate_points(line, 4), 3)  # 3/4 of the points: ratio 1.33
    lenient = InkReference(reference.size, reference.spacing, split_factor=1.5)
    assert adapt_ink(slightly_sparse, lenient).shape == slightly_sparse.shape


def test_a_line_of_dots_is_returned_as_it_is():
    dots = np.array([[1, 0, 0], [1, 5, 0], [1, 5, 0]], np.float32)
    np.testing.assert_array_equal(adapt_ink(dots, InkReference(100.0, 0.05)), dots)


def test_measure_save_load(tmp_path):
    lines = [cursive(seed=s, size=size) for s, size in enumerate((80.0, 100.0, 120.0))]
    reference = InkReference.measure(lines)
    assert reference.size == pytest.approx(ink_size(lines[1])) and reference.lines == 3
    reference.save(tmp_path / "ref.json")
    assert InkReference.load(tmp_path / "ref.json") == reference
    (tmp_path / "bad.json").write_text(json.dumps({"size": -1, "spacing": 0.1}))
    with pytest.raises(ValueError, match=r"bad\.json: not a usable ink reference"):
        InkReference.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="no line with ink"):
        InkReference.measure([np.zeros([3, 3], np.float32)])
