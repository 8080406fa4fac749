"""Recognition error rates: character (CER) and word (WER) error rate by edit distance.

Both are corpus-level: the edits of all lines summed, divided by the summed reference
length (so long lines weigh more than short ones, as in the IAM-OnDB literature).

Example:

>>> character_error_rate(["hello world"], ["hallo world"])
0.0909...
>>> word_error_rate(["hello world"], ["hallo world"])
0.5
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def edit_distance(reference: Sequence[Hashable], hypothesis: Sequence[Hashable]) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions (each
    costing 1) that turn ``reference`` into ``hypothesis``. Works on strings (characters)
    and on lists (e.g. words)."""
    if len(reference) < len(hypothesis):
        reference, hypothesis = hypothesis, reference  # The distance is symmetric.
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, start=1):
        current = [i]
        for j, h in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def _check_pairs(references: Sequence[str], hypotheses: Sequence[str]) -> None:
    for name, value in (("references", references), ("hypotheses", hypotheses)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a list of lines, not one string (wrap it in a list)")
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")


def _rate(edits: int, total: int) -> float:
    if total == 0:
        return 0.0 if edits == 0 else float("inf")
    return edits / total


def error_counts(references: Sequence[str], hypotheses: Sequence[str], unit: str = "char") -> tuple[int, int]:
    """``(total edits, total reference length)`` in characters (``unit="char"``) or in
    whitespace-separated words (``unit="word"``)."""
    _check_pairs(references, hypotheses)
    if unit not in ("char", "word"):
        raise ValueError(f"unit={unit!r}: expected 'char' or 'word'")
    edits = total = 0
    for ref, hyp in zip(references, hypotheses):
        if unit == "word":
            ref, hyp = ref.split(), hyp.split()
        edits += edit_distance(ref, hyp)
        total += len(ref)
    return edits, total


def character_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus CER: character edits over all lines / reference characters over all lines.

    Spaces count as characters. Returns 0.0 for no references at all, and ``inf`` when the
    references are all empty but some hypothesis is not.
    """
    return _rate(*error_counts(references, hypotheses, "char"))


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER: word edits / reference words, words being split on whitespace
    (punctuation stays attached to its word, as in the IAM-OnDB transcriptions)."""
    return _rate(*error_counts(references, hypotheses, "word"))
