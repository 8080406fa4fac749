"""Stroke representation, conversions, validation, normalisation, transforms and layout."""

from hwsr.strokes.layout import line_origins, split_line_indices, split_lines
from hwsr.strokes.normalizer import Normalizer
from hwsr.strokes.representation import (
    InvalidStrokesError,
    bounding_box,
    from_dx_dy_eos,
    from_points,
    from_stroke_list,
    stroke_spans,
    to_points,
    to_stroke_list,
    validate_strokes,
)
from hwsr.strokes.transforms import (
    deslant,
    drop_points,
    estimate_slant,
    interpolate_points,
    resample,
    smooth,
)

__all__ = [
    "InvalidStrokesError",
    "Normalizer",
    "bounding_box",
    "deslant",
    "drop_points",
    "estimate_slant",
    "from_dx_dy_eos",
    "from_points",
    "from_stroke_list",
    "interpolate_points",
    "line_origins",
    "resample",
    "smooth",
    "split_line_indices",
    "split_lines",
    "stroke_spans",
    "to_points",
    "to_stroke_list",
    "validate_strokes",
]
