"""Bounds that exported graphs and the local server enforce on every request."""

from __future__ import annotations

import dataclasses

from hwsr.inference.sampling_args import MAX_BIAS
from hwsr.inference.synthesis_io import MAX_TEXT_LENGTH
from hwsr.line_segments import MAX_SEGMENT_POINTS


@dataclasses.dataclass(frozen=True)
class ExportLimits:
    """Upper bounds baked into the exported signatures.

    Oversized requests are rejected inside the graph with an ``InvalidArgumentError`` whose
    message names the limit; ``max_steps`` requests are capped instead.

    Args:
        max_text_length: characters per text line (synthesis input).
        max_steps: points a synthesised line may have; larger requests are capped to it.
        max_points: points per line given to the recogniser; by default the longest piece
            the Python API reads in one call (`hwsr.line_segments.MAX_SEGMENT_POINTS`): the
            API cuts longer lines at pen-ups, the exports refuse them (memory in the
            self-attention grows with the square of this bound).
        max_batch: lines per request.
        max_prime_points: points of a priming line.
        max_bias: sampling bias requests must lie in ``[0, max_bias]``.
        tflite_points: fixed (padded) input length of the TFLite recogniser.
        tflite_text_length: fixed (padded) text length of the TFLite synthesis decode step.
    """

    max_text_length: int = MAX_TEXT_LENGTH
    max_steps: int = 2000
    max_points: int = MAX_SEGMENT_POINTS
    max_batch: int = 32
    max_prime_points: int = 1000
    max_bias: float = MAX_BIAS
    tflite_points: int = 1024
    tflite_text_length: int = 64

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
