"""What the web app does with the models: read a page, write a text line by line, export.

`HandwritingService` knows nothing of HTTP: it takes the decoded JSON bodies, checks them
(`hwsr.app.payloads`), runs the core API (`hwsr.Recognizer`, `hwsr.Synthesizer`) and gives
plain dicts back. `hwsr.app.server` puts it on the web.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hwsr import ink, render
from hwsr.app.limits import AppLimits
from hwsr.app.payloads import (
    GenerationRequest,
    PayloadError,
    canvas_strokes,
    generation_request,
    model_lines,
    to_model_units,
)
from hwsr.defaults import DEFAULT_BIAS
from hwsr.recognizer import Recognizer
from hwsr.strokes import split_lines, to_stroke_list
from hwsr.synthesizer import Synthesizer, wrap_text

#: Readings shown per line (the N best of the beam search).
CANDIDATES = 5
#: Formats of ``export``: media type and file name.
EXPORTS = {
    "svg": ("image/svg+xml", "handwriting.svg"),
    "png": ("image/png", "handwriting.png"),
    "inkml": ("application/inkml+xml", "handwriting.inkml"),
}
#: Ink files the page can open (`hwsr.ink.read_ink` reads them).
IMPORT_SUFFIXES = (".inkml", ".json", ".xml")
#: Pixel height of one text line in a PNG download, and in an SVG (`hwsr.render.to_svg`).
PNG_LINE_HEIGHT = 96
SVG_LINE_HEIGHT = 60


def _rounded(array: np.ndarray, digits: int = 1) -> list:
    return np.round(array.astype(np.float64), digits).tolist()


class HandwritingService:
    """The models behind the web app and the work of each request, within `AppLimits`.

    Args:
        synthesizer: writes text (`hwsr.Synthesizer`).
        recognizer: reads ink (`hwsr.Recognizer`).
        limits: bounds on every request.
    """

    def __init__(self, synthesizer: Synthesizer, recognizer: Recognizer, limits: AppLimits | None = None):
        self.synthesizer = synthesizer
        self.recognizer = recognizer
        self.limits = limits or AppLimits()

    @classmethod
    def from_pretrained(cls, limits: AppLimits | None = None) -> HandwritingService:
        """The shipped models (no download)."""
        return cls(Synthesizer.from_pretrained(), Recognizer.from_pretrained(), limits)

    def info(self) -> dict:
        """What the page needs to build its controls: styles, defaults and limits."""
        return {"styles": self.synthesizer.styles(), "default_style": self.synthesizer.default_style,
                "default_bias": DEFAULT_BIAS,
                "limits": self.limits.to_dict()}

    # Ink -> text -------------------------------------------------------------------------

    def read_lines(self, lines: list[np.ndarray]) -> list[list[dict]]:
        """The N best readings of each line, best first, each ``{"text", "score"}``: the
        recogniser's beam search, with its language model when it has one (the shipped
        recogniser does); ``score`` is the decoder's ranking score."""
        results = self.recognizer.recognize(lines, method="beam", candidates=CANDIDATES)
        return [[{"text": c.text, "score": round(float(c.score), 3)} for c in result.candidates]
                for result in results]

    def read_page(self, body) -> dict:
        """``{"strokes": canvas ink}`` -> ``{"lines": [{"text", "candidates"}], "text"}``.

        The page is split into text lines (`hwsr.strokes.split_lines`), each scaled to the
        recogniser's units and read; ``text`` joins the best readings with newlines.
        """
        limits = self.limits
        strokes = canvas_strokes(body, limits.max_page_points)
        lines = split_lines(strokes)
        if len(lines) > limits.max_lines:
            raise PayloadError(f"the page has {len(lines)} lines, over the limit of {limits.max_lines}", 413)
        for i, line in enumerate(lines):
            if len(line) > limits.max_points:
                raise PayloadError(f"line {i + 1} has {len(line)} points, over the limit of "
                                   f"{limits.max_points}; split it into shorter lines", 413)
        readings = self.read_lines([to_model_units(line) for line in lines])
        return {"lines": [{"text": c[0]["text"], "candidates": c} for c in readings],
                "text": "\n".join(c[0]["text"] for c in readings)}

    def import_ink(self, name: str, data: bytes) -> dict:
        """An ink file's bytes (InkML, JSON ink, IAM-OnDB XML) -> ``{"strokes": [[[x, y], ...]]}``
        in the file's units with y down, for the page to scale onto its canvas."""
        suffix = Path(name).suffix.lower()
        if suffix not in IMPORT_SUFFIXES:
            raise PayloadError(f"{name}: open an InkML (.inkml), JSON ink (.json) or IAM-OnDB (.xml) file")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"ink{suffix}"
            path.write_bytes(data)
            try:
                strokes = ink.read_ink(path)
            except ValueError as e:
                raise PayloadError(str(e).replace(str(path), name)) from None
        if len(strokes) > self.limits.max_page_points:
            raise PayloadError(f"{name} has {len(strokes)} points, over the limit of "
                               f"{self.limits.max_page_points}", 413)
        return {"strokes": [_rounded(s * np.array([1.0, -1.0]), 2) for s in to_stroke_list(strokes)]}

    # Text -> ink -------------------------------------------------------------------------

    def plan_generation(self, body) -> tuple[GenerationRequest, list[str]]:
        """Checks a generation request before anything is written: ``(request, lines)``.

        Raises:
            PayloadError: a bad field, a limit passed, or characters the model cannot write.
        """
        request = generation_request(body, self.limits, self.synthesizer.styles())
        texts = wrap_text(request.text, request.width)
        if not texts:
            raise PayloadError("type some text to write")
        if len(texts) > self.limits.max_lines:
            raise PayloadError(f"the text wraps into {len(texts)} lines, over the limit of "
                               f"{self.limits.max_lines}", 413)
        try:
            texts = self.synthesizer.check_texts(texts)
            if request.prime is not None:
                self.synthesizer.check_texts([request.prime[1]])
        except ValueError as e:
            raise PayloadError(str(e)) from None
        return request, texts

    def write_events(self, request: GenerationRequest, texts: list[str]) -> Iterator[dict]:
        """Writes the lines one after another and yields, as each line is done, its raw
        strokes and then its pen strokes placed on the page, one event per pen stroke.

        Events: ``{"type": "start", "lines": [...]}``; per line ``{"type": "line", "index",
        "text", "strokes": [[eos, dx, dy], ...]}`` and ``{"type": "stroke", "line", "points":
        [[x, y], ...]}`` (page units, y down, line ``i`` at ``i * spacing``); then ``{"type":
        "done", "seconds"}``. The model samples a whole line in one graph call, so strokes
        come in bursts, one line at a time.
        """
        start = time.perf_counter()
        style = request.prime if request.prime is not None else request.style
        yield {"type": "start", "lines": texts}
        spacing = None
        for i, text in enumerate(texts):
            steps = min(self.synthesizer.max_steps_for([text]), self.limits.max_steps)
            [line] = self.synthesizer.generate([text], bias=request.bias, seed=request.seed, style=style,
                                               max_steps=steps)
            yield {"type": "line", "index": i, "text": text, "strokes": _rounded(line, 2)}
            pen_strokes = to_stroke_list(line)
            points = np.concatenate(pen_strokes)
            spacing = spacing or 1.5 * max(float(np.ptp(points[:, 1])), 1.0)
            origin = np.array([points[:, 0].min(), np.median(points[:, 1])])
            for stroke in pen_strokes:
                placed = (stroke - origin) * np.array([1.0, -1.0]) + np.array([0.0, i * spacing])
                yield {"type": "stroke", "line": i, "points": _rounded(placed)}
        yield {"type": "done", "seconds": round(time.perf_counter() - start, 3)}

    # Downloads -------------------------------------------------------------------------

    def export(self, fmt: str, body) -> tuple[bytes, str, str]:
        """``{"lines": [...], "stroke_width"?, "color"?, "text"?}`` -> ``(data, media type,
        file name)`` of an SVG, PNG or InkML file of the written lines."""
        from PIL import ImageColor

        if fmt not in EXPORTS:
            raise PayloadError(f"unknown format {fmt!r}; expected one of {sorted(EXPORTS)}", 404)
        lines = model_lines(body, self.limits)
        width = body.get("stroke_width", 2.0)
        color = body.get("color", "black")
        text = body.get("text")
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0.1 <= width <= 20:
            raise PayloadError(f"stroke_width must be a number from 0.1 to 20, got {width!r}")
        try:
            rgb = np.array(ImageColor.getrgb(color)[:3], np.float64)
        except (ValueError, AttributeError, TypeError):
            raise PayloadError(f"color {color!r} is not a colour (use a name or #rrggbb)") from None
        if text is not None and not isinstance(text, str):
            raise PayloadError("text must be a string")
        media_type, filename = EXPORTS[fmt]
        if fmt == "svg":
            data = render.to_svg(lines, stroke_width=width, color=color).encode("utf-8")
        elif fmt == "png":
            data = _colour_png(lines, width, rgb)
        else:
            data = _inkml_page(lines, text)
        return data, media_type, filename


