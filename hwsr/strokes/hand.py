"""One hand per page: the lines of a page written at one size and one slant.

A synthesis network samples every line of a batch on its own, so the lines of one page
come out at somewhat different sizes and slants. `match_hand` brings them together: each
line is sheared to the page's median slant and scaled to the page's median writing size
(`writing_size`, the height of the core band of the writing, which follows the x-height).
Baseline spacing then follows from the common size (`hwsr.render.layout_page` spaces
lines by their median height).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwsr.strokes.representation import to_points
from hwsr.strokes.transforms import deslant, estimate_slant

#: A line is scaled by at most this factor (or its inverse): a line whose size is so far
#: off is a scribble, which scaling would only make bigger.
MAX_SCALE = 2.0
#: Shear passes per line (each re-estimates the slant, which the shear moves a little).
SLANT_PASSES = 3


def writing_size(strokes) -> float | None:
    """The height of the core band of a line's writing (about its x-height), in the
    strokes' units: the shortest height range holding half of its points, heights taken
    above the line through them (a least-squares fit of y on x, so a rising baseline does
    not count). Ascenders, descenders and capitals, sparse beside the letters' bodies,
    barely move it. None for a line of fewer than 3 points or no height.
    """
    xy = to_points(np.asarray(strokes, np.float32))[:, :2].astype(np.float64)
    if len(xy) < 3 or np.ptp(xy[:, 0]) == 0:
        return None
    baseline = np.polyval(np.polyfit(xy[:, 0], xy[:, 1], 1), xy[:, 0])
    heights = np.sort(xy[:, 1] - baseline)
    half = len(heights) // 2
    return float(np.min(heights[half:] - heights[: len(heights) - half])) or None


def match_hand(lines: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The ``[eos, dx, dy]`` lines of one page at one writing size and one slant.

    Each line is sheared (``x -> x - shear * y``) from its own slant (`estimate_slant`) to
    the median slant of the page, then scaled to the median `writing_size` of the page
    (by at most `MAX_SCALE`). Point counts and pen lifts are unchanged; lines without a
    measurable size keep their size. One line (or none) is returned as it is.
    """
    lines = [np.asarray(line, np.float32) for line in lines]
    if len(lines) < 2:
        return [line.copy() for line in lines]
    slants = [estimate_slant(line) for line in lines]
    target_slant = float(np.median(slants))
    sheared = []
    for line, slant in zip(lines, slants):
        for _ in range(SLANT_PASSES):  # The estimate moves with the shear: converge on it.
            line = deslant(line, shear=slant - target_slant)
            slant = estimate_slant(line)
        sheared.append(line)
    sizes = [writing_size(line) for line in sheared]  # Measured at the common slant.
    known = [s for s in sizes if s]
    if not known:
        return sheared
    target_size = float(np.median(known))
    for line, size in zip(sheared, sizes):
        if size:
            line[:, 1:] *= float(np.clip(target_size / size, 1 / MAX_SCALE, MAX_SCALE))
    return sheared
