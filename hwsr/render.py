"""Rendering strokes: SVG (line width, colour), PNG, and image arrays; page layout of lines.

The SVG keeps the ink: one ``<path>`` per pen stroke, in writing order, through the points
(a smoothed path uses them as the control points of its curves), one
``<g class="hwsr-line">`` per text line (with the line's text as its ``<title>``), and the
pixels per stroke unit in ``data-hwsr-scale`` on the root, so `hwsr.ink` reads it back.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from hwsr.io_utils import atomic_write_bytes
from hwsr.strokes import to_stroke_list


def layout_page(lines: Sequence[np.ndarray], line_spacing: float | None = None) -> list[list[np.ndarray]]:
    """Places lines of strokes one under another, left-aligned.

    Args:
        lines: ``[eos, dx, dy]`` arrays, one per text line (y up).
        line_spacing: distance between baselines in the strokes' units; default 1.5 times
            the median line height.

    Returns:
        For each line, its pen strokes as absolute ``[n, 2]`` arrays in page coordinates
        (y up, the first line on top).
    """
    placed = [to_stroke_list(s) for s in lines]
    heights = []
    for strokes in placed:
        if strokes:
            pts = np.concatenate(strokes)
            heights.append(float(np.ptp(pts[:, 1])) or 1.0)
    spacing = line_spacing or 1.5 * (float(np.median(heights)) if heights else 1.0)
    page = []
    for i, strokes in enumerate(placed):
        if not strokes:
            page.append([])
            continue
        pts = np.concatenate(strokes)
        shift = np.array([-pts[:, 0].min(), -np.median(pts[:, 1]) - i * spacing])
        page.append([s + shift for s in strokes])
    return page


def _bounds(page: list[list[np.ndarray]], margin: float):
    pts = [s for line in page for s in line]
    if not pts:
        return 0.0, 0.0, 1.0, 1.0
    allp = np.concatenate(pts)
    x0, y0 = allp.min(axis=0) - margin
    x1, y1 = allp.max(axis=0) + margin
    return float(x0), float(y0), float(x1), float(y1)


def _smooth_path(points: np.ndarray, fmt) -> str:
    """SVG path through ``points``, smoothed with quadratic Beziers through midpoints."""
    if len(points) == 1:
        x, y = points[0]
        return f"M{fmt(x)},{fmt(y)} l0.01,0"
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        return f"M{fmt(x0)},{fmt(y0)} L{fmt(x1)},{fmt(y1)}"
    parts = [f"M{fmt(points[0][0])},{fmt(points[0][1])}"]
    mids = (points[:-1] + points[1:]) / 2.0
    parts.append(f"L{fmt(mids[0][0])},{fmt(mids[0][1])}")
    for ctrl, end in zip(points[1:-1], mids[1:]):
        parts.append(f"Q{fmt(ctrl[0])},{fmt(ctrl[1])} {fmt(end[0])},{fmt(end[1])}")
    parts.append(f"L{fmt(points[-1][0])},{fmt(points[-1][1])}")
    return " ".join(parts)


def to_svg(
    lines,
    stroke_width: float = 2.0,
    color: str = "black",
    background: str | None = "white",
    scale: float | None = None,
    margin: float = 20.0,
    smooth: bool = True,
    height: float | None = None,
    texts: Sequence[str] | None = None,
) -> str:
    """Renders one ``[eos, dx, dy]`` array, or a list of them (a page of lines), as SVG.

    Args:
        lines: one stroke array or a sequence of them (one per text line).
        stroke_width: pen width in SVG pixels.
        color: any SVG colour.
        background: fill colour, or None for transparent.
        scale: pixels per stroke unit; default fits a line to ``height`` (or 60 px per line).
        margin: margin in stroke units.
        smooth: draw quadratic curves through the points instead of straight segments.
        height: target height of one text line in pixels.
        texts: the text of each line, written as its group's ``<title>``.
    """
    if isinstance(lines, np.ndarray) and lines.ndim == 2:
        lines = [lines]
    if texts is not None and len(texts) != len(lines):
        raise ValueError(f"{len(texts)} texts for {len(lines)} lines")
    page = layout_page(list(lines))
    x0, y0, x1, y1 = _bounds(page, margin)
    if scale is None:
        heights = [float(np.ptp(np.concatenate(line)[:, 1])) for line in page if line]
        unit = float(np.median(heights)) if heights else 1.0
        scale = (height or 60.0) / max(unit, 1e-6) / 1.5
    width_px, height_px = (x1 - x0) * scale, (y1 - y0) * scale

    def fmt(v):
        return f"{v:.2f}"

    groups = []
    for i, line in enumerate(page):
        paths = [f"<title>{escape(texts[i])}</title>"] if texts is not None else []
        for stroke in line:
            xy = np.stack([(stroke[:, 0] - x0) * scale, (y1 - stroke[:, 1]) * scale], axis=1)
            d = _smooth_path(xy, fmt) if smooth else "M" + " L".join(f"{fmt(x)},{fmt(y)}" for x, y in xy)
            paths.append(f'<path d="{d}"/>')
        groups.append(f'<g class="hwsr-line">{"".join(paths)}</g>')
    bg = f'<rect width="100%" height="100%" fill={quoteattr(background)}/>' if background else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px:.0f}" height="{height_px:.0f}" '
        f'viewBox="0 0 {width_px:.2f} {height_px:.2f}" data-hwsr-scale="{float(scale)!r}">{bg}'
        f'<g fill="none" stroke={quoteattr(color)} stroke-width="{stroke_width}" '
        f'stroke-linecap="round" stroke-linejoin="round">{"".join(groups)}</g></svg>\n'
    )


def to_image(lines, height: int = 64, stroke_width: float = 2.0, max_width: int = 4000) -> np.ndarray:
    """Renders strokes to a ``[H, W]`` uint8 grayscale array (ink dark on white), with PIL.

    ``height`` is the pixel height of one text line; a page grows with its number of lines.
    """
    from PIL import Image, ImageDraw

    if isinstance(lines, np.ndarray) and lines.ndim == 2:
        lines = [lines]
    page = layout_page(list(lines))
    margin_units = 0.1
    heights = [float(np.ptp(np.concatenate(line)[:, 1])) for line in page if line]
    unit = float(np.median(heights)) if heights else 1.0
    scale = height / max(unit, 1e-6) / 1.5
    x0, y0, x1, y1 = _bounds(page, margin_units * unit)
    w = int(min(max_width, max(8, (x1 - x0) * scale)))
    h = int(max(8, (y1 - y0) * scale))
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    for line in page:
        for stroke in line:
            xy = [((x - x0) * scale, (y1 - y) * scale) for x, y in stroke]
            if len(xy) == 1:
                xy = xy * 2
            draw.line(xy, fill=0, width=max(1, round(stroke_width)), joint="curve")
    return np.asarray(image)


def to_png_bytes(lines, height: int = 64, stroke_width: float = 2.0) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_image(lines, height, stroke_width)).save(buf, format="PNG")
    return buf.getvalue()


def save(lines, path: str | os.PathLike, **kwargs) -> None:
    """Writes ``.svg`` or ``.png`` by the file extension (atomically)."""
    ext = os.path.splitext(str(path))[1].lower()
    if ext == ".svg":
        atomic_write_bytes(path, to_svg(lines, **kwargs).encode("utf-8"))
    elif ext == ".png":
        allowed = {k: v for k, v in kwargs.items() if k in ("height", "stroke_width")}
        atomic_write_bytes(path, to_png_bytes(lines, **allowed))
    else:
        raise ValueError(f"{path}: unknown image format {ext!r} (use .svg or .png)")

