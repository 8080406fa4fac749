"""Tests for hwsr/strokes/representation.py: validation and conversions."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.strokes import (
    InvalidStrokesError,
    bounding_box,
    from_dx_dy_eos,
    from_points,
    from_stroke_list,
    stroke_spans,
    to_points,
    to_stroke_list,
    validate_strokes,
)


def test_validate_returns_float32_and_accepts_lists():
    out = validate_strokes([[0, 0, 0], [1, 2.5, -3]])
    assert out.dtype == np.float32 and out.shape == (2, 3)


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((0, 3)), "empty stroke sequence"),
        (np.zeros((4, 2)), r"expected shape \[T, 3\].*got \[4, 2\]"),
        (np.zeros(3), r"got \[3\]"),
        ([[0, 0, 0], [0, np.nan, 1]], "NaN or infinite value in row 1"),
        ([[0, 0, 0], [0, 1, 1], [1, 0, np.inf]], "NaN or infinite value in row 2"),
        ([[0, 0, 0], [1, 2e6, 0]], "absurd offset in row 1"),
        ([[0, 0, 0], [3.0, 1, 1]], r"eos\) must be 0 or 1, row 1.*\[dx, dy, eos\]"),
        ([["a", 0, 0]], "not a numeric array"),
    ],
)
def test_validate_rejects_bad_input_naming_source_and_row(array, match):
    with pytest.raises(InvalidStrokesError, match=match) as info:
        validate_strokes(array, source="line a01-000u-01")
    assert str(info.value).startswith("line a01-000u-01: ")


def test_validate_offset_limit_can_be_changed_or_disabled():
    big = [[0, 0, 0], [1, 2e6, 0]]
    assert validate_strokes(big, max_abs_offset=None).shape == (2, 3)
    with pytest.raises(InvalidStrokesError, match="limit 10"):
        validate_strokes([[0, 0, 0], [1, 11, 0]], max_abs_offset=10)


def test_points_round_trip(synthetic_strokes):
    points = to_points(synthetic_strokes)
    assert points.shape == synthetic_strokes.shape
    np.testing.assert_array_equal(points[:, 2], synthetic_strokes[:, 0])
    expected = np.cumsum(synthetic_strokes[:, 1:].astype(np.float64), axis=0)
    np.testing.assert_allclose(points[:, :2], expected, atol=1e-4)
    np.testing.assert_array_equal(from_points(to_points(synthetic_strokes)), synthetic_strokes)


def test_points_round_trip_keeps_a_non_zero_first_offset():
    strokes = np.array([[0, 5, 7], [1, 1, 1], [1, -2, 0]], np.float32)
    np.testing.assert_array_equal(from_points(to_points(strokes)), strokes)


def test_stroke_list_round_trip(synthetic_strokes):
    pieces = to_stroke_list(synthetic_strokes)
    assert [len(p) for p in pieces] == [25, 25, 3]
    np.testing.assert_array_equal(from_stroke_list(pieces), synthetic_strokes)


def test_from_stroke_list_conventions():
    # Screen coordinates (y down): the second point is 10 units *below* the first.
    strokes = from_stroke_list([np.array([[100, 50, 0.0], [103, 60, 0.1]]), [[110, 50]]], y_up=False)
    np.testing.assert_array_equal(strokes, [[0, 0, 0], [1, 3, -10], [1, 7, 10]])
    assert strokes.dtype == np.float32
    # Row 0 is always the origin; empty strokes are skipped.
    strokes = from_stroke_list([[[5, 5], [6, 7]], [], np.zeros((0, 2)), [[9, 9]]])
    np.testing.assert_array_equal(strokes, [[0, 0, 0], [1, 1, 2], [1, 3, 2]])


def test_from_stroke_list_errors():
    with pytest.raises(InvalidStrokesError, match="stroke 1: expected"):
        from_stroke_list([[[0, 0]], [1, 2, 3]])
    with pytest.raises(InvalidStrokesError, match="no points"):
        from_stroke_list([[], []])


def test_stroke_spans_include_a_trailing_open_stroke():
    strokes = np.array([[0, 0, 0], [1, 1, 0], [1, 1, 0], [0, 1, 0], [0, 1, 0]], np.float32)
    assert stroke_spans(strokes) == [(0, 2), (2, 3), (3, 5)]
    assert [len(p) for p in to_stroke_list(strokes)] == [2, 1, 2]


def test_from_dx_dy_eos_reorders_columns():
    sj = np.array([[0, 0, 1], [2, 3, 0], [4, 5, 1]], np.float32)
    np.testing.assert_array_equal(from_dx_dy_eos(sj), [[1, 0, 0], [0, 2, 3], [1, 4, 5]])
    with pytest.raises(InvalidStrokesError, match=r"\[dx, dy, eos\]"):
        validate_strokes(np.array([[0, 0, 1], [2, 3, 0]], np.float32))


def test_bounding_box():
    strokes = np.array([[0, 1, 2], [0, 3, -5], [1, -10, 1]], np.float32)
    assert bounding_box(strokes) == (-6.0, -3.0, 4.0, 2.0)


def test_real_lines_validate_and_round_trip(shared_data):
    from hwsr.pipeline.readers.npz_lines import read_npz_lines

    corpus = read_npz_lines(shared_data / "iam_ondb_lines")
    for strokes in corpus.strokes[:300]:
        validate_strokes(strokes)
        assert strokes[0, 1] == 0 and strokes[0, 2] == 0 and strokes[-1, 0] == 1
        np.testing.assert_array_equal(from_stroke_list(to_stroke_list(strokes)), strokes)
        np.testing.assert_array_equal(from_points(to_points(strokes)), strokes)


def test_real_sjvasquez_style_converts(shared_data):
    raw = np.load(shared_data / "sjvasquez_styles" / "style-0-strokes.npy")
    strokes = validate_strokes(from_dx_dy_eos(raw), source="style-0")
    assert strokes.shape == (631, 3)
    np.testing.assert_array_equal(strokes[:, 0], raw[:, 2])
