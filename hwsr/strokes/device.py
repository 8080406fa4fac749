"""Ink from other devices brought to the units and point density a recogniser was trained on.

Tablets and pens report coordinates in their own units and sample at their own rates. A
recogniser trained on one corpus reads ink twice as large, or half as dense, far worse (on
IAM-OnDB's validation lines, scaled x3: +2.8 CER points, half the points: +10 points).
`adapt_ink` measures two things of a line that do not depend on where it came from

* its **size**: the spread of its y coordinates (10th to 90th percentile), which scales with
  the device's units but not with its sampling rate, and
* its **point spacing**: the median pen-down step divided by that size, which falls as the
  sampling rate rises but does not depend on the units,

and, where either is far outside what the training corpus holds (`InkReference`: the
medians of the training lines, and factors that few natural lines pass), rescales the line
to the corpus' median size and splits its steps towards the corpus' spacing. Lines as the
corpus has them stay as they are. Splitting steps (`interpolate_points`) is done only for
sparse ink: dropping points from dense ink would also hit the corpus' own slow writers, and
the recogniser drops every 2nd point itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from hwsr.strokes.transforms import interpolate_points

#: File name of a model dir's `InkReference`.
REFERENCE_FILE = "ink_reference.json"
#: Most splits per step (ink sampled 8 times sparser than the corpus is read as it is).
MAX_SPLIT = 8


def ink_size(strokes) -> float:
    """Spread of the line's y coordinates, 10th to 90th percentile, in its own units."""
    y = np.cumsum(np.asarray(strokes, np.float64)[:, 2])
    return float(np.percentile(y, 90) - np.percentile(y, 10))


def point_spacing(strokes) -> float:
    """Median pen-down step of the line divided by its `ink_size` (0 for a line of dots)."""
    strokes = np.asarray(strokes, np.float64)
    pen_down = np.concatenate([[False], strokes[:-1, 0] < 0.5])
    steps = np.hypot(strokes[pen_down, 1], strokes[pen_down, 2])
    size = ink_size(strokes)
    if not len(steps) or size <= 0:
        return 0.0
    return float(np.median(steps) / size)


@dataclasses.dataclass(frozen=True)
class InkReference:
    """What a recogniser's training ink looks like (`adapt_ink` moves other ink to it).

    Attributes:
        size: median `ink_size` of the training lines (raw units).
        spacing: median `point_spacing` of the training lines.
        factor: a line is rescaled only when its size is more than this factor away from the
            median (about 1 in 10 training lines is).
        split_factor: a line's steps are split only when its spacing is more than this
            factor above the median (1.3: splitting costs natural sparse lines 0.1-0.2 CER
            points on IAM-OnDB's validation lines and saves half-density ink 9; 1.6: 0.05
            and 8 points less).
        lines: how many training lines the medians were measured on.
    """

    size: float
    spacing: float
    factor: float = 1.6
    split_factor: float = 1.3
    lines: int = 0

    def __post_init__(self):
        if not (self.size > 0 and self.spacing > 0 and self.factor > 1 and self.split_factor > 1):
            raise ValueError("an ink reference needs size > 0, spacing > 0 and factors > 1, "
                             f"got {self}")

    @classmethod
    def measure(cls, lines: Iterable[np.ndarray], factor: float = 1.6,
                split_factor: float = 1.3) -> InkReference:
        """The medians of ``lines`` (raw-unit ``[eos, dx, dy]``; lines of dots are skipped)."""
        sizes, spacings = [], []
        for line in lines:
            size, spacing = ink_size(line), point_spacing(line)
            if size > 0 and spacing > 0:
                sizes.append(size)
                spacings.append(spacing)
        if not sizes:
            raise ValueError("no line with ink to measure a reference on")
        return cls(float(np.median(sizes)), float(np.median(spacings)), factor, split_factor, len(sizes))

    def save(self, path: str | os.PathLike) -> None:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> InkReference:
        try:
            return cls(**json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError) as e:
            raise ValueError(f"{path}: not a usable ink reference ({e})") from None


def adapt_ink(strokes, reference: InkReference) -> np.ndarray:
    """``strokes`` rescaled and with steps split as `reference` says (see the module).

    Returns a new array; a line within the reference's range comes back unchanged.
    """
    line = np.array(strokes, np.float32)
    size = ink_size(line)
    if size <= 0:  # A dot or a flat line: nothing to measure.
        return line
    scale = reference.size / size
    if not 1 / reference.factor <= scale <= reference.factor:
        line[:, 1:] *= scale
    ratio = point_spacing(line) / reference.spacing
    if ratio > reference.split_factor:
        line = interpolate_points(line, int(min(max(round(ratio), 2), MAX_SPLIT)))
    return line
