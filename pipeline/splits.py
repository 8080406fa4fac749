"""Deterministic train/validation splits by IAM form (never by line)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from hwsr.pipeline.corpus import form_id


def split_by_form(
    line_ids: Sequence[str], validation_fraction: float = 0.05, seed: int = 0
) -> dict[str, list[int]]:
    """Splits line indices into ``{"train": [...], "validation": [...]}`` by form.

    Every line of a form lands in the same split. A form goes to validation when a
    seeded hash of its id falls below ``validation_fraction``, so the split is
    deterministic, independent of the order of the lines, and stable when lines are
    added or removed.
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    out: dict[str, list[int]] = {"train": [], "validation": []}
    for i, line_id in enumerate(line_ids):
        digest = hashlib.sha256(f"{seed}:{form_id(line_id)}".encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        out["validation" if u < validation_fraction else "train"].append(i)
    return out
