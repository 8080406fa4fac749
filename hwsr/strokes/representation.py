"""The one stroke representation: float32 ``[T, 3]`` rows of ``[eos, dx, dy]``.

* ``dx, dy`` are offsets from the previous point; y points up.
* ``eos`` is 1 on the last point of each pen-down stroke (the pen lifts after it).
* Row 0 holds the offset of the first point from the origin (usually ``[eos, 0, 0]``).

This is the layout of Graves (2013) and of the IAM-OnDB data in ``shared/data``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Offsets beyond this (in raw IAM-OnDB whiteboard units) are treated as corrupt input.
DEFAULT_MAX_ABS_OFFSET = 1e5


class InvalidStrokesError(ValueError):
    """Raised for stroke arrays that cannot be handwriting (wrong shape, NaN, empty...)."""


def validate_strokes(
    strokes,
    source: str = "strokes",
    max_abs_offset: float | None = DEFAULT_MAX_ABS_OFFSET,
) -> np.ndarray:
    """Checks a ``[T, 3]`` ``[eos, dx, dy]`` array and returns it as float32.

    Args:
        strokes: array-like of shape ``[T, 3]``.
        source: a name for error messages (a file name, a line id).
        max_abs_offset: reject offsets larger than this in absolute value; None disables.

    Raises:
        InvalidStrokesError: naming ``source`` and the first bad row.
    """
    try:
        arr = np.asarray(strokes, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise InvalidStrokesError(f"{source}: not a numeric array ({e})") from None
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise InvalidStrokesError(
            f"{source}: expected shape [T, 3] with columns [eos, dx, dy], got {list(arr.shape)}"
        )
    if arr.shape[0] == 0:
        raise InvalidStrokesError(f"{source}: empty stroke sequence")
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.argwhere(~finite)[0][0])
        raise InvalidStrokesError(f"{source}: NaN or infinite value in row {row}: {arr[row]}")
    eos = arr[:, 0]
    if not np.isin(eos, (0.0, 1.0)).all():
        row = int(np.argwhere(~np.isin(eos, (0.0, 1.0)))[0][0])
        raise InvalidStrokesError(
            f"{source}: column 0 (eos) must be 0 or 1, row {row} has {eos[row]} "
            "(is the column order [dx, dy, eos]? see hwsr.strokes.from_dx_dy_eos)"
        )
    if max_abs_offset is not None:
        big = np.abs(arr[:, 1:]) > max_abs_offset
        if big.any():
            row = int(np.argwhere(big)[0][0])
            raise InvalidStrokesError(
                f"{source}: absurd offset in row {row}: {arr[row, 1:].tolist()} "
                f"(limit {max_abs_offset:g})"
            )
    return arr


def from_dx_dy_eos(array) -> np.ndarray:
    """Converts ``[dx, dy, eos]`` column order (sjvasquez) to ``[eos, dx, dy]``."""
    array = np.asarray(array, dtype=np.float32)
    return np.ascontiguousarray(array[:, [2, 0, 1]])


def to_points(strokes) -> np.ndarray:
    """Absolute coordinates: returns float64 ``[T, 3]`` rows of ``[x, y, eos]`` (y up).

    float64, so that `from_points` gives the float32 offsets back exactly (a float32
    cumulative sum would lose the low bits of small offsets far from the origin).
    """
    strokes = np.asarray(strokes, dtype=np.float32)
    xy = np.cumsum(strokes[:, 1:3].astype(np.float64), axis=0)
    return np.concatenate([xy, strokes[:, :1].astype(np.float64)], axis=1)


def from_points(points) -> np.ndarray:
    """Inverse of `to_points`: ``[x, y, eos]`` absolute rows to ``[eos, dx, dy]`` offsets.

    The first row's offset is taken from the origin, so ``from_points(to_points(s))`` is ``s``.
    """
    points = np.asarray(points, dtype=np.float64)
    offsets = np.diff(points[:, :2], axis=0, prepend=np.zeros((1, 2)))
    return np.concatenate([points[:, 2:3], offsets], axis=1).astype(np.float32)


def stroke_spans(strokes) -> list[tuple[int, int]]:
    """The ``[start, end)`` row ranges of the pen strokes (a trailing open stroke included)."""
    eos = np.asarray(strokes)[:, 0]
    ends = np.flatnonzero(eos == 1) + 1
    if len(ends) == 0 or ends[-1] != len(eos):
        ends = np.append(ends, len(eos))
    starts = np.concatenate([[0], ends[:-1]])
    return [(int(a), int(b)) for a, b in zip(starts, ends) if b > a]


def to_stroke_list(strokes) -> list[np.ndarray]:
    """Splits into pen-down strokes: a list of float64 ``[n, 2]`` absolute ``(x, y)`` arrays (y up)."""
    points = to_points(strokes)
    return [points[a:b, :2].copy() for a, b in stroke_spans(strokes)]


def from_stroke_list(stroke_list: Sequence, y_up: bool = True) -> np.ndarray:
    """Builds ``[eos, dx, dy]`` offsets from a list of ``[n, >=2]`` absolute point arrays.

    Args:
        stroke_list: one array per pen-down stroke; columns beyond x and y (time, pressure)
            are ignored.
        y_up: False when the y axis of the input points down (screen, XML, InkML coordinates).
    """
    chunks = []
    for i, stroke in enumerate(stroke_list):
        stroke = np.asarray(stroke, dtype=np.float64)
        if stroke.size == 0:
            continue
        if stroke.ndim != 2 or stroke.shape[1] < 2:
            raise InvalidStrokesError(f"stroke {i}: expected [n, 2+] points, got {list(stroke.shape)}")
        if len(stroke) == 0:
            continue
        eos = np.zeros((len(stroke), 1))
        eos[-1] = 1
        xy = stroke[:, :2].copy()
        if not y_up:
            xy[:, 1] = -xy[:, 1]
        chunks.append(np.concatenate([xy, eos], axis=1))
    if not chunks:
        raise InvalidStrokesError("no points in any stroke")
    points = np.concatenate(chunks)
    offsets = from_points(points)
    offsets[0, 1:] = 0.0  # The first point is the origin of the sequence.
    return offsets


def bounding_box(strokes) -> tuple[float, float, float, float]:
    """``(min_x, min_y, max_x, max_y)`` of the absolute points."""
    points = to_points(strokes)
    return (*points[:, :2].min(axis=0).tolist(), *points[:, :2].max(axis=0).tolist())
