"""Checks the JSON bodies the page sends and turns them into what the models take.

Every problem raises `PayloadError` (a ``ValueError``) whose message names the field and the
limit, and that the server answers with a 4xx status and ``{"error": message}``.

Canvas ink arrives as JSON ink in CSS pixels, y down: ``{"strokes": [[[x, y, t, p], ...],
...]}`` (``t`` in ms and pressure ``p`` are kept by the page for its own export and ignored
here). The recogniser and the synthesiser work in the units of IAM-OnDB, whose writing is
much larger than a canvas's, so `to_model_units` scales canvas ink to IAM-OnDB's writing
size (median pen-stroke height 159 units, over every 40th of its 11,636 lines); it keeps the point
density as it is (120 validation lines shrunk to canvas size read at 8.6 % CER after this
scaling, 15.8 % when also resampled to equal spacing; 7.9 % as recorded).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from hwsr.app.limits import AppLimits
from hwsr.defaults import DEFAULT_BIAS, DEFAULT_STYLE, FREE_HAND
from hwsr.strokes import (
    InvalidStrokesError,
    from_stroke_list,
    split_line_indices,
    stroke_spans,
    to_points,
    validate_strokes,
)

#: Median height of a pen stroke in IAM-OnDB's raw units (median over the lines of
#: ``shared/data/iam_ondb_lines`` (every 40th) of each line's median stroke height, dots left out).
IAM_STROKE_HEIGHT = 159.0
#: Characters per written line when the page wraps a text (``Synthesizer.write``'s default).
DEFAULT_WRAP = 40


class PayloadError(ValueError):
    """A request the app refuses; ``status`` is the HTTP code of the answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _require(condition: bool, message: str, status: int = 400) -> None:
    if not condition:
        raise PayloadError(message, status)


def _number(body: dict, key: str, default, kind=float, low=None, high=None):
    value = body.get(key, default)
    if value is None:
        return default
    _require(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
             f"{key} must be a number, got {value!r}")
    _require(kind is float or float(value).is_integer(), f"{key} must be a whole number, got {value!r}")
    value = kind(value)
    _require(low is None or value >= low, f"{key} must be at least {low}, got {value}")
    _require(high is None or value <= high, f"{key} must be at most {high}, got {value}")
    return value


def _object(body, what: str) -> dict:
    _require(isinstance(body, dict), f"{what} must be a JSON object, got {type(body).__name__}")
    return body


def canvas_strokes(body, max_points: int, what: str = "ink") -> np.ndarray:
    """``{"strokes": [[[x, y, ...], ...], ...]}`` (screen pixels, y down) -> ``[eos, dx, dy]``.

    Raises:
        PayloadError: not that shape, a point that is not finite numbers, no points, or more
            than ``max_points`` points (413).
    """
    strokes = _object(body, what).get("strokes")
    _require(isinstance(strokes, list) and strokes, f'{what}: expected "strokes": [[[x, y], ...], ...] '
             "with at least one stroke")
    _require(all(isinstance(s, list) for s in strokes), f"{what}: every stroke must be a list of points")
    total = sum(len(s) for s in strokes)
    _require(total <= max_points, f"{what} has {total} points, over the limit of {max_points}; "
             "clear the canvas or write less", status=413)
    arrays = []
    for i, stroke in enumerate(strokes):
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError):
            raise PayloadError(f"{what}: stroke {i} is not a list of [x, y, ...] numbers") from None
        _require((points.ndim == 2 and points.shape[1] >= 2) or points.size == 0,
                 f"{what}: stroke {i} is not a list of [x, y, ...] numbers")
        _require(bool(np.isfinite(points).all()), f"{what}: stroke {i} has a coordinate that is not finite")
        arrays.append(points)
    try:
        return from_stroke_list(arrays, y_up=False).astype(np.float32)
    except InvalidStrokesError as e:
        raise PayloadError(f"{what}: {e}") from None


def _stroke_height(strokes: np.ndarray) -> float:
    """Median height of the pen strokes that have one (dots left out); 0 for flat ink."""
    points = to_points(strokes)
    heights = [np.ptp(points[a:b, 1]) for a, b in stroke_spans(strokes)]
    heights = [h for h in heights if h > 0]
    return float(np.median(heights)) if heights else 0.0


