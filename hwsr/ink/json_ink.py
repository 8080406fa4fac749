"""JSON ink (``.json``) in the shape of ML Kit Digital Ink: strokes of points, ``t`` in ms.

Read::

    {"text": "one line", "strokes": [[[x, y, t?], ...], ...]}
    {"strokes": [{"points": [{"x": .., "y": .., "t": ..}, ...]}, ...]}      (ML Kit)
    {"lines": [{"text": "first line", "strokes": [...]}, ...]}             (a page)

Screen coordinates, y pointing down; ``t`` (milliseconds) is kept when every point of a
line has one. ``"text"`` is the transcription. The writers produce the first form with
``point_style="array"`` and the ML Kit form with ``point_style="mlkit"``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsr.ink.errors import InkFormatError
from hwsr.ink.page import InkLine, line_from_screen, page_text
from hwsr.io_utils import atomic_write_text
from hwsr.strokes.representation import validate_strokes

POINT_STYLES = ("array", "mlkit")


def load_json(path: Path):
    """The parsed JSON of ``path``, or a one-line `InkFormatError` (bad JSON, not UTF-8,
    nested too deeply)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InkFormatError(f"{path}: line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})") from None
    except UnicodeDecodeError as e:
        raise InkFormatError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except RecursionError:
        raise InkFormatError(f"{path}: JSON nested too deeply to be ink (expected "
                             '{"strokes": [[[x, y, t?], ...], ...]})') from None


def _coordinate(value, path: Path, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InkFormatError(f"{path}: {where}: coordinate {value!r} is not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = value if isinstance(value, float) else "a huge integer"
        raise InkFormatError(f"{path}: {where}: coordinate {shown!r} is not a finite number")
    return number


def _point(point, path: Path, where: str) -> list[float]:
    if isinstance(point, dict):
        if "x" not in point or "y" not in point:
            raise InkFormatError(
                f"{path}: {where}: a point object needs 'x' and 'y', got {sorted(point)[:5]}")
        values = [point["x"], point["y"]] + ([point["t"]] if "t" in point else [])
    elif isinstance(point, list):
        if len(point) < 2:
            raise InkFormatError(f"{path}: {where}: a point needs [x, y] or [x, y, t], got {point!r:.60}")
        values = point[:3]
    else:
        raise InkFormatError(
            f"{path}: {where}: a point must be [x, y, t?] or {{'x', 'y'}}, got {point!r:.60}")
    return [_coordinate(v, path, where) for v in values]


def _line(strokes, path: Path, where: str, text) -> InkLine:
    if not isinstance(strokes, list):
        raise InkFormatError(f"{path}: {where}: expected a list of strokes")
    if text is not None and not isinstance(text, str):
        raise InkFormatError(f'{path}: "text" must be a string, got {text!r:.60}')
    stroke_list = []
    for i, stroke in enumerate(strokes):
        if isinstance(stroke, dict):
            stroke = stroke.get("points")
        if not isinstance(stroke, list):
            raise InkFormatError(f"{path}: {where}[{i}]: a stroke must be a list of points")
        points = [_point(p, path, f"{where}[{i}][{j}]") for j, p in enumerate(stroke)]
        if points:
            timed = all(len(p) == 3 for p in points)
            stroke_list.append(np.array([p[:3] if timed else p[:2] for p in points], np.float64))
    return line_from_screen(stroke_list, path, "stroke", text.strip() if text and text.strip() else None)


def json_lines(data, path: Path) -> tuple[list[InkLine], bool]:
    """``(lines, structured)`` of parsed JSON ink: the ``"lines"`` of a page (structured), or
    the single trace set of ``"strokes"``."""
    if isinstance(data, dict) and isinstance(data.get("lines"), list) and "strokes" not in data:
        if not data["lines"]:
            raise InkFormatError(f'{path}: "lines" is empty')
        lines = []
        for i, item in enumerate(data["lines"]):
            if not isinstance(item, dict):
                raise InkFormatError(f'{path}: lines[{i}]: expected {{"text": ..., "strokes": [...]}}')
            lines.append(_line(item.get("strokes"), path, f"lines[{i}].strokes", item.get("text")))
        return lines, True
    if not isinstance(data, dict) or not isinstance(data.get("strokes"), list):
        raise InkFormatError(f'{path}: expected a JSON object {{"strokes": [[[x, y, t?], ...], ...]}} '
                             'or a page {"lines": [{"text": ..., "strokes": [...]}, ...]}')
    return [_line(data["strokes"], path, "strokes", data.get("text"))], False


def json_transcription(data, path: Path) -> str | None:
    """The top-level ``"text"``, else the lines' texts (one per line) of a page."""
    if isinstance(data, dict) and "strokes" not in data and isinstance(data.get("lines"), list):
        return page_text(json_lines(data, path)[0])
    text = data.get("text") if isinstance(data, dict) else None
    if text is not None and not isinstance(text, str):
        raise InkFormatError(f'{path}: "text" must be a string, got {text!r:.60}')
    return text.strip() if text and text.strip() else None


def read_json_ink(path: str | os.PathLike) -> np.ndarray:
    """Reads JSON ink (any of the shapes above; a page as one trace set) into strokes.

    Raises:
        InkFormatError: invalid JSON (with line and column), a missing ``strokes`` list,
            or a bad point (naming ``strokes[i][j]``).
    """
    from hwsr.ink.page import page_strokes

    path = Path(path)
    return page_strokes(json_lines(load_json(path), path)[0])


def _strokes_json(line: InkLine, point_style: str) -> list:
    if point_style not in POINT_STYLES:
        raise ValueError(f"point_style={point_style!r}: expected one of {POINT_STYLES}")
    keys = ("x", "y", "t")
    out = []
    for stroke in line.screen_strokes():
        rows = [[float(v) for v in row] for row in stroke]
        if point_style == "mlkit":
            out.append({"points": [dict(zip(keys, row)) for row in rows]})
        else:
            out.append(rows)
    return out


def _write(path, data) -> None:
    atomic_write_text(path, json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")


def write_json_ink(path: str | os.PathLike, strokes, text: str | None = None, times=None,
                   point_style: str = "array") -> None:
    """Writes one line as JSON ink (screen coordinates, y down).

    Args:
        path: the file to write.
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` strokes.
        text: an optional transcription, written as a top-level ``"text"`` field.
        times: optional ``[T]`` time of each point in ms, written as ``t``.
        point_style: ``"array"`` (``[[x, y, t?], ...]`` strokes) or ``"mlkit"``
            (``{"points": [{"x", "y", "t"?}, ...]}`` strokes, as ML Kit Digital Ink).
    """
    data = {} if text is None else {"text": text}
    line = InkLine(validate_strokes(strokes, source="strokes to write"), times=times)
    data["strokes"] = _strokes_json(line, point_style)
    _write(path, data)


def write_json_page(path: str | os.PathLike, lines: Sequence[InkLine], point_style: str = "array") -> None:
    """Writes a page as ``{"lines": [{"text": ..., "strokes": [...]}, ...]}``, every line in
    page coordinates (y down), with ``t`` where the line has times."""
    data = {"lines": [({} if line.text is None else {"text": line.text})
                      | {"strokes": _strokes_json(line, point_style)} for line in lines]}
    _write(path, data)
