"""`LineCorpus`: transcribed handwriting lines in memory, the common currency of the readers."""

from __future__ import annotations

import dataclasses
import re

import numpy as np

_LINE_SUFFIX = re.compile(r"-\d+$")

#: Ids given to lines when a data folder has no ``line_ids.txt``: ``line-000000``, ...
DEFAULT_LINE_ID_FORMAT = "line-{:06d}"
_DEFAULT_LINE_ID = re.compile(r"line-\d{6,}")


def default_line_ids(count: int) -> list[str]:
    """``line-000000`` ... for folders without ``line_ids.txt``; each line is its own form."""
    return [DEFAULT_LINE_ID_FORMAT.format(i) for i in range(count)]


def form_id(line_id: str) -> str:
    """IAM form id of a line id: ``a01-000u-01`` -> ``a01-000u`` (``a01-003-07`` -> ``a01-003``).

    Ids made by `default_line_ids` carry no form, so each is its own form (otherwise every
    line of such a corpus would share the form ``line`` and land in the same split).
    """
    if _DEFAULT_LINE_ID.fullmatch(line_id):
        return line_id
    return _LINE_SUFFIX.sub("", line_id)


@dataclasses.dataclass
class LineCorpus:
    """Parallel lists of stroke arrays (``[T, 3]`` ``[eos, dx, dy]`` float32), texts and ids.

    Every reader in `hwsr.pipeline.readers` returns one; `hwsr.pipeline.sources.load_corpus`
    picks the reader.
    """

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
        """A corpus of the lines at ``indices`` (in that order; the arrays are shared)."""
        return LineCorpus(
            [self.strokes[i] for i in indices],
            [self.texts[i] for i in indices],
            [self.line_ids[i] for i in indices],
        )

    @property
    def form_ids(self) -> list[str]:
        return [form_id(i) for i in self.line_ids]
