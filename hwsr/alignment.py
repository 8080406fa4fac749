"""Aligning a reading with the text it should say: which kinds of characters were misread,
and which words were dropped or written twice.

`align` is the edit-distance alignment (the path behind `hwsr.metrics.edit_distance`).
On top of it:

* `class_error_counts` splits the errors of a line by the *class* of the text they hit:
  lowercase words, capitalised words (any capital letter), numbers (runs of digits) and
  punctuation (every other visible character, one token each). The tokens are those of
  `tokens`; the character error rate of a class counts its characters' edits, the word
  error rate its tokens' edits. An inserted character or token counts against the class of
  the text just before it (the text just after it at the start of a line).
* `word_failures` finds the words of the text missing from the reading and the words the
  reading has twice, as the attention window does when it skips or stalls.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Sequence

#: Token classes, in report order.
CLASSES = ("lowercase", "capitalised", "numbers", "punctuation")

# Letters (apostrophes inside a word kept: "it's", "O'Neill"), digit runs, or one other
# visible character.
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|[0-9]+|[^\sA-Za-z0-9]")


def align(reference: Sequence[Hashable],
          hypothesis: Sequence[Hashable]) -> list[tuple[int | None, int | None]]:
    """A cheapest edit path from ``reference`` to ``hypothesis`` (Levenshtein, unit costs).

    Returns:
        ``(i, j)`` pairs in order: ``(i, j)`` a match or substitution of ``reference[i]``
        by ``hypothesis[j]``, ``(i, None)`` a deletion, ``(None, j)`` an insertion. Ties
        prefer matches/substitutions, then deletions.
    """
    n, m = len(reference), len(hypothesis)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]),
                             cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    path = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            i, j = i - 1, j - 1
            path.append((i, j))
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
            path.append((i, None))
        else:
            j -= 1
            path.append((None, j))
    return path[::-1]


def tokens(text: str) -> list[tuple[str, str, int]]:
    """``(token, class, start)`` for each token of ``text``; the class is one of `CLASSES`."""
    out = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0].isdigit():
            kind = "numbers"
        elif token[0].isalpha():
            kind = "capitalised" if any(c.isupper() for c in token) else "lowercase"
        else:
            kind = "punctuation"
        out.append((token, kind, match.start()))
    return out


def character_classes(text: str) -> list[str | None]:
    """The class of each character of ``text`` (that of its token; None for white space)."""
    out: list[str | None] = [None] * len(text)
    for token, kind, start in tokens(text):
        out[start : start + len(token)] = [kind] * len(token)
    return out


def _edits_by_class(path, classes: Sequence[str | None], reference, hypothesis) -> dict[str, int]:
    """Edits of an alignment ``path``, each charged to the class of the reference item it
    hits (insertions: the previous reference item, else the next one)."""
    edits = dict.fromkeys(CLASSES, 0)
    previous = None
    pending = 0  # Insertions before the first reference item.
    for i, j in path:
        if i is None:
            if previous is None:
                pending += 1
            elif classes[previous] is not None:
                edits[classes[previous]] += 1
            continue
        if pending and classes[i] is not None:
            edits[classes[i]] += pending
        pending = 0
        previous = i
        if classes[i] is not None and (j is None or reference[i] != hypothesis[j]):
            edits[classes[i]] += 1
    return edits


def class_error_counts(reference: str, hypothesis: str) -> dict[str, dict[str, int]]:
    """Per class of `CLASSES`: character edits and characters of that class in
    ``reference``, token edits and tokens of that class.

    Returns:
        ``{class: {"char_edits", "chars", "token_edits", "tokens"}}``.
    """
    char_classes = character_classes(reference)
    char_edits = _edits_by_class(align(reference, hypothesis), char_classes, reference, hypothesis)
    ref_tokens = tokens(reference)
    ref_words = [t for t, _, _ in ref_tokens]
    hyp_words = [t for t, _, _ in tokens(hypothesis)]
    token_edits = _edits_by_class(align(ref_words, hyp_words), [k for _, k, _ in ref_tokens],
                                  ref_words, hyp_words)
    return {
        kind: {"char_edits": char_edits[kind], "chars": char_classes.count(kind),
               "token_edits": token_edits[kind], "tokens": sum(k == kind for _, k, _ in ref_tokens)}
        for kind in CLASSES
    }


@dataclasses.dataclass(frozen=True)
class WordFailures:
    """What `word_failures` found: the text's words missing from the reading, and the
    reading's extra words that repeat a neighbouring word of the text."""

    dropped: tuple[str, ...] = ()
    repeated: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.dropped or self.repeated)


def _similar(a: str, b: str, max_rate: float = 0.5) -> bool:
    from hwsr.metrics import edit_distance

    return edit_distance(a.lower(), b.lower()) <= max_rate * max(len(a), 1)


def word_failures(text: str, reading: str) -> WordFailures:
    """Dropped and repeated words of ``reading`` against ``text`` (split on white space).

    A word of the text with nothing aligned to it is dropped; an extra word of the reading
    like the text's word before or after it (at most half its characters edited) repeats
    it. (Two words written without a space between them also read as one dropped word:
    either way the line does not read as its text.)
    """
    words, read = text.split(), reading.split()
    dropped, repeated = [], []
    path = align(words, read)
    for k, (i, j) in enumerate(path):
        if j is None:
            dropped.append(words[i])
        elif i is None:
            neighbours = [path[n][0] for n in (k - 1, k + 1) if 0 <= n < len(path)]
            if any(n is not None and _similar(words[n], read[j]) for n in neighbours):
                repeated.append(read[j])
    return WordFailures(tuple(dropped), tuple(repeated))