def to_model_units(strokes: np.ndarray) -> np.ndarray:
    """Scales ink (any units) to IAM-OnDB's writing size, keeping every point."""
    height = _stroke_height(strokes)
    scale = IAM_STROKE_HEIGHT / height if height > 0 else 1.0
    out = strokes.copy()
    out[:, 1:] *= scale
    return out


def model_lines(body, limits: AppLimits, what: str = "lines") -> list[np.ndarray]:
    """``{"lines": [[[eos, dx, dy], ...], ...]}`` (as the generation stream sent them)."""
    lines = _object(body, what).get("lines")
    _require(isinstance(lines, list) and lines, 'expected "lines": [[[eos, dx, dy], ...], ...]')
    _require(len(lines) <= limits.max_lines, f"{len(lines)} lines, over the limit of {limits.max_lines}",
             status=413)
    out = []
    for i, line in enumerate(lines):
        _require(isinstance(line, list) and len(line) <= limits.max_points,
                 f"line {i}: expected a list of at most {limits.max_points} [eos, dx, dy] rows")
        try:
            out.append(validate_strokes(np.asarray(line, dtype=np.float32), source=f"line {i}"))
        except (TypeError, ValueError) as e:
            raise PayloadError(f"line {i}: {e}" if isinstance(e, InvalidStrokesError) else
                               f"line {i}: not a list of [eos, dx, dy] numbers") from None
    return out


@dataclasses.dataclass(frozen=True)
class GenerationRequest:
    """What to write and how (see `generation_request`)."""

    text: str
    bias: float = DEFAULT_BIAS
    seed: int = 0
    style: int | str = DEFAULT_STYLE
    prime: tuple[np.ndarray, str] | None = None
    width: int = DEFAULT_WRAP


def generation_request(body, limits: AppLimits, styles: list[int]) -> GenerationRequest:
    """``{"text", "bias"?, "seed"?, "style"?: N, "prime"?: {"strokes", "text"}, "width"?}``.

    ``style`` is a bundled style id, ``"free"`` (no priming: a new hand per seed) or
    ``"default"`` (the model's default style, also when it is left out); ``prime`` is a line
    written on the canvas (canvas ink, see `canvas_strokes`) with the text it says, to write
    in that hand. Bias is clipped to ``[0, max_bias]``.
    """
    body = _object(body, "the request")
    text = body.get("text")
    _require(isinstance(text, str) and text.strip() != "", "type some text to write")
    _require(len(text) <= limits.max_text_length,
             f"the text has {len(text)} characters, over the limit of {limits.max_text_length}; "
             "write it in parts", status=413)
    bias = min(max(_number(body, "bias", DEFAULT_BIAS), 0.0), limits.max_bias)
    seed = _number(body, "seed", 0, int, 0, 2**31 - 1)
    width = _number(body, "width", DEFAULT_WRAP, int, 8, limits.max_text_length)
    style = body.get("style")  # None (or left out): the default style
    if style is not None and style not in (DEFAULT_STYLE, FREE_HAND):
        _require(not isinstance(style, str), f"unknown style {style!r}; give a bundled style id, "
                 f"{DEFAULT_STYLE!r} or {FREE_HAND!r}")
        style = _number(body, "style", None, int)
        _require(style in styles, f"unknown style {style}; bundled styles: {styles or 'none'}")
    prime = body.get("prime")
    if prime is not None:
        _require(style is None, "give a bundled style or your own line to imitate, not both")
        prime = _object(prime, "prime")
        prime_text = prime.get("text")
        _require(isinstance(prime_text, str) and prime_text.strip() != "",
                 "type what your line on the canvas says, to write in your hand")
        _require(len(prime_text) <= limits.max_text_length,
                 f"the text of your line is over the limit of {limits.max_text_length} characters")
        strokes = canvas_strokes(prime, limits.max_prime_points, what="your line")
        lines = len(split_line_indices(strokes))
        _require(lines == 1, f"write one line on the canvas to write in your hand (it holds {lines})")
        prime = (to_model_units(strokes), prime_text.strip())
    return GenerationRequest(text=text, bias=bias, seed=seed, style=DEFAULT_STYLE if style is None else style,
                             prime=prime, width=width)