def _inkml_page(lines: list[np.ndarray], text: str | None) -> bytes:
    """InkML of the lines laid out as `render.to_svg` lays them out, one ``<traceGroup>`` per
    line with its transcription (the lines of ``text``, when it has one per line)."""
    texts = text.split("\n") if text is not None else []
    if len(texts) != len(lines):
        texts = [text] + [None] * (len(lines) - 1)
    page = []
    for line, placed, line_text in zip(lines, render.layout_page(lines), texts):
        canonical = line.copy()
        canonical[0, 1:] = 0.0
        page.append(ink.InkLine(canonical, text=line_text, origin=tuple(placed[0][0])))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.inkml"
        ink.write_inkml_page(path, page)
        return path.read_bytes()


def _colour_png(lines: list[np.ndarray], stroke_width: float, rgb: np.ndarray) -> bytes:
    """A PNG of the lines in colour ``rgb`` on white (the grey levels of `render.to_image`
    used as ink coverage)."""
    import io

    from PIL import Image

    width = stroke_width * PNG_LINE_HEIGHT / SVG_LINE_HEIGHT  # As thick as in the SVG.
    coverage = 1.0 - render.to_image(lines, height=PNG_LINE_HEIGHT, stroke_width=width) / 255.0
    pixels = 255.0 - coverage[..., None] * (255.0 - rgb)
    buffer = io.BytesIO()
    Image.fromarray(np.round(pixels).astype(np.uint8), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()
