"""Stroke transforms that shorten or clean sequences: point dropping, arc-length
resampling, de-slanting and Savitzky-Golay smoothing (numpy only)."""

from __future__ import annotations

import numpy as np

from hwsr.strokes.representation import from_points, stroke_spans, to_points


def drop_points(strokes, factor: int) -> np.ndarray:
    """Keeps every ``factor``-th point of each pen stroke, always keeping its last point.

    Stroke ends (eos rows) and stroke starts are kept, so the pen-up structure is intact;
    the sequence gets about ``factor`` times shorter. ``factor=1`` returns a copy.
    """
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    strokes = np.asarray(strokes, dtype=np.float32)
    if factor == 1:
        return strokes.copy()
    # float32 points, as when this was written: a running training depends on the exact output.
    points = to_points(strokes).astype(np.float32)
    eos = points[:, 2] == 1
    # Index of each point within its stroke.
    starts = np.concatenate([[True], eos[:-1]])
    stroke_id = np.cumsum(starts) - 1
    first_index = np.flatnonzero(starts)
    pos = np.arange(len(points)) - first_index[stroke_id]
    keep = (pos % factor == 0) | eos
    keep[-1] = True
    kept = points[keep]
    out = from_points(kept)
    out[0, 1:] = strokes[0, 1:]
    return out


def interpolate_points(strokes, factor: int) -> np.ndarray:
    """Inverse of `drop_points`: splits every pen-down offset into ``factor`` equal steps.

    Pen-up moves (the offset after a point with ``eos = 1``) and the first row stay single
    jumps, so strokes keep their number and shape; a line of ``T`` points gets about
    ``factor * T`` points. Used to return synthesised ink at the density of the training data.
    """
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    strokes = np.asarray(strokes, dtype=np.float32)
    if factor == 1 or len(strokes) < 2:
        return strokes.copy()
    pen_down = np.concatenate([[False], strokes[:-1, 0] == 0])
    repeats = np.where(pen_down, factor, 1)
    out = np.repeat(strokes, repeats, axis=0)
    out[:, 1:] /= np.repeat(repeats, repeats)[:, None]
    # Only the last piece of a split offset keeps the original eos flag.
    last_piece = np.cumsum(repeats) - 1
    eos = np.zeros(len(out), np.float32)
    eos[last_piece] = strokes[:, 0]
    out[:, 0] = eos
    return out


