"""Oversampling of training lines that hold rare characters (digits, capitals, punctuation).

IAM-OnDB is mostly lowercase prose: in its 11,636 lines ``e`` occurs 34,279 times but ``8``
only 40 and ``&`` once, and only 3 % of the lines hold a digit. A network trained on that
stream sees a digit so rarely that it writes (or reads) one as scribble. `rare_line_repeats`
gives every line a repeat count from the rarest character it holds,

    repeats = clip(round((threshold / count(rarest character)) ** power), 1, max_repeats),

where ``count`` is over the lines given, so that a line of common characters appears once
per epoch and a line with a rare character up to ``max_repeats`` times. `oversample` applies
the counts to `Examples`. With ``power=1``, ``threshold=500`` and ``max_repeats=8`` the IAM
training epoch grows 1.7x and the share of lines with a digit goes from 3 % to 11 %.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence

import numpy as np

from hwsr.pipeline.examples import Examples


def rare_line_repeats(codes: Sequence[np.ndarray], power: float, threshold: int = 500,
                      max_repeats: int = 8) -> np.ndarray:
    """How often each line goes into an epoch (int ``[N]``, each in ``[1, max_repeats]``).

    Args:
        codes: the encoded text of each line (code 0, padding, is ignored).
        power: how strongly rarity is boosted; 0 gives every line once.
        threshold: characters seen at least this often over all lines are not boosted.
        max_repeats: the cap on any line's count.

    Example:

    >>> import numpy as np
    >>> rare_line_repeats([np.array([1, 1]), np.array([1, 2])] * 2, power=1.0, threshold=4)
    array([1, 2, 1, 2])
    """
    if power < 0 or threshold < 1 or max_repeats < 1:
        raise ValueError(f"need power >= 0, threshold >= 1 and max_repeats >= 1, got "
                         f"{power}, {threshold}, {max_repeats}")
    counts = collections.Counter(int(c) for line in codes for c in np.asarray(line) if c > 0)
    repeats = np.ones(len(codes), np.int64)
    if power == 0:
        return repeats
    for i, line in enumerate(codes):
        present = [counts[int(c)] for c in np.asarray(line) if c > 0]
        if present:
            boost = (threshold / min(present)) ** power
            repeats[i] = int(np.clip(np.round(boost), 1, max_repeats))
    return repeats


def oversample(examples: Examples, repeats: Sequence[int]) -> Examples:
    """``examples`` with line ``i`` present ``repeats[i]`` times (copies share their arrays)."""
    if len(repeats) != len(examples):
        raise ValueError(f"{len(repeats)} repeat counts for {len(examples)} examples")
    index = np.repeat(np.arange(len(examples)), np.asarray(repeats, np.int64))
    return Examples([examples.strokes[i] for i in index], [examples.codes[i] for i in index],
                    [examples.line_ids[i] for i in index])
