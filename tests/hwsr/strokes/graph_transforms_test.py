"""The graph versions of drop_points / interpolate_points give the numpy results exactly."""

import numpy as np
import pytest
import tensorflow as tf

from hwsr.strokes import drop_points, interpolate_points
from hwsr.strokes import graph_transforms as gt
from hwsr.testing import random_lines


def padded(lines):
    lengths = np.array([len(s) for s in lines], np.int32)
    batch = np.zeros((len(lines), lengths.max(), 3), np.float32)
    for i, s in enumerate(lines):
        batch[i, : len(s)] = s
    return batch, lengths


@pytest.fixture(scope="module")
def lines():
    lines, _ = random_lines(6, seed=3)
    # Row 0 off the origin and a line ending pen-down: both must follow the numpy rules too.
    lines[0] = lines[0].copy()
    lines[0][0, 1:] = [3.5, -2.25]
    lines[1] = lines[1].copy()
    lines[1][-1, 0] = 0.0
    lines.append(np.array([[1.0, 0.0, 0.0]], np.float32))
    return lines


@pytest.mark.parametrize("factor", [1, 2, 3])
@pytest.mark.parametrize("graph_fn,numpy_fn", [(gt.drop_points, drop_points),
                                               (gt.interpolate_points, interpolate_points)],
                         ids=["drop_points", "interpolate_points"])
def test_graph_version_matches_numpy_for_every_padded_line(lines, factor, graph_fn, numpy_fn):
    batch, lengths = padded(lines)
    out, n = graph_fn(tf.constant(batch), tf.constant(lengths), factor)
    for i, line in enumerate(lines):
        expected = numpy_fn(line, factor)
        assert n[i] == len(expected)
        np.testing.assert_array_equal(out.numpy()[i, : n[i]], expected)
        assert not out.numpy()[i, n[i]:].any()


def test_the_mask_keeps_stroke_starts_ends_and_the_last_point():
    eos = tf.constant([[0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]], tf.float32) > 0.5
    mask = gt.drop_points_mask(eos, tf.constant([10]), 3)
    # Stroke 1: rows 0-3 (keep 0, 3=end); stroke 2: 4-6 (keep 4, 6=end); stroke 3: 7-9 (7, 9=last).
    assert np.flatnonzero(mask.numpy()[0]).tolist() == [0, 3, 4, 6, 7, 9]
