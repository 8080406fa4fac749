"""Tests for hwsr/alignment.py: edit paths, per-class error counts, dropped/repeated words."""

import random

import pytest

from hwsr.alignment import (
    CLASSES,
    align,
    character_classes,
    class_error_counts,
    tokens,
    word_failures,
)
from hwsr.metrics import edit_distance


def path_cost(path, ref, hyp):
    return sum(i is None or j is None or ref[i] != hyp[j] for i, j in path)


def test_align_is_a_cheapest_path_covering_both_sequences():
    rng = random.Random(0)
    for _ in range(200):
        ref = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 9)))
        hyp = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 9)))
        path = align(ref, hyp)
        assert [i for i, _ in path if i is not None] == list(range(len(ref)))
        assert [j for _, j in path if j is not None] == list(range(len(hyp)))
        assert path_cost(path, ref, hyp) == edit_distance(ref, hyp)


def test_align_marks_deletions_and_insertions():
    assert align("abc", "ac") == [(0, 0), (1, None), (2, 1)]
    assert align("ac", "abc") == [(0, 0), (None, 1), (1, 2)]
    path = align(["the", "cat"], ["the", "the", "cat"])
    assert [j for i, j in path if i is None] in ([0], [1]) and (1, 2) in path
    assert align("", "") == []


def test_tokens_and_their_classes():
    text = "Invoice #2047: pay 315.80, it's O'Neill's JFK!"
    assert [(t, k) for t, k, _ in tokens(text)] == [
        ("Invoice", "capitalised"), ("#", "punctuation"), ("2047", "numbers"), (":", "punctuation"),
        ("pay", "lowercase"), ("315", "numbers"), (".", "punctuation"), ("80", "numbers"),
        (",", "punctuation"), ("it's", "lowercase"), ("O'Neill's", "capitalised"), ("JFK", "capitalised"),
        ("!", "punctuation")]
    classes = character_classes("Hi 3.")
    assert classes == ["capitalised", "capitalised", None, "numbers", "punctuation"]


def test_class_error_counts_charge_each_class_for_its_own_errors():
    counts = class_error_counts("Pay 315 now.", "Pay 316 now")
    assert counts["numbers"] == {"char_edits": 1, "chars": 3, "token_edits": 1, "tokens": 1}
    assert counts["punctuation"] == {"char_edits": 1, "chars": 1, "token_edits": 1, "tokens": 1}
    assert counts["lowercase"] == {"char_edits": 0, "chars": 3, "token_edits": 0, "tokens": 1}
    assert counts["capitalised"] == {"char_edits": 0, "chars": 3, "token_edits": 0, "tokens": 1}
    # A perfect reading has no edits; every class's characters are counted.
    perfect = class_error_counts("Room 101, left!", "Room 101, left!")
    assert all(c["char_edits"] == c["token_edits"] == 0 for c in perfect.values())
    assert sum(c["chars"] for c in perfect.values()) == len("Room 101, left!") - 2  # Two spaces.
    assert set(perfect) == set(CLASSES)


def test_insertions_are_charged_to_the_text_before_them():
    counts = class_error_counts("ok 42", "ok 42!!")
    assert counts["numbers"]["char_edits"] == 2 and counts["lowercase"]["char_edits"] == 0
    # At the start of a line: the text after them.
    counts = class_error_counts("ok", "..ok")
    assert counts["lowercase"]["char_edits"] == 2


@pytest.mark.parametrize("text, reading, dropped, repeated", [
    ("the cat sat", "the cat sat", (), ()),
    ("the cat sat", "the sat", ("cat",), ()),
    ("the cat sat", "the cat cat sat", (), ("cat",)),
    ("the cat sat", "the cal sat", (), ()),  # A misread word is neither.
    ("the cat sat", "the cat dog sat", (), ()),  # An extra word unlike its neighbours.
    ("go to the park", "go tothe park", ("to",), ()),
])
def test_word_failures(text, reading, dropped, repeated):
    failures = word_failures(text, reading)
    assert failures.dropped == dropped and failures.repeated == repeated
    assert bool(failures) == bool(dropped or repeated)
