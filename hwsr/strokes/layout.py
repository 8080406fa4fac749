"""Page layout: splitting the ink of a page (or paragraph) into text lines.

The models read and write one text line at a time. A page written in one go (a whiteboard
form, a note on a tablet) is split by following the writing order: a pen stroke starts a
new line when it lies clearly *below* the line being written and starts clearly to the
*left* of where that line has got to (a carriage return). Delayed strokes (i dots, t bars,
corrections) go back to the left but stay at the height of their line, and descenders go
down but not back, so neither starts a line.

Measured on the 1,651 whiteboard forms of ``shared/data/iam_ondb_lines`` (pages rebuilt
from each line's ``origin_xy``), the defaults recover the exact lines of 1,644 forms
(99.6 %); 3 forms get a wrong number of lines.
"""

from __future__ import annotations

import numpy as np

from hwsr.strokes.representation import from_points, stroke_spans, to_points, validate_strokes


def _character_height(points: np.ndarray, spans: list[tuple[int, int]]) -> float:
    """A robust writing-size scale: the median height of the strokes (dots excluded)."""
    heights = np.array([np.ptp(points[a:b, 1]) for a, b in spans])
    heights = heights[heights > 0]
    if len(heights):
        return float(np.median(heights))
    return 1.0


def split_line_indices(strokes, line_gap: float = 1.0, carriage_return: float = 8.0) -> list[list[int]]:
    """Groups the pen strokes of a page into text lines.

    Args:
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` of the whole page, in writing order (y up).
        line_gap: a stroke must lie this many character heights below the centre of the
            current line to start a new one.
        carriage_return: ... and start this many character heights left of the rightmost
            point of the current line.

    Raises:
        InvalidStrokesError: not a valid stroke array.

    Returns:
        One list of stroke indices (0-based, in the order of ``to_stroke_list``) per line,
        lines and strokes in writing order.
    """
    strokes = validate_strokes(strokes, source="page")
    points = to_points(strokes).astype(np.float64)
    spans = stroke_spans(strokes)
    h = _character_height(points, spans)
    centres = np.array([np.median(points[a:b, 1]) for a, b in spans])
    first_x = np.array([points[a, 0] for a, _ in spans])
    max_x = np.array([points[a:b, 0].max() for a, b in spans])

    label = np.zeros(len(spans), dtype=int)
    line, members, right = 0, [0], max_x[0]
    for k in range(1, len(spans)):
        centre = np.median(centres[members])
        if centres[k] < centre - line_gap * h and first_x[k] < right - carriage_return * h:
            line += 1
            members, right = [], -np.inf
        label[k] = line
        members.append(k)
        right = max(right, max_x[k])

    return [np.flatnonzero(label == i).tolist() for i in range(line + 1)]


def split_lines(strokes, line_gap: float = 1.0, carriage_return: float = 8.0) -> list[np.ndarray]:
    """Splits the ink of a page into one ``[eos, dx, dy]`` array per text line.

    Each line is in canonical form (row 0 at ``[eos, 0, 0]``); see `split_line_indices`
    for the method and the arguments. Use `line_origins` for where each line starts.
    """
    points = to_points(strokes).astype(np.float64)
    spans = stroke_spans(strokes)
    out = []
    for group in split_line_indices(strokes, line_gap, carriage_return):
        rows = np.concatenate([points[slice(*spans[k])] for k in group])
        rows[:, 2] = 0
        rows[np.cumsum([spans[k][1] - spans[k][0] for k in group]) - 1, 2] = 1
        line = from_points(rows)
        line[0, 1:] = 0.0
        out.append(line)
    return out


def line_origins(strokes, line_gap: float = 1.0, carriage_return: float = 8.0) -> np.ndarray:
    """``[n_lines, 2]`` absolute ``(x, y)`` (y up) of the first point of each line of
    `split_lines`, in the page's coordinates."""
    points = to_points(strokes).astype(np.float64)
    spans = stroke_spans(strokes)
    groups = split_line_indices(strokes, line_gap, carriage_return)
    return np.array([points[spans[g[0]][0], :2] for g in groups]).reshape(-1, 2)