def _split_points(strokes: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Absolute float64 ``(x, y)`` points and the ``[start, end)`` rows of each pen stroke."""
    xy = np.cumsum(strokes[:, 1:3].astype(np.float64), axis=0)
    return xy, stroke_spans(strokes)


def resample(strokes, step: float) -> np.ndarray:
    """Resamples every pen stroke at (about) equal arc-length spacing ``step``.

    Each stroke of arc length ``L`` becomes ``max(1, round(L / step)) + 1`` points evenly
    spaced along its polyline (1 point when ``L == 0``); its first and last points are kept
    (up to the float32 rounding of the offsets), so the pen-up jumps and the eos structure
    are unchanged. Slow, dense writing
    gets shorter, fast sparse writing gets interpolated points.

    Args:
        strokes: ``[T, 3]`` ``[eos, dx, dy]``.
        step: the spacing in the units of the offsets (raw IAM-OnDB units: the median
            step between recorded points is about 19).
    """
    if not step > 0:
        raise ValueError(f"step must be > 0, got {step}")
    strokes = np.asarray(strokes, dtype=np.float32)
    xy, spans = _split_points(strokes)
    first = np.array([a for a, _ in spans])
    # One increasing "arc coordinate" over the whole line: the arc length along the pen-down
    # segments plus 1 unit of gap per pen lift, so a single np.interp resamples every stroke.
    starts_stroke = np.zeros(len(xy), dtype=bool)
    starts_stroke[first] = True
    seg = np.concatenate([[0.0], np.hypot(*np.diff(xy, axis=0).T)])
    seg[starts_stroke] = 0.0
    coord = np.cumsum(seg) + (np.cumsum(starts_stroke) - 1)
    last = np.array([b - 1 for _, b in spans])
    lengths = coord[last] - coord[first]
    counts = np.where(lengths > 0, np.maximum(1, np.round(lengths / step)).astype(int) + 1, 1)
    stroke_of_sample = np.repeat(np.arange(len(spans)), counts)
    index_in_stroke = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    fraction = index_in_stroke / np.maximum(counts - 1, 1)[stroke_of_sample]
    targets = coord[first][stroke_of_sample] + fraction * lengths[stroke_of_sample]
    # np.interp needs strictly increasing x: repeated points (zero-length segments) go.
    keep = np.concatenate([[True], np.diff(coord) > 0])
    new = np.stack([np.interp(targets, coord[keep], xy[keep, k]) for k in range(2)], axis=1)
    ends = np.cumsum(counts) - 1
    new[ends - counts + 1] = xy[first]
    new[ends] = xy[last]
    eos = np.zeros(len(new))
    eos[ends] = 1
    if strokes[-1, 0] != 1:
        eos[-1] = 0
    out = from_points(np.concatenate([new, eos[:, None]], axis=1))
    out[0, 1:] = strokes[0, 1:]
    return out


def estimate_slant(strokes, max_angle_deg: float = 45.0) -> float:
    """The dominant slant of the writing, as the shear ``dx/dy`` of its near-vertical parts.

    The estimate is the length-weighted mean of ``dx / |dy|`` (with the sign of ``dy``
    folded in) over pen-down segments within ``max_angle_deg`` of vertical. Positive
    means the writing leans right (forward). Returns 0 when there is no such segment.
    """
    strokes = np.asarray(strokes, dtype=np.float32)
    xy, _ = _split_points(strokes)
    pen_down = strokes[:-1, 0] == 0  # Segment t -> t + 1 is drawn unless the pen lifts at t.
    dx, dy = np.diff(xy, axis=0)[pen_down].T
    near_vertical = np.abs(dx) <= np.tan(np.radians(max_angle_deg)) * np.abs(dy)
    near_vertical &= dy != 0
    if not near_vertical.any():
        return 0.0
    sign = np.sign(dy[near_vertical])
    return float(np.sum(dx[near_vertical] * sign) / np.sum(np.abs(dy[near_vertical])))


def deslant(strokes, shear: float | None = None) -> np.ndarray:
    """Removes the slant: ``x -> x - shear * y`` (y up), so that slanted downstrokes become
    vertical. ``shear`` defaults to `estimate_slant` of the strokes. The eos column and the
    number of points are unchanged.
    """
    strokes = np.asarray(strokes, dtype=np.float32)
    if shear is None:
        shear = estimate_slant(strokes)
    out = strokes.copy()
    offsets = strokes[:, 1:3].astype(np.float64)
    out[:, 1] = (offsets[:, 0] - shear * offsets[:, 1]).astype(np.float32)
    return out


def _savgol_matrix(window: int, order: int) -> np.ndarray:
    """``[window, window]``: row k gives the value at position k of the least-squares
    polynomial of degree ``order`` fitted to the window (Savitzky & Golay, 1964)."""
    positions = np.arange(window, dtype=np.float64) - window // 2
    vander = np.vander(positions, order + 1, increasing=True)
    return vander @ np.linalg.pinv(vander)


def smooth(strokes, window: int = 7, order: int = 3) -> np.ndarray:
    """Savitzky-Golay smoothing of every pen stroke's absolute points (numpy only).

    A sliding least-squares polynomial fit of degree ``order`` over ``window`` points; at
    the ends of a stroke the first/last window's polynomial is evaluated (like scipy's
    ``savgol_filter(mode="interp")``). Strokes shorter than the window use the longest odd
    window that fits; strokes of ``order + 1`` points or fewer are left unchanged. The eos
    column and the number of points are unchanged; the first point of the line stays put.

    Args:
        strokes: ``[T, 3]`` ``[eos, dx, dy]``.
        window: odd number of points in the fit (sjvasquez uses 7).
        order: polynomial degree, smaller than ``window``.
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd number, got {window}")
    if not 0 <= order < window:
        raise ValueError(f"order must be in [0, window), got {order} with window {window}")
    strokes = np.asarray(strokes, dtype=np.float32)
    xy, spans = _split_points(strokes)
    smoothed = xy.copy()
    for a, b in spans:
        n = b - a
        w = min(window, n if n % 2 else n - 1)
        if w <= order + 1:
            continue
        h = w // 2
        matrix = _savgol_matrix(w, order)
        points = xy[a:b]
        out = np.empty_like(points)
        windows = np.lib.stride_tricks.sliding_window_view(points, w, axis=0)  # [n - w + 1, 2, w]
        out[h : n - h] = np.einsum("k,nck->nc", matrix[h], windows)
        out[:h] = matrix[:h] @ points[:w]
        out[n - h :] = matrix[h + 1 :] @ points[n - w :]
        smoothed[a:b] = out
    # Translate so that the first point of the line does not move.
    smoothed += xy[0] - smoothed[0]
    out = from_points(np.concatenate([smoothed, strokes[:, :1].astype(np.float64)], axis=1))
    out[0, 1:] = strokes[0, 1:]
    return out
