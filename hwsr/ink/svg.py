"""Reading back the SVG that `hwsr.render` writes (``hwsr generate --out x.svg``).

Such a file marks itself with ``data-hwsr-scale`` (pixels per stroke unit) on its root and
keeps the ink: one ``<path>`` per pen stroke, in writing order, through the points (a
smoothed path ``M p0 L m0 Q p1 m1 ... L pn`` has the points as its curve's control
points), grouped per text line in ``<g class="hwsr-line">`` with the text as ``<title>``.
Other SVG holds drawings, not ink, and is refused with the formats to use instead.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from hwsr.ink.errors import InkFormatError
from hwsr.ink.page import InkLine, line_from_screen
from hwsr.ink.xml_tree import XmlNode, parse_number

ROOT_TAG = "svg"
SCALE_ATTRIBUTE = "data-hwsr-scale"
LINE_CLASS = "hwsr-line"

_TOKEN = re.compile(r"\s*,?\s*([MLQl]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def _not_hwsr(path: Path, why: str) -> InkFormatError:
    return InkFormatError(
        f"{path}: {why}; only SVG written by hwsr holds ink it can read back. Give InkML "
        "(.inkml), JSON ink (.json) or npz (.npz) instead, e.g. hwsr generate ... --out page.inkml"
    )


def _path_points(d: str, path: Path, line: int) -> np.ndarray:
    """The ``(x, y)`` pixel points of one hwsr path (see the module docstring)."""
    tokens, pos = [], 0
    while d[pos:].strip():
        m = _TOKEN.match(d, pos)
        if m is None:
            raise _not_hwsr(path, f"line {line}: path data {d[pos:pos + 20].strip()!r} is not from hwsr")
        tokens.append(m.group(1))
        pos = m.end()
    moves: list[tuple[str, list[float]]] = []
    for token in tokens:
        if token in "MLQl":
            moves.append((token, []))
        elif not moves:
            raise _not_hwsr(path, f"line {line}: path data does not start with M")
        else:
            value = float(token)
            if not math.isfinite(value):
                raise InkFormatError(f"{path}: line {line}: path coordinate {token!r} is not finite")
            moves[-1][1].append(value)
    arity = {"M": 2, "L": 2, "l": 2, "Q": 4}
    if not moves or moves[0][0] != "M" or any(len(v) != arity[c] for c, v in moves):
        raise _not_hwsr(path, f"line {line}: path data {d[:40]!r} is not an hwsr pen stroke")
    if any(c == "Q" for c, _ in moves):  # Smoothed: M p0 L m0 (Q p_k m_k)... L p_n.
        points = [moves[0][1]] + [v[:2] for c, v in moves if c == "Q"] + [moves[-1][1]]
    else:
        points = [v for c, v in moves if c in "ML"]
    return np.array(points, np.float64)


def _strokes(group: XmlNode, path: Path, scale: float) -> list[np.ndarray]:
    return [_path_points(p.attrib.get("d", ""), path, p.line) / scale for p in group.iter("path")]


def svg_lines(root: XmlNode, path: Path) -> tuple[list[InkLine], bool]:
    """``(lines, structured)`` of a parsed hwsr SVG: its line groups, or all paths as one line."""
    if SCALE_ATTRIBUTE not in root.attrib:
        raise _not_hwsr(path, f"an SVG without hwsr's {SCALE_ATTRIBUTE} attribute")
    scale = parse_number(root.attrib[SCALE_ATTRIBUTE], path, root.line, SCALE_ATTRIBUTE)
    if scale <= 0:
        raise InkFormatError(f"{path}: line {root.line}: {SCALE_ATTRIBUTE} must be positive, got {scale:g}")
    groups = [g for g in root.iter("g") if LINE_CLASS in g.attrib.get("class", "").split()]
    lines = []
    for group in groups:
        title = next((c.text.strip() for c in group.children if c.tag == "title"), None) or None
        strokes = _strokes(group, path, scale)
        if strokes:
            lines.append(line_from_screen(strokes, f"{path}: line {group.line}", "<path>", title))
    if lines:
        return lines, True
    return [line_from_screen(_strokes(root, path, scale), path, "<path>")], False
