"""Tests for pipeline/corpus.py (imported as hwsr.pipeline.corpus)."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.pipeline.corpus import LineCorpus, default_line_ids, form_id
from hwsr.pipeline.splits import split_by_form


def _corpus(n: int = 3) -> LineCorpus:
    strokes = [np.array([[0, 0, 0], [1, float(i), 1]], np.float32) for i in range(n)]
    return LineCorpus(strokes, [f"text {i}" for i in range(n)], [f"a01-00{i}u-01" for i in range(n)])


def test_mismatched_lengths_are_rejected_with_the_counts():
    with pytest.raises(ValueError, match="2 stroke arrays, 1 texts, 2 line ids"):
        LineCorpus([np.zeros((1, 3))] * 2, ["a"], ["x-01", "x-02"])


def test_len_subset_and_form_ids():
    corpus = _corpus(3)
    assert len(corpus) == 3
    sub = corpus.subset([2, 0])
    assert sub.texts == ["text 2", "text 0"]
    assert sub.line_ids == ["a01-002u-01", "a01-000u-01"]
    assert sub.strokes[0] is corpus.strokes[2]
    assert corpus.form_ids == ["a01-000u", "a01-001u", "a01-002u"]
    assert len(corpus.subset([])) == 0


def test_form_id():
    assert form_id("a01-000u-01") == "a01-000u"
    assert form_id("a01-003-07") == "a01-003"
    assert form_id("no_suffix") == "no_suffix"


def test_default_line_ids_are_each_their_own_form():
    ids = default_line_ids(400)
    assert ids[:2] == ["line-000000", "line-000001"]
    assert len({form_id(i) for i in ids}) == 400
    split = split_by_form(ids, validation_fraction=0.25)
    assert split["validation"] and split["train"]
