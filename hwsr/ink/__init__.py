"""Reading and writing ink files: single lines and pages of lines, in common formats.

Every reader returns the one stroke representation of `hwsr.strokes` (float32 ``[T, 3]``
rows of ``[eos, dx, dy]``, y up) in canonical form: row 0 is ``[eos, 0, 0]``, so the first
point is the origin. Every writer takes that representation. Pages are lists of `InkLine`
(strokes, text, place on the page, per-point times in ms).

Formats (one module each):

* **W3C InkML** (``.inkml``, or ``.xml`` with an ``<ink>`` root; `hwsr.ink.inkml`): a line
  per ``<traceGroup>``, X/Y/T channels.
* **JSON ink** (``.json``; `hwsr.ink.json_ink`): the ML Kit Digital Ink shape, strokes of
  points ``x``, ``y`` and optional ``t`` (ms); a page is ``{"lines": [...]}``.
* **IAM-OnDB line XML** (``.xml`` with a ``<WhiteboardCaptureSession>`` root;
  `hwsr.ink.iam_xml`), as in ``lineStrokes/**.xml``.
* **npz** (``.npz``; `hwsr.ink.npz`): one ``strokes`` line, or the compact multi-line
  layout (``points`` + ``starts``). Pickles are never loaded.
* **SVG written by hwsr** (``.svg``, read only; `hwsr.ink.svg`).

`read_ink` gives a file's ink as one stroke array; `read_page` gives its text lines: those
the file stores (trace groups, JSON lines, npz lines, SVG line groups) or, for one trace
set, those found by `hwsr.strokes.layout` (pen movement and vertical gaps).

Writers produce absolute coordinates exactly equal (in float64) to the cumulative sums of
the offsets, so for canonical strokes that end with ``eos = 1`` a write and a read give the
same float32 array back.

Example:

>>> strokes = read_ink("my_note.inkml")
>>> write_json_ink("my_note.json", strokes, text=read_transcription("my_note.inkml"))
>>> [line.text for line in read_page("page.inkml")]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsr.ink import iam_xml, inkml, json_ink, npz, svg
from hwsr.ink.errors import InkFormatError
from hwsr.ink.iam_xml import read_iam_xml
from hwsr.ink.inkml import INKML_NAMESPACE, read_inkml, write_inkml, write_inkml_page
from hwsr.ink.json_ink import read_json_ink, write_json_ink, write_json_page
from hwsr.ink.npz import read_npz_ink, write_npz, write_npz_page
from hwsr.ink.page import InkLine, lines_on_page, page_strokes, page_text, split_page
from hwsr.ink.xml_tree import parse_xml

SUPPORTED_EXTENSIONS = (".inkml", ".xml", ".json", ".npz", ".svg")
WRITABLE_EXTENSIONS = (".inkml", ".json", ".npz")


def _unsupported_extension(path: Path, extensions=SUPPORTED_EXTENSIONS) -> InkFormatError:
    return InkFormatError(
        f"{path}: unsupported ink file extension {path.suffix.lower()!r}; "
        f"expected one of {extensions}"
    )


def _file_lines(path: Path) -> tuple[list[InkLine], bool]:
    """``(lines, structured)``: the lines a file stores, or (not structured) its one trace set."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return json_ink.json_lines(json_ink.load_json(path), path)
    if suffix == ".npz":
        return npz.npz_lines(path)
    if suffix == ".svg":
        root = parse_xml(path)
        if root.tag != svg.ROOT_TAG:
            raise InkFormatError(f"{path}: root element is <{root.tag}>, expected <svg>")
        return svg.svg_lines(root, path)
    if suffix in (".inkml", ".xml"):
        root = parse_xml(path)
        if root.tag == inkml.ROOT_TAG:
            return inkml.inkml_lines(root, path)
        if root.tag == iam_xml.ROOT_TAG:
            return [iam_xml.iam_line(root, path)], False
        raise InkFormatError(
            f"{path}: root element <{root.tag}> is neither InkML <ink> "
            "nor IAM-OnDB <WhiteboardCaptureSession>"
        )
    raise _unsupported_extension(path)


