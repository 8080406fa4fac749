"""Stroke preparation and padding for the recogniser, host side (numpy, no TensorFlow).

One home for what `hwsr.Recognizer`, the training callbacks, the serving clients and the
TFLite host driver do to lines of ink before the model sees them. Everything else (point
dropping with the rule of `hwsr.strokes.drop_points`, offset scaling, row 0 read as the
origin) happens inside the model's graph (`hwsr.layers.stroke_features.StrokeFeatures`), so
the SavedModel, TFLite and server paths, which get the raw strokes, do exactly the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwsr.strokes import validate_strokes


def prepare_line(strokes, source: str = "strokes") -> np.ndarray:
    """Validates one raw-unit ``[eos, dx, dy]`` line and moves its first point to the origin
    (row 0 ``dx, dy = 0``, as in the training data and as the model's graph reads it)."""
    line = validate_strokes(strokes, source=source).copy()
    line[0, 1:] = 0.0
    return line


def prepare_lines(lines: Sequence) -> list[np.ndarray]:
    """`prepare_line` for each line; errors name the line's index."""
    if len(lines) == 0:
        raise ValueError("no lines of ink to recognise")
    return [prepare_line(s, source=f"line {i}") for i, s in enumerate(lines)]


def pad_lines(lines: Sequence[np.ndarray], length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lines of ``[T_i, 3]`` points to one zero-padded batch.

    Args:
        lines: the (prepared) lines.
        length: pad to this many points (a fixed-size input such as the TFLite recogniser's);
            default the longest line.

    Returns:
        ``(strokes [B, T, 3] float32, lengths [B] int32)``.
    """
    lengths = np.array([len(s) for s in lines], np.int32)
    steps = int(lengths.max()) if length is None else int(length)
    if lengths.max() > steps:
        raise ValueError(f"a line of {lengths.max()} points does not fit in {steps}")
    batch = np.zeros((len(lines), steps, 3), np.float32)
    for i, line in enumerate(lines):
        batch[i, : len(line)] = line
    return batch, lengths
