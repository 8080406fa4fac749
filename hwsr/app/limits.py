"""Bounds on the work one request may ask of the web app (the same as ``hwsr serve``'s)."""

from __future__ import annotations

import dataclasses

from hwsr.export.limits import ExportLimits

_EXPORT = ExportLimits()


@dataclasses.dataclass(frozen=True)
class AppLimits:
    """Input limits of `hwsr.app`; a request over one gets a 4xx answer naming it.

    The defaults are those of the exported graphs (`hwsr.export.limits.ExportLimits`) and
    of the local server ``hwsr serve`` (body size, model calls at once, queue wait).

    Args:
        max_text_length: characters of text one generation may write (all its lines).
        max_lines: lines of one page, read or written.
        max_points: pen points of one line given to the recogniser (also of a written line
            sent back for download).
        max_page_points: pen points of a whole page sent for reading.
        max_prime_points: pen points of the line that primes "your own hand".
        max_steps: points the sampler may take for one line (at the model's density).
        max_bias: sampling bias is clipped to ``[0, max_bias]``.
        max_body_bytes: largest request body.
        max_concurrent: generations (and, separately, recognitions) running at once; more
            wait their turn.
        queue_timeout: seconds a request may wait for its turn before a 503 answer.
    """

    max_text_length: int = _EXPORT.max_text_length
    max_lines: int = _EXPORT.max_batch
    max_points: int = _EXPORT.max_points
    max_page_points: int = 4 * _EXPORT.max_points
    max_prime_points: int = _EXPORT.max_prime_points
    max_steps: int = _EXPORT.max_steps
    max_bias: float = _EXPORT.max_bias
    max_body_bytes: int = 16 * 1024 * 1024
    max_concurrent: int = 2
    queue_timeout: float = 60.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
