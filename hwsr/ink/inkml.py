"""W3C InkML (``.inkml``, or ``.xml`` with an ``<ink>`` root): lines, transcriptions, times.

``<trace>`` elements of comma-separated points; the X, Y and (optional) T channels are found
through ``<traceFormat>`` (default: the first two values are X and Y); explicit (``!``),
first-difference (``'``) and second-difference (``"``) value encodings are understood.
Coordinates are screen-like, y pointing down; T is in milliseconds (``units="s"``: seconds).

Lines: when every ``<trace>`` sits in an outermost ``<traceGroup>``, each such group is a
text line, its transcription in a child ``<annotation type="transcription">``; otherwise
the file is one trace set. A transcription of the whole file sits in an
``<annotation type="transcription">`` child of ``<ink>``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from hwsr.ink.errors import InkFormatError
from hwsr.ink.page import InkLine, line_from_screen, page_text
from hwsr.ink.xml_tree import XmlNode, parse_xml
from hwsr.io_utils import atomic_write_text
from hwsr.strokes.representation import validate_strokes

INKML_NAMESPACE = "http://www.w3.org/2003/InkML"
ROOT_TAG = "ink"

_INKML_VALUE = re.compile(r"\s*([!'\"]?)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def _channels(root: XmlNode, path: Path) -> tuple[list[int], float]:
    """Indices of the X, Y (and T, when there is one) channels, and the factor to ms of T."""
    formats = list(root.iter("traceFormat"))
    if not formats:
        return [0, 1], 1.0
    channels = [c for c in formats[0].children if c.tag == "channel"]
    names = [c.attrib.get("name", "") for c in channels]
    if "X" not in names or "Y" not in names:
        raise InkFormatError(
            f"{path}: line {formats[0].line}: <traceFormat> has channels {names}, expected X and Y"
        )
    wanted = [names.index("X"), names.index("Y")]
    if "T" not in names:
        return wanted, 1.0
    units = channels[names.index("T")].attrib.get("units", "ms")
    return [*wanted, names.index("T")], 1000.0 if units == "s" else 1.0


def _parse_trace(text: str, path: Path, line: int, number: int, needed: int) -> np.ndarray:
    """Decodes one ``<trace>``'s text into a ``[n, needed]`` float64 array."""
    modes: list[str] = []  # Per channel: "!" explicit, "'" first, '"' second difference.
    last: list[float] = []
    velocity: list[float] = []
    rows = []
    chunks = text.split(",")
    if not chunks[-1].strip():
        chunks.pop()  # An empty trace, or a trailing comma.
    for j, point in enumerate(chunks):
        if not point.strip():
            raise InkFormatError(f"{path}: line {line}: trace {number}, point {j + 1} is empty")
        values, pos, k = [], 0, 0
        while point[pos:].strip():
            m = _INKML_VALUE.match(point, pos)
            if m is None:
                bad = point[pos:].strip().split()[0]
                raise InkFormatError(
                    f"{path}: line {line}: trace {number}, point {j + 1}: {bad!r} is not a number"
                )
            prefix, value = m.group(1), float(m.group(2))
            pos = m.end()
            if k == len(modes):
                modes.append("!")
                last.append(0.0)
                velocity.append(0.0)
            if prefix:
                modes[k] = prefix
            if modes[k] == "'":
                value = last[k] + value
            elif modes[k] == '"':
                velocity[k] += value
                value = last[k] + velocity[k]
            if modes[k] != '"':
                velocity[k] = value - last[k] if rows else 0.0
            last[k] = value
            values.append(value)
            k += 1
        if len(values) < needed:
            raise InkFormatError(
                f"{path}: line {line}: trace {number}, point {j + 1} has {len(values)} value(s), "
                f"expected at least {needed}"
            )
        rows.append(values[:needed])
    array = np.array(rows, dtype=np.float64).reshape(-1, needed)
    if not np.isfinite(array).all():
        raise InkFormatError(f"{path}: line {line}: trace {number} has a value too large to be a coordinate")
    return array


def _transcription(node: XmlNode) -> str | None:
    text = next((child.text for child in node.children if child.tag == "annotation"
                 and child.attrib.get("type") == "transcription"), None)
    return text.strip() if text and text.strip() else None


def _outermost_groups(root: XmlNode) -> list[XmlNode]:
    groups, stack = [], list(reversed(root.children))
    while stack:
        node = stack.pop()
        if node.tag == "traceGroup":
            groups.append(node)
        else:
            stack.extend(reversed(node.children))
    return groups


