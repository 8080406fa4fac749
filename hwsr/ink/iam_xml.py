"""IAM-OnDB ``lineStrokes`` XML (``<WhiteboardCaptureSession>``): one line, y pointing down."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from hwsr.ink.errors import InkFormatError
from hwsr.ink.page import InkLine, line_from_screen
from hwsr.ink.xml_tree import XmlNode, parse_number, parse_xml

ROOT_TAG = "WhiteboardCaptureSession"


def iam_line(root: XmlNode, path: Path) -> InkLine:
    """The line of a parsed IAM-OnDB file; point ``time`` attributes (seconds) become times
    in milliseconds when every point has one."""
    stroke_sets = list(root.iter("StrokeSet"))
    if not stroke_sets:
        raise InkFormatError(f"{path}: no <StrokeSet> element (not an IAM-OnDB lineStrokes file?)")
    stroke_list = []
    for stroke in stroke_sets[0].children:
        if stroke.tag != "Stroke":
            continue
        points = [p for p in stroke.children if p.tag == "Point"]
        if not points:
            continue
        rows = [
            (
                parse_number(p.attrib.get("x"), path, p.line, "<Point> attribute x"),
                parse_number(p.attrib.get("y"), path, p.line, "<Point> attribute y"),
            )
            for p in points
        ]
        if all("time" in p.attrib for p in points):
            times = [1000.0 * parse_number(p.attrib["time"], path, p.line, "<Point> attribute time")
                     for p in points]
            rows = [(x, y, t) for (x, y), t in zip(rows, times)]
        stroke_list.append(np.array(rows, dtype=np.float64).reshape(len(rows), -1))
    return line_from_screen(stroke_list, path, "<Stroke>")


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
    root = parse_xml(path)
    if root.tag != ROOT_TAG:
        raise InkFormatError(f"{path}: root element is <{root.tag}>, expected <{ROOT_TAG}>")
    return iam_line(root, path).strokes
