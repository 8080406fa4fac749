"""Ink as files hold it: a page of text lines (`InkLine`), each with its place and timestamps.

The models read and write one text line at a time (the ``[eos, dx, dy]`` arrays of
`hwsr.strokes`). A file may hold several lines: a generated page, a note. An `InkLine`
carries one line's canonical strokes together with what a file keeps around them: its
transcription, where its first point lies on the page, and the time of every point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from hwsr.ink.errors import InkFormatError
from hwsr.strokes.layout import extract_line, line_rows
from hwsr.strokes.representation import (
    InvalidStrokesError,
    from_points,
    from_stroke_list,
    stroke_spans,
    to_points,
    validate_strokes,
)


@dataclasses.dataclass(eq=False)
class InkLine:
    """One text line of ink and what a file stores with it.

    Attributes:
        strokes: float32 ``[T, 3]`` ``[eos, dx, dy]``, y up, canonical (row 0 at ``[eos, 0, 0]``),
            validated by the reader that made the line.
        text: the transcription, or None.
        origin: absolute ``(x, y)`` of the first point on the page (y up).
        times: float64 ``[T]`` time of each point in milliseconds, or None when the file
            has none.
    """

    strokes: np.ndarray
    text: str | None = None
    origin: tuple[float, float] = (0.0, 0.0)
    times: np.ndarray | None = None

    def __post_init__(self):
        # Readers and writers validate the values (`validate_strokes`); this checks the shape.
        self.strokes = np.asarray(self.strokes, dtype=np.float32)
        if self.strokes.ndim != 2 or self.strokes.shape[1] != 3 or not len(self.strokes):
            raise InvalidStrokesError(f"line strokes: expected a non-empty [T, 3] array, "
                                      f"got shape {list(self.strokes.shape)}")
        self.origin = (float(self.origin[0]), float(self.origin[1]))
        if self.times is not None:
            self.times = np.asarray(self.times, dtype=np.float64).reshape(-1)
            if len(self.times) != len(self.strokes) or not np.isfinite(self.times).all():
                raise InvalidStrokesError(
                    f"line times: expected {len(self.strokes)} finite values (one per point), "
                    f"got {len(self.times)}"
                )

    def page_points(self) -> np.ndarray:
        """float64 ``[T, 3]`` absolute ``[x, y, eos]`` rows on the page (y up)."""
        points = to_points(self.strokes)
        points[:, :2] += self.origin
        return points

    def screen_strokes(self) -> list[np.ndarray]:
        """One float64 array per pen stroke: absolute ``(x, y)`` with y pointing down, and
        a third column ``t`` (ms) when the line has times."""
        points = self.page_points()
        columns = [points[:, 0], -points[:, 1]] + ([self.times] if self.times is not None else [])
        table = np.stack(columns, axis=1) + 0.0  # + 0.0 turns -0.0 into 0.0.
        return [table[a:b] for a, b in stroke_spans(self.strokes)]


def line_from_screen(stroke_list: Sequence[np.ndarray], source, what: str,
                     text: str | None = None) -> InkLine:
    """An `InkLine` from per-stroke absolute ``[n, 2]`` ``(x, y)`` or ``[n, 3]`` ``(x, y, t)``
    arrays with y pointing down (file coordinates); empty strokes are skipped.

    Times are kept only when every stroke has them.

    Raises:
        InkFormatError: no points at all (``what`` names the element, e.g. ``<trace>``).
        InvalidStrokesError: offsets that cannot be handwriting.
    """
    stroke_list = [np.asarray(s, dtype=np.float64) for s in stroke_list if len(s)]
    if not stroke_list:
        raise InkFormatError(f"{source}: no points in any {what}")
    strokes = validate_strokes(from_stroke_list(stroke_list, y_up=False), source=str(source))
    first = stroke_list[0][0]
    times = None
    if all(s.shape[1] > 2 for s in stroke_list):
        times = np.concatenate([s[:, 2] for s in stroke_list])
    return InkLine(strokes, text, (first[0], -first[1]), times)


def page_strokes(lines: Sequence[InkLine]) -> np.ndarray:
    """All lines as one canonical ``[eos, dx, dy]`` array, in page coordinates."""
    if not lines:
        raise InvalidStrokesError("page: no lines")
    if len(lines) == 1:
        return lines[0].strokes  # Exactly as read: no round trip through page coordinates.
    offsets = from_points(np.concatenate([line.page_points() for line in lines]))
    offsets[0, 1:] = 0.0
    return offsets


def page_times(lines: Sequence[InkLine]) -> np.ndarray | None:
    """The times of all points of ``lines`` (as in `page_strokes`), or None unless every line has them."""
    if lines and all(line.times is not None for line in lines):
        return np.concatenate([line.times for line in lines])
    return None


def page_text(lines: Sequence[InkLine]) -> str | None:
    """The transcriptions of the lines that have one, one per text line, or None."""
    texts = [line.text.strip() for line in lines if line.text and line.text.strip()]
    return "\n".join(texts) or None


def split_page(strokes, text: str | None = None, times=None, source: str = "page") -> list[InkLine]:
    """Splits the ink of a page into its text lines (`hwsr.strokes.layout.line_rows`).

    Args:
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` of the page, in writing order.
        text: the page's transcription; its lines go to the ink lines when there are as
            many of them, else all of it goes to a single ink line (or is dropped).
        times: optional ``[T]`` per-point times (ms), split with the points.
        source: a name for error messages.
    """
    strokes = validate_strokes(strokes, source=source)
    groups = line_rows(strokes)
    texts = [None] * len(groups)
    if text:
        lines_text = [t.strip() for t in text.splitlines() if t.strip()]
        if len(lines_text) == len(groups):
            texts = lines_text
        elif len(groups) == 1:
            texts = [text.strip()]
    out = []
    for rows, line_text in zip(groups, texts):
        line, origin = extract_line(strokes, rows)
        out.append(InkLine(line, line_text, tuple(origin),
                           None if times is None else np.asarray(times, np.float64)[rows]))
    return out


def lines_on_page(lines: Sequence, texts: Sequence[str] | None = None,
                  line_spacing: float | None = None) -> list[InkLine]:
    """Places stroke arrays one under another, left-aligned, as `hwsr.render` draws them.

    Args:
        lines: ``[eos, dx, dy]`` arrays, one per text line.
        texts: their transcriptions (optional).
        line_spacing: see `hwsr.render.layout_page`.
    """
    from hwsr.render import layout_page

    if texts is not None and len(texts) != len(lines):
        raise ValueError(f"{len(texts)} texts for {len(lines)} lines")
    placed = layout_page(list(lines), line_spacing)
    out = []
    for i, (strokes, page) in enumerate(zip(lines, placed)):
        strokes = validate_strokes(strokes, source=f"line {i}").copy()
        strokes[0, 1:] = 0.0  # Canonical: the first point's place is the origin.
        origin = page[0][0] if page else (0.0, 0.0)
        out.append(InkLine(strokes, None if texts is None else texts[i], tuple(origin)))
    return out
