"""`LineCorpus`: transcribed handwriting lines in memory, the common currency of the readers."""

from __future__ import annotations

import dataclasses
import re

import numpy as np

_LINE_SUFFIX = re.compile(r"-\d+$")


def form_id(line_id: str) -> str:
    """IAM form id of a line id: ``a01-000u-01`` -> ``a01-000u``."""
    return _LINE_SUFFIX.sub("", line_id)


@dataclasses.dataclass
class LineCorpus:
    """Parallel lists of stroke arrays (``[T, 3]`` ``[eos, dx, dy]`` float32), texts and ids."""

    strokes: list[np.ndarray]
    texts: list[str]
    line_ids: list[str]

    def __post_init__(self):
        if not (len(self.strokes) == len(self.texts) == len(self.line_ids)):
            raise ValueError(
                f"mismatched corpus: {len(self.strokes)} stroke arrays, {len(self.texts)} texts, "
                f"{len(self.line_ids)} line ids"
            )

    def __len__(self) -> int:
        return len(self.strokes)

    def subset(self, indices) -> LineCorpus:
        return LineCorpus(
            [self.strokes[i] for i in indices],
            [self.texts[i] for i in indices],
            [self.line_ids[i] for i in indices],
        )

    @property
    def form_ids(self) -> list[str]:
        return [form_id(i) for i in self.line_ids]
