"""Tests for hwsr/metrics.py against hand-computed edit distances."""

import pytest

from hwsr.metrics import character_error_rate, edit_distance, error_counts, word_error_rate


@pytest.mark.parametrize(
    ("reference", "hypothesis", "distance"),
    [
        ("kitten", "sitting", 3),  # k->s, e->i, +g
        ("", "abc", 3),
        ("abc", "", 3),
        ("abc", "abc", 0),
        ("flaw", "lawn", 2),  # -f, +n
        ("ab", "ba", 2),  # No transpositions in Levenshtein distance.
        (["the", "cat", "sat"], ["the", "bat", "sat", "down"], 2),
    ],
)
def test_edit_distance(reference, hypothesis, distance):
    assert edit_distance(reference, hypothesis) == distance
    assert edit_distance(hypothesis, reference) == distance


def test_cer_is_corpus_level():
    # 1 edit in a 1-char line + 0 in a 10-char line: 1/11, not the mean of per-line rates (0.5).
    assert character_error_rate(["a", "abcdefghij"], ["b", "abcdefghij"]) == pytest.approx(1 / 11)
    assert character_error_rate(["abc", "de"], ["abd", "de"]) == pytest.approx(1 / 5)
    assert character_error_rate(["hello world"], ["hallo world"]) == pytest.approx(1 / 11)


def test_cer_counts_spaces_and_can_exceed_one():
    assert character_error_rate(["a b"], ["ab"]) == pytest.approx(1 / 3)
    assert character_error_rate(["ab"], ["xyzw"]) == pytest.approx(2.0)


def test_wer_splits_on_whitespace_and_keeps_punctuation():
    assert word_error_rate(["the cat sat"], ["the bat sat down"]) == pytest.approx(2 / 3)
    assert word_error_rate(["Hello, world."], ["Hello world."]) == pytest.approx(1 / 2)
    assert word_error_rate(["a  b\tc"], ["a b c"]) == 0.0
    assert word_error_rate(["one two", "three"], ["one two", ""]) == pytest.approx(1 / 3)


def test_error_counts():
    assert error_counts(["abc", "de"], ["abd", ""]) == (3, 5)
    assert error_counts(["a b c", "d"], ["a c", "d e"], unit="word") == (2, 4)
    with pytest.raises(ValueError, match="unit="):
        error_counts(["a"], ["a"], unit="line")


def test_empty_references():
    assert character_error_rate([], []) == 0.0
    assert character_error_rate([""], [""]) == 0.0
    assert character_error_rate([""], ["x"]) == float("inf")


def test_bad_arguments():
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        character_error_rate(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="list of lines"):
        character_error_rate("abc", "abd")
    with pytest.raises(TypeError, match="list of lines"):
        word_error_rate(["abc"], "abd")
