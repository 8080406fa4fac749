"""Stroke transforms that shorten or clean sequences: point dropping, resampling, ..."""

from __future__ import annotations

import numpy as np

from hwsr.strokes.representation import from_points, to_points


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
    points = to_points(strokes)
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
