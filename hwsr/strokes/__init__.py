"""Stroke representation, conversions, validation, normalisation and transforms."""

from hwsr.strokes.normalizer import Normalizer
from hwsr.strokes.representation import (
    InvalidStrokesError,
    bounding_box,
    from_dx_dy_eos,
    from_points,
    from_stroke_list,
    to_points,
    to_stroke_list,
    validate_strokes,
)
from hwsr.strokes.transforms import drop_points

__all__ = [
    "InvalidStrokesError",
    "Normalizer",
    "bounding_box",
    "drop_points",
    "from_dx_dy_eos",
    "from_points",
    "from_stroke_list",
    "to_points",
    "to_stroke_list",
    "validate_strokes",
]