def inkml_lines(root: XmlNode, path: Path) -> tuple[list[InkLine], bool]:
    """``(lines, structured)`` of a parsed InkML file: one line per outermost trace group
    (``structured``), or a single line of every trace with the file's transcription."""
    columns, to_ms = _channels(root, path)
    needed = max(columns) + 1
    traces = list(root.iter("trace"))
    if not traces:
        raise InkFormatError(f"{path}: no <trace> element")
    number = {id(t): i for i, t in enumerate(traces, start=1)}

    def read(trace_nodes):
        arrays = []
        for trace in trace_nodes:
            values = _parse_trace(trace.text, path, trace.line, number[id(trace)], needed)[:, columns]
            if len(columns) == 3:
                values[:, 2] *= to_ms
            arrays.append(values)
        return arrays

    groups = [(g, list(g.iter("trace"))) for g in _outermost_groups(root)]
    groups = [(g, members) for g, members in groups if members]
    if groups and sum(len(m) for _, m in groups) == len(traces):
        lines = []
        for group, members in groups:
            arrays = read(members)
            if any(len(a) for a in arrays):
                lines.append(line_from_screen(arrays, f"{path}: line {group.line}", "<trace>",
                                              _transcription(group)))
        if len(lines) == 1 and lines[0].text is None:
            lines[0].text = _transcription(root)
        if lines:
            return lines, True
    return [line_from_screen(read(traces), path, "<trace>", _transcription(root))], False


def inkml_transcription(root: XmlNode, path: Path) -> str | None:
    """The ``<ink>``-level transcription, else the lines' transcriptions (one per line)."""
    text = _transcription(root)
    if text is None:
        lines, structured = inkml_lines(root, path)
        text = page_text(lines) if structured else None
    return text


def read_inkml(path: str | os.PathLike) -> np.ndarray:
    """Reads a W3C InkML file (all ``<trace>``s in document order, y pointing down).

    Raises:
        InkFormatError: malformed XML, no X/Y channels, non-numeric values (naming the
            line, trace and point), or no points at all.
    """
    from hwsr.ink.page import page_strokes

    path = Path(path)
    root = parse_xml(path)
    if root.tag != ROOT_TAG:
        raise InkFormatError(f"{path}: root element is <{root.tag}>, expected InkML <ink>")
    return page_strokes(inkml_lines(root, path)[0])


def _fmt(value: float) -> str:
    text = repr(float(value) + 0.0)  # + 0.0 turns -0.0 into 0.0.
    return text[:-2] if text.endswith(".0") else text


def _traces(line: InkLine, indent: str) -> list[str]:
    return [indent + "<trace>" + ", ".join(" ".join(_fmt(v) for v in point) for point in stroke) + "</trace>"
            for stroke in line.screen_strokes()]


def _document(body: list[str], text: str | None, timed: bool) -> str:
    head = ['<?xml version="1.0" encoding="UTF-8"?>', f'<ink xmlns="{INKML_NAMESPACE}">']
    if text is not None:
        head.append(f'  <annotation type="transcription">{escape(text)}</annotation>')
    head += ["  <traceFormat>",
             '    <channel name="X" type="decimal"/>',
             '    <channel name="Y" type="decimal"/>']
    if timed:
        head.append('    <channel name="T" type="decimal" units="ms"/>')
    head.append("  </traceFormat>")
    return "\n".join(head + body + ["</ink>"]) + "\n"


def write_inkml(path: str | os.PathLike, strokes, text: str | None = None, times=None) -> None:
    """Writes one line as W3C InkML: one ``<trace>`` per pen stroke, X and Y channels, y down.

    Args:
        path: the file to write.
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` strokes.
        text: an optional transcription, written as ``<annotation type="transcription">``.
        times: optional ``[T]`` time of each point in ms, written as a T channel.
    """
    line = InkLine(validate_strokes(strokes, source="strokes to write"), times=times)
    atomic_write_text(path, _document(_traces(line, "  "), text, times is not None))


def write_inkml_page(path: str | os.PathLike, lines: Sequence[InkLine]) -> None:
    """Writes a page as W3C InkML: one ``<traceGroup>`` per text line (with its
    ``<annotation type="transcription">``), in page coordinates, y down; a T channel (ms)
    when every line has times."""
    timed = bool(lines) and all(line.times is not None for line in lines)
    body = []
    for line in lines:
        body.append("  <traceGroup>")
        if line.text is not None:
            body.append(f'    <annotation type="transcription">{escape(line.text)}</annotation>')
        body += _traces(line if timed else InkLine(line.strokes, origin=line.origin), "    ")
        body.append("  </traceGroup>")
    atomic_write_text(path, _document(body, None, timed))
