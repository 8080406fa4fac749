"""Reading and writing one line of ink in common file formats.

Every reader returns the one stroke representation of `hwsr.strokes` (float32 ``[T, 3]``
rows of ``[eos, dx, dy]``, y up) in canonical form: row 0 is ``[eos, 0, 0]``, so the first
point is the origin. Every writer takes that representation.

Formats:

* **W3C InkML** (``.inkml``, or ``.xml`` with an ``<ink>`` root): ``<trace>`` elements of
  comma-separated points; the X and Y channels are found through ``<traceFormat>``
  (default: the first two values); explicit (``!``), first-difference (``'``) and
  second-difference (``"``) value encodings are understood. Coordinates are screen-like,
  y pointing down. A transcription may sit in an ``<annotation type="transcription">``
  child of ``<ink>``.
* **JSON ink** (``.json``), in the style of ML Kit Digital Ink:
  ``{"strokes": [[[x, y, t?], ...], ...]}``; a point may also be ``{"x": .., "y": .., "t": ..}``
  and a stroke ``{"points": [...]}``. Screen coordinates, y pointing down; ``t`` is ignored.
  A transcription may sit in a top-level ``"text"`` string.
* **IAM-OnDB line XML** (``.xml`` with a ``<WhiteboardCaptureSession>`` root), as in
  ``lineStrokes/**.xml``: every ``<Point x y>`` of every ``<Stroke>``, y pointing down.
* **npz** (``.npz``): a single line stored as a ``strokes`` array, or the compact corpus
  layout (``points`` + ``starts``, see ``hwsr.pipeline.readers.npz_lines``), from which one
  line is picked with ``index``. Pickles are never loaded.

Writers produce absolute coordinates exactly equal (in float64) to the cumulative sums of
the offsets, so for canonical strokes that end with ``eos = 1`` a write and a read give the
same float32 array back.

Example:

>>> strokes = read_ink("my_note.inkml")
>>> write_json_ink("my_note.json", strokes, text=read_transcription("my_note.inkml"))
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import re
import zipfile
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape

import numpy as np

from hwsr.io_utils import atomic_write_bytes, atomic_write_text
from hwsr.strokes.representation import from_stroke_list, stroke_spans, validate_strokes

INKML_NAMESPACE = "http://www.w3.org/2003/InkML"
SUPPORTED_EXTENSIONS = (".inkml", ".xml", ".json", ".npz")


class InkFormatError(ValueError):
    """An ink file that cannot be read; the message names the file, the place and the problem."""


# --------------------------------------------------------------------------------------------
# A minimal XML tree that remembers line numbers (xml.etree does not).


@dataclasses.dataclass
class _XmlNode:
    tag: str  # Local name, namespace prefix removed.
    attrib: dict[str, str]
    line: int
    children: list[_XmlNode] = dataclasses.field(default_factory=list)
    text_parts: list[str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def iter(self, tag: str):
        """Yields this node and its descendants named ``tag``, in document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                yield node
            stack.extend(reversed(node.children))


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _parse_xml(path: Path) -> _XmlNode:
    data = path.read_bytes()
    parser = expat.ParserCreate()
    stack: list[_XmlNode] = []
    root: list[_XmlNode] = []

    def start(name, attrs):
        node = _XmlNode(_local(name), {_local(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name):
        stack.pop()

    def chars(text):
        if stack:
            stack[-1].text_parts.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise InkFormatError(
            f"{path}: line {e.lineno}, column {e.offset + 1}: malformed XML "
            f"({expat.ErrorString(e.code)}; is the file truncated or not XML?)"
        ) from None
    return root[0]


def _number(value: str | None, path: Path, line: int, what: str) -> float:
    if value is None:
        raise InkFormatError(f"{path}: line {line}: {what} is missing")
    try:
        number = float(value)
    except ValueError:
        raise InkFormatError(f"{path}: line {line}: {what}={value!r} is not a number") from None
    if not math.isfinite(number):
        raise InkFormatError(f"{path}: line {line}: {what}={value!r} is not a finite number")
    return number


def _finish(stroke_list: list[np.ndarray], path: Path, what: str) -> np.ndarray:
    if not any(len(s) for s in stroke_list):
        raise InkFormatError(f"{path}: no points in any {what}")
    return validate_strokes(from_stroke_list(stroke_list, y_up=False), source=str(path))


# --------------------------------------------------------------------------------------------
# IAM-OnDB lineStrokes XML.


def _strokes_from_iam_tree(root: _XmlNode, path: Path) -> np.ndarray:
    stroke_sets = list(root.iter("StrokeSet"))
    if not stroke_sets:
        raise InkFormatError(f"{path}: no <StrokeSet> element (not an IAM-OnDB lineStrokes file?)")
    stroke_list = []
    for stroke in stroke_sets[0].children:
        if stroke.tag != "Stroke":
            continue
        points = [
            (
                _number(p.attrib.get("x"), path, p.line, "<Point> attribute x"),
                _number(p.attrib.get("y"), path, p.line, "<Point> attribute y"),
            )
            for p in stroke.children
            if p.tag == "Point"
        ]
        stroke_list.append(np.array(points, dtype=np.float64).reshape(-1, 2))
    return _finish(stroke_list, path, "<Stroke>")


def read_iam_xml(path: str | os.PathLike) -> np.ndarray:
    """Reads one IAM-OnDB ``lineStrokes`` XML file (ISO-8859-1) into strokes.

    All ``<Point>`` elements of all ``<Stroke>`` elements of the ``<StrokeSet>`` are kept in
    file order; ``eos`` is 1 on the last point of each ``<Stroke>``, ``dy`` is the negated y
    difference (the XML y points down). Integer coordinates are reproduced exactly.

    Raises:
        InkFormatError: malformed or truncated XML, a missing or non-numeric coordinate
            (with its line number), or no points at all.
    """
    path = Path(path)
    root = _parse_xml(path)
    if root.tag != "WhiteboardCaptureSession":
        raise InkFormatError(f"{path}: root element is <{root.tag}>, expected <WhiteboardCaptureSession>")
    return _strokes_from_iam_tree(root, path)


# --------------------------------------------------------------------------------------------
# W3C InkML.

_INKML_VALUE = re.compile(r"\s*([!'\"]?)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def _inkml_channels(root: _XmlNode, path: Path) -> tuple[int, int, int]:
    """Indices of the X and Y channels and the number of channels (0: unknown)."""
    formats = list(root.iter("traceFormat"))
    if not formats:
        return 0, 1, 0
    names = [c.attrib.get("name", "") for c in formats[0].children if c.tag == "channel"]
    if "X" not in names or "Y" not in names:
        raise InkFormatError(
            f"{path}: line {formats[0].line}: <traceFormat> has channels {names}, expected X and Y"
        )
    return names.index("X"), names.index("Y"), len(names)


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
    return np.array(rows, dtype=np.float64).reshape(-1, needed)


def _strokes_from_inkml_tree(root: _XmlNode, path: Path) -> np.ndarray:
    x, y, _ = _inkml_channels(root, path)
    needed = max(x, y) + 1
    traces = list(root.iter("trace"))
    if not traces:
        raise InkFormatError(f"{path}: no <trace> element")
    stroke_list = []
    for number, trace in enumerate(traces, start=1):
        values = _parse_trace(trace.text, path, trace.line, number, needed)
        stroke_list.append(values[:, [x, y]])
    return _finish(stroke_list, path, "<trace>")


def read_inkml(path: str | os.PathLike) -> np.ndarray:
    """Reads a W3C InkML file (all ``<trace>``s in document order, y pointing down).

    Raises:
        InkFormatError: malformed XML, no X/Y channels, non-numeric values (naming the
            line, trace and point), or no points at all.
    """
    path = Path(path)
    root = _parse_xml(path)
    if root.tag != "ink":
        raise InkFormatError(f"{path}: root element is <{root.tag}>, expected InkML <ink>")
    return _strokes_from_inkml_tree(root, path)


def _fmt(value: float) -> str:
    text = repr(float(value) + 0.0)  # + 0.0 turns -0.0 into 0.0.
    return text[:-2] if text.endswith(".0") else text


def _screen_strokes(strokes) -> list[np.ndarray]:
    """Absolute float64 ``(x, y)`` per stroke with y pointing down."""
    strokes = validate_strokes(strokes, source="strokes to write")
    xy = np.cumsum(strokes[:, 1:3].astype(np.float64), axis=0) * np.array([1.0, -1.0])
    return [xy[a:b] for a, b in stroke_spans(strokes)]


def write_inkml(path: str | os.PathLike, strokes, text: str | None = None) -> None:
    """Writes strokes as W3C InkML: one ``<trace>`` per pen stroke, X and Y channels, y down.

    Args:
        path: the file to write.
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` strokes.
        text: an optional transcription, written as ``<annotation type="transcription">``.
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ink xmlns="{INKML_NAMESPACE}">',
    ]
    if text is not None:
        lines.append(f'  <annotation type="transcription">{escape(text)}</annotation>')
    lines += [
        "  <traceFormat>",
        '    <channel name="X" type="decimal"/>',
        '    <channel name="Y" type="decimal"/>',
        "  </traceFormat>",
    ]
    for stroke in _screen_strokes(strokes):
        points = ", ".join(f"{_fmt(px)} {_fmt(py)}" for px, py in stroke)
        lines.append(f"  <trace>{points}</trace>")
    lines.append("</ink>")
    atomic_write_text(path, "\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------------
# JSON ink (ML Kit Digital Ink style).


def _json_point(point, path: Path, where: str) -> tuple[float, float]:
    if isinstance(point, dict):
        if "x" not in point or "y" not in point:
            raise InkFormatError(f"{path}: {where}: a point object needs 'x' and 'y', got {sorted(point)}")
        values = [point["x"], point["y"]]
    elif isinstance(point, (list, tuple)):
        if len(point) < 2:
            raise InkFormatError(f"{path}: {where}: a point needs [x, y] or [x, y, t], got {point!r}")
        values = list(point[:2])
    else:
        raise InkFormatError(f"{path}: {where}: a point must be [x, y, t?] or {{'x', 'y'}}, got {point!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InkFormatError(f"{path}: {where}: coordinate {v!r} is not a number")
        if not math.isfinite(v):
            raise InkFormatError(f"{path}: {where}: coordinate {v!r} is not a finite number")
    return float(values[0]), float(values[1])


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InkFormatError(f"{path}: line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})") from None
    except UnicodeDecodeError as e:
        raise InkFormatError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def read_json_ink(path: str | os.PathLike) -> np.ndarray:
    """Reads ``{"strokes": [[[x, y, t?], ...], ...]}`` JSON ink (screen coordinates, y down).

    Raises:
        InkFormatError: invalid JSON (with line and column), a missing ``strokes`` list,
            or a bad point (naming ``strokes[i][j]``).
    """
    path = Path(path)
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("strokes"), list):
        raise InkFormatError(f'{path}: expected a JSON object {{"strokes": [[[x, y, t?], ...], ...]}}')
    stroke_list = []
    for i, stroke in enumerate(data["strokes"]):
        if isinstance(stroke, dict):
            stroke = stroke.get("points")
        if not isinstance(stroke, list):
            raise InkFormatError(f"{path}: strokes[{i}]: a stroke must be a list of points")
        points = [_json_point(p, path, f"strokes[{i}][{j}]") for j, p in enumerate(stroke)]
        stroke_list.append(np.array(points, dtype=np.float64).reshape(-1, 2))
    return _finish(stroke_list, path, "stroke")


def write_json_ink(path: str | os.PathLike, strokes, text: str | None = None) -> None:
    """Writes ``{"strokes": [[[x, y], ...], ...]}`` JSON ink (screen coordinates, y down).

    Args:
        path: the file to write.
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` strokes.
        text: an optional transcription, written as a top-level ``"text"`` field.
    """
    screen = _screen_strokes(strokes)
    data = {} if text is None else {"text": text}
    data["strokes"] = [[[float(px) + 0.0, float(py) + 0.0] for px, py in s] for s in screen]
    atomic_write_text(path, json.dumps(data, separators=(",", ":")) + "\n")


# --------------------------------------------------------------------------------------------
# npz.


def read_npz_ink(path: str | os.PathLike, index: int | None = None) -> np.ndarray:
    """Reads one line from an ``.npz``: a ``strokes`` array, or line ``index`` of the compact
    corpus layout (``points`` + ``starts``; ``index`` may be left out when it holds one line).
    """
    path = Path(path)
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise InkFormatError(
                f"{path}: holds a single .npy array, not an .npz archive; save it with "
                "np.savez(path, strokes=array) or hwsr.ink.write_npz"
            )
        with loaded as z:
            arrays = {k: z[k] for k in z.files if k in ("strokes", "points", "starts")}
            names = sorted(z.files)
    except InkFormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise InkFormatError(f"{path}: cannot read as .npz ({e})") from None
    if "strokes" in arrays:
        if index not in (None, 0):
            raise InkFormatError(f"{path}: holds a single line ('strokes'), cannot pick index {index}")
        return validate_strokes(arrays["strokes"], source=str(path))
    if "points" in arrays and "starts" in arrays:
        starts = arrays["starts"]
        n = len(starts) - 1 if starts.ndim == 1 else 0
        if n < 1:
            raise InkFormatError(f"{path}: 'starts' must be a 1-D array of at least 2 offsets")
        if index is None:
            if n != 1:
                raise InkFormatError(f"{path}: holds {n} lines; choose one with index=0..{n - 1}")
            index = 0
        if not 0 <= index < n:
            raise InkFormatError(f"{path}: index {index} out of range, the file holds {n} lines")
        line = arrays["points"][int(starts[index]) : int(starts[index + 1])]
        return validate_strokes(line, source=f"{path}[{index}]")
    raise InkFormatError(
        f"{path}: expected an array 'strokes' or arrays 'points' + 'starts', found {names}"
    )


def write_npz(path: str | os.PathLike, strokes) -> None:
    """Writes one line as an ``.npz`` holding a float32 ``strokes`` array (no pickle)."""
    buffer = io.BytesIO()
    np.savez(buffer, strokes=validate_strokes(strokes, source="strokes to write"))
    atomic_write_bytes(path, buffer.getvalue())


# --------------------------------------------------------------------------------------------
# Dispatch.


def read_ink(path: str | os.PathLike, index: int | None = None) -> np.ndarray:
    """Reads one line of ink, choosing the format from the extension (and, for ``.xml``,
    the root element: ``<ink>`` is InkML, ``<WhiteboardCaptureSession>`` IAM-OnDB).

    Args:
        path: an ``.inkml``, ``.xml``, ``.json`` or ``.npz`` file.
        index: for a compact multi-line ``.npz``, the line to read.

    Returns:
        float32 ``[T, 3]`` ``[eos, dx, dy]`` strokes, y up, row 0 at ``[eos, 0, 0]``.

    Raises:
        InkFormatError: unsupported extension or malformed content (naming file and place).
        FileNotFoundError: no such file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_json_ink(path)
    if suffix == ".npz":
        return read_npz_ink(path, index)
    if suffix in (".inkml", ".xml"):
        root = _parse_xml(path)
        if root.tag == "ink":
            return _strokes_from_inkml_tree(root, path)
        if root.tag == "WhiteboardCaptureSession":
            return _strokes_from_iam_tree(root, path)
        raise InkFormatError(
            f"{path}: root element <{root.tag}> is neither InkML <ink> "
            "nor IAM-OnDB <WhiteboardCaptureSession>"
        )
    raise _unsupported_extension(path)


def _unsupported_extension(path: Path) -> InkFormatError:
    return InkFormatError(
        f"{path}: unsupported ink file extension {path.suffix.lower()!r}; "
        f"expected one of {SUPPORTED_EXTENSIONS}"
    )


def read_transcription(path: str | os.PathLike) -> str | None:
    """The transcription stored in an ink file, or None when it holds none.

    InkML: the text of the first ``<annotation type="transcription">`` child of ``<ink>``
    (annotations of trace groups are not transcriptions of the whole file). JSON: the
    top-level ``"text"`` string. IAM-OnDB XML and npz files hold none. Surrounding
    whitespace is stripped; a blank transcription counts as none.

    Raises:
        InkFormatError: unsupported extension, malformed file, or a ``"text"`` that is not a
            string.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    text = None
    if suffix == ".json":
        data = _load_json(path)
        text = data.get("text") if isinstance(data, dict) else None
        if text is not None and not isinstance(text, str):
            raise InkFormatError(f'{path}: "text" must be a string, got {text!r}')
    elif suffix in (".inkml", ".xml"):
        root = _parse_xml(path)
        if root.tag == "ink":
            text = next((child.text for child in root.children if child.tag == "annotation"
                         and child.attrib.get("type") == "transcription"), None)
    elif suffix != ".npz":
        raise _unsupported_extension(path)
    if text is None or not text.strip():
        return None
    return text.strip()


__all__ = [
    "INKML_NAMESPACE",
    "SUPPORTED_EXTENSIONS",
    "InkFormatError",
    "read_iam_xml",
    "read_ink",
    "read_inkml",
    "read_json_ink",
    "read_npz_ink",
    "read_transcription",
    "write_inkml",
    "write_json_ink",
    "write_npz",
]