def read_ink(path: str | os.PathLike, index: int | None = None) -> np.ndarray:
    """Reads the ink of a file as one stroke array, choosing the format from the extension
    (and, for ``.xml``, the root element: ``<ink>`` is InkML, ``<WhiteboardCaptureSession>``
    IAM-OnDB). A page of several lines comes back as one array in page coordinates.

    Args:
        path: an ``.inkml``, ``.xml``, ``.json``, ``.npz`` or hwsr ``.svg`` file.
        index: for a multi-line ``.npz``, the line to read.

    Returns:
        float32 ``[T, 3]`` ``[eos, dx, dy]`` strokes, y up, row 0 at ``[eos, 0, 0]``.

    Raises:
        InkFormatError: unsupported extension or malformed content (naming file and place).
        InvalidStrokesError: offsets that cannot be handwriting.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return read_npz_ink(path, index)
    return page_strokes(_file_lines(path)[0])


def read_page(path: str | os.PathLike, split: bool = True) -> list[InkLine]:
    """Reads the text lines of an ink file.

    Lines the file stores (InkML trace groups, JSON ``"lines"``, the lines of a compact
    npz, the line groups of an hwsr SVG) are kept as they are. A file of one trace set is
    split into lines by pen movement and vertical gaps (`hwsr.strokes.layout`), unless
    ``split`` is False; its transcription goes to the lines when it has as many lines.

    Raises:
        InkFormatError, InvalidStrokesError, FileNotFoundError: as `read_ink`.
    """
    path = Path(path)
    lines, structured = _file_lines(path)
    if structured or not split:
        return lines
    (line,) = lines
    pieces = split_page(line.strokes, line.text, line.times, source=str(path))
    for piece in pieces:
        piece.origin = (piece.origin[0] + line.origin[0], piece.origin[1] + line.origin[1])
    return pieces


def read_transcription(path: str | os.PathLike) -> str | None:
    """The transcription stored in an ink file, or None when it holds none.

    InkML: the text of the first ``<annotation type="transcription">`` child of ``<ink>``,
    else those of its line trace groups. JSON: the top-level ``"text"`` string, else the
    ``"text"`` of its lines. npz and SVG: the texts of their lines. IAM-OnDB XML holds
    none. The texts of several lines are joined with newlines; surrounding whitespace is
    stripped; a blank transcription counts as none.

    Raises:
        InkFormatError: unsupported extension, malformed file, or a ``"text"`` that is not a
            string.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return json_ink.json_transcription(json_ink.load_json(path), path)
    if suffix in (".inkml", ".xml"):
        root = parse_xml(path)
        return inkml.inkml_transcription(root, path) if root.tag == inkml.ROOT_TAG else None
    if suffix in (".npz", ".svg"):
        return page_text(_file_lines(path)[0])
    raise _unsupported_extension(path)


def write_page(path: str | os.PathLike, lines: Sequence[InkLine], point_style: str = "array") -> None:
    """Writes a page of lines by extension, keeping the lines apart: InkML (a ``<traceGroup>``
    per line), JSON (``{"lines": [...]}``; ``point_style`` as `write_json_ink`) or npz (the
    compact layout). Texts and times go with them. `hwsr.render` draws SVG and PNG.

    Raises:
        InkFormatError: an extension other than `WRITABLE_EXTENSIONS`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_json_page(path, lines, point_style)
    elif suffix == ".inkml":
        write_inkml_page(path, lines)
    elif suffix == ".npz":
        write_npz_page(path, lines)
    else:
        raise _unsupported_extension(path, WRITABLE_EXTENSIONS)


__all__ = [
    "INKML_NAMESPACE",
    "SUPPORTED_EXTENSIONS",
    "WRITABLE_EXTENSIONS",
    "InkFormatError",
    "InkLine",
    "lines_on_page",
    "page_strokes",
    "read_iam_xml",
    "read_ink",
    "read_inkml",
    "read_json_ink",
    "read_npz_ink",
    "read_page",
    "read_transcription",
    "split_page",
    "write_inkml",
    "write_inkml_page",
    "write_json_ink",
    "write_json_page",
    "write_npz",
    "write_npz_page",
    "write_page",
]
