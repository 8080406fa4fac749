"""Tests for hwsr/evaluation.py's scores that need no model."""

import pytest

from hwsr.evaluation import legibility_scores, word_likeness


def test_word_likeness_counts_lexicon_words_among_tokens_of_three_letters():
    lexicon = {"the", "cat", "sat"}
    scores = word_likeness(["The cat, xqzv", "sat (on) it. zzzzzzzz"], lexicon)
    # Tokens of 3+ letters: the, cat, xqzv, sat, zzzzzzzz ("on", "it" are too short).
    assert scores["tokens"] == 5 and scores["lexicon_words"] == 3
    assert scores["word_share"] == pytest.approx(0.6)
    assert scores["mean_token_length"] == pytest.approx((3 + 3 + 4 + 3 + 8) / 5)
    assert word_likeness(["ab", ""], lexicon) == {"tokens": 0, "lexicon_words": 0, "word_share": 0.0,
                                                  "mean_token_length": 0.0}
    assert word_likeness(["on it"], {"on", "it"}, min_letters=2)["word_share"] == 1.0


def test_legibility_scores_give_the_worst_line_and_classes():
    scores = legibility_scores(["abc", "Hello 12"], ["abc", "Hallo 1"])
    assert scores["max_line_cer"] == pytest.approx(2 / 8)
    assert scores["cer"] == pytest.approx(2 / 11)
    assert list(scores["classes"]) == ["lowercase", "capitalised", "numbers", "punctuation"]
