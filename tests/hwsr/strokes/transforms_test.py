"""Tests for hwsr/strokes/transforms.py: drop_points, resample, deslant, smooth."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.strokes import (
    deslant,
    drop_points,
    estimate_slant,
    from_stroke_list,
    resample,
    smooth,
    stroke_spans,
    to_stroke_list,
    validate_strokes,
)
from hwsr.strokes.transforms import _savgol_matrix


def _line(n: int = 41, length: float = 100.0) -> np.ndarray:
    """One straight horizontal stroke of n evenly spaced points, then a 3-point stroke."""
    xs = np.linspace(0, length, n)
    return from_stroke_list([np.stack([xs, np.zeros(n)], 1), [[120, 0], [120, 10], [120, 20]]])


# drop_points ---------------------------------------------------------------------------------


def test_drop_points_keeps_stroke_starts_and_ends(synthetic_strokes):
    out = drop_points(synthetic_strokes, 3)
    before, after = to_stroke_list(synthetic_strokes), to_stroke_list(out)
    assert len(after) == len(before)
    for b, a in zip(before, after):
        np.testing.assert_allclose(a[[0, -1]], b[[0, -1]], atol=1e-4)
    assert [len(s) for s in after] == [9, 9, 2]  # 25 points: 0, 3, ..., 24; 3 points: 0, 2.
    assert out[-1, 0] == 1 and out.dtype == np.float32


def test_drop_points_factor_one_copies_and_bad_factor_fails(synthetic_strokes):
    out = drop_points(synthetic_strokes, 1)
    np.testing.assert_array_equal(out, synthetic_strokes)
    assert out is not synthetic_strokes
    with pytest.raises(ValueError, match="factor must be >= 1"):
        drop_points(synthetic_strokes, 0)


def test_drop_points_is_exact_on_integer_ink():
    strokes = np.array([[0, 0, 0], [0, 1, 2], [0, 3, 4], [1, 5, 6], [0, 7, 8], [1, 9, 10]], np.float32)
    # Stroke 1 (rows 0-3) keeps rows 0, 2 and its end 3; stroke 2 (rows 4-5) keeps both.
    expected = [[0, 0, 0], [0, 4, 6], [1, 5, 6], [0, 7, 8], [1, 9, 10]]
    np.testing.assert_array_equal(drop_points(strokes, 2), expected)


# resample ------------------------------------------------------------------------------------


def test_resample_spaces_points_evenly_along_the_arc():
    out = resample(_line(41, 100.0), step=10.0)  # 2.5-unit steps -> 10-unit steps.
    first, second = to_stroke_list(out)
    np.testing.assert_allclose(first[:, 0], np.arange(0, 101, 10), atol=1e-4)
    np.testing.assert_allclose(first[:, 1], 0, atol=1e-6)
    np.testing.assert_allclose(second, [[120, 0], [120, 10], [120, 20]], atol=1e-4)
    assert stroke_spans(out) == [(0, 11), (11, 14)]


def test_resample_interpolates_sparse_strokes_and_keeps_ends(synthetic_strokes):
    out = resample(synthetic_strokes, step=0.5)
    assert len(out) > 2 * len(synthetic_strokes)
    before, after = to_stroke_list(synthetic_strokes), to_stroke_list(out)
    assert len(before) == len(after)
    for b, a in zip(before, after):
        np.testing.assert_allclose(a[[0, -1]], b[[0, -1]], atol=1e-3)
        steps = np.hypot(*np.diff(a, axis=0).T)
        assert steps.max() <= 0.5 * 1.5 + 1e-3  # round(L / step) segments of equal arc length.


def test_resample_dots_and_repeated_points():
    dot = from_stroke_list([[[5, 5], [5, 5], [5, 5]], [[10, 0], [10, 0], [11, 0]]])
    out = resample(dot, step=2.0)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 5, -5], [1, 1, 0]])


def test_resample_keeps_an_open_last_stroke_open():
    strokes = np.array([[0, 0, 0], [0, 10, 0], [0, 10, 0]], np.float32)
    out = resample(strokes, 5.0)
    assert out[-1, 0] == 0 and len(out) == 5


def test_resample_rejects_bad_step(synthetic_strokes):
    for step in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="step must be > 0"):
            resample(synthetic_strokes, step)


def test_resample_on_real_lines(shared_data):
    from hwsr.pipeline.readers.npz_lines import read_npz_lines

    corpus = read_npz_lines(shared_data / "iam_ondb_lines")
    before = after = 0
    for strokes in corpus.strokes[:50]:
        out = validate_strokes(resample(strokes, 30.0))
        assert out[:, 0].sum() == strokes[:, 0].sum()  # Same number of pen strokes.
        before, after = before + len(strokes), after + len(out)
        np.testing.assert_allclose(out[:, 1:].sum(0), strokes[:, 1:].sum(0), atol=0.05)  # Same end point.
    assert after < 0.8 * before  # The median step is ~19 units, so a 30-unit step shortens.


# deslant -------------------------------------------------------------------------------------


def _slanted_bars(shear: float) -> np.ndarray:
    """Five vertical bars (down strokes) sheared by ``shear``, with a horizontal connector."""
    bars = []
    for k in range(5):
        ys = np.linspace(40, 0, 9)
        bars.append(np.stack([20 * k + shear * ys, ys], axis=1))
    bars.append(np.array([[0, -10], [100, -10]]))
    return from_stroke_list(bars)


@pytest.mark.parametrize("shear", [-0.4, 0.0, 0.3, 0.6])
def test_estimate_slant_recovers_a_known_shear(shear):
    assert estimate_slant(_slanted_bars(shear)) == pytest.approx(shear, abs=1e-6)


def test_deslant_makes_slanted_bars_vertical():
    out = deslant(_slanted_bars(0.5))
    for bar in to_stroke_list(out)[:5]:
        np.testing.assert_allclose(bar[:, 0], bar[0, 0], atol=1e-4)
    assert estimate_slant(out) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_array_equal(out[:, 0], _slanted_bars(0.5)[:, 0])


def test_deslant_with_explicit_shear_only_moves_x(synthetic_strokes):
    out = deslant(synthetic_strokes, shear=0.0)
    np.testing.assert_array_equal(out, synthetic_strokes)
    out = deslant(synthetic_strokes, shear=1.0)
    np.testing.assert_array_equal(out[:, 2], synthetic_strokes[:, 2])
    np.testing.assert_allclose(out[:, 1], synthetic_strokes[:, 1] - synthetic_strokes[:, 2], atol=1e-5)


def test_real_line_slant_is_reduced(shared_data):
    from hwsr.pipeline.readers.npz_lines import read_npz_lines

    corpus = read_npz_lines(shared_data / "iam_ondb_lines")
    before = np.array([estimate_slant(s) for s in corpus.strokes[:100]])
    after = np.array([estimate_slant(deslant(s)) for s in corpus.strokes[:100]])
    assert np.abs(after).mean() < 0.5 * np.abs(before).mean()


# smooth --------------------------------------------------------------------------------------


def test_savgol_coefficients_match_the_classic_table():
    # Savitzky & Golay (1964): window 5, quadratic -> (-3, 12, 17, 12, -3) / 35.
    np.testing.assert_allclose(_savgol_matrix(5, 2)[2], np.array([-3, 12, 17, 12, -3]) / 35, atol=1e-12)
    np.testing.assert_allclose(_savgol_matrix(7, 3)[3], np.array([-2, 3, 6, 7, 6, 3, -2]) / 21, atol=1e-12)


def test_smooth_keeps_polynomials_of_its_order():
    t = np.linspace(-1, 1, 30)
    cubic = np.stack([10 * t, 3 * t**3 - t**2 + 2 * t], axis=1)
    strokes = from_stroke_list([cubic, cubic + np.array([30.0, 0.0])])
    np.testing.assert_allclose(smooth(strokes, window=7, order=3), strokes, atol=1e-4)


def test_smooth_reduces_jitter_and_keeps_structure():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 200)
    clean = np.stack([50 * t, 20 * np.sin(t)], axis=1)
    noisy = clean + rng.normal(0, 1.0, clean.shape)
    strokes = from_stroke_list([noisy, [[400, 0], [401, 1]]])
    out = smooth(strokes, window=9, order=2)
    assert out.shape == strokes.shape
    np.testing.assert_array_equal(out[:, 0], strokes[:, 0])
    smoothed = to_stroke_list(out)[0]
    # The line may be translated (its first point stays put), so compare centred shapes.
    error_before = np.abs((noisy - noisy.mean(0)) - (clean - clean.mean(0))).mean()
    error_after = np.abs((smoothed - smoothed.mean(0)) - (clean - clean.mean(0))).mean()
    assert error_after < 0.6 * error_before
    # The 2-point stroke is too short to smooth: only translated with the rest of the line.
    np.testing.assert_allclose(np.diff(to_stroke_list(out)[1], axis=0), [[1, 1]], atol=1e-4)


def test_smooth_uses_a_shorter_window_for_short_strokes():
    stroke = np.array([[0, 0], [1, 3], [2, -3], [3, 3], [4, -3]], np.float64)
    out = to_stroke_list(smooth(from_stroke_list([stroke]), window=7, order=1))[0]
    np.testing.assert_allclose(out[:, 1].std(), 0, atol=1.5)  # A 5-point linear fit, not unchanged.
    assert not np.allclose(out, stroke - stroke[0])


@pytest.mark.parametrize(("window", "order"), [(4, 2), (0, 0), (5, 5), (5, -1)])
def test_smooth_rejects_bad_parameters(synthetic_strokes, window, order):
    with pytest.raises(ValueError, match=r"window|order"):
        smooth(synthetic_strokes, window=window, order=order)


def test_interpolate_points_keeps_the_path_and_inverts_drop_points(synthetic_strokes):
    from hwsr.strokes import drop_points, interpolate_points, to_points, to_stroke_list

    dense = interpolate_points(synthetic_strokes, 3)
    assert len(to_stroke_list(dense)) == len(to_stroke_list(synthetic_strokes))
    # Same end points of every stroke, about 3x the points.
    np.testing.assert_allclose(to_points(dense)[dense[:, 0] == 1], to_points(synthetic_strokes)[
        synthetic_strokes[:, 0] == 1], atol=1e-4)
    assert 2.5 * len(synthetic_strokes) < len(dense) <= 3 * len(synthetic_strokes)
    np.testing.assert_allclose(drop_points(dense, 3), synthetic_strokes, atol=1e-4)
    np.testing.assert_array_equal(interpolate_points(synthetic_strokes, 1), synthetic_strokes)
