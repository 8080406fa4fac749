"""Tests for hwsr/language_model.py: Kneser-Ney estimation, queries and the file format."""

import numpy as np
import pytest

from hwsr.alphabet import IAM_ONDB_CHARACTERS
from hwsr.language_model import BOS, EOS, CharNgramLM, LanguageModelError, shipped_path

TEXTS = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat and a dog",
    "then the cat ran off",
    "The end.",
]


@pytest.fixture(scope="module", params=[{}, {3: 2, 4: 2}], ids=["full", "pruned"])
def lm(request):
    return CharNgramLM.estimate(TEXTS, "abcdefghijklmnopqrstuvwxyz .T", order=4, min_counts=request.param,
                                lexicon=["the", "cat"], meta={"trained_on": "tests"})


HISTORIES = ["", "t", "th", "the", "the c", "zzz", "q", "The end."]


def test_every_distribution_sums_to_one(lm):
    rows = np.exp(lm.log_probs(lm.contexts(HISTORIES)))
    assert rows[:, BOS].max() == 0.0  # The line start is never predicted.
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, rtol=1e-9)
    assert (rows[:, EOS:] > 0).all()  # Smoothing leaves no symbol impossible.


def test_rows_agree_with_single_queries(lm):
    contexts = lm.contexts(HISTORIES)
    rows = lm.log_probs(contexts)
    n, s = rows.shape
    single = lm.log_prob(np.repeat(contexts, s, axis=0), np.tile(np.arange(s), n)).reshape(n, s)
    np.testing.assert_allclose(rows[:, EOS:], single[:, EOS:], rtol=1e-12)


def test_seen_continuations_are_preferred(lm):
    row = lm.log_probs(lm.contexts(["the c"]))[0]
    assert int(np.argmax(row)) == lm.symbols("a")[0]
    assert lm.score_text("the cat sat") > lm.score_text("teh cta sta")


def test_pruning_keeps_fewer_ngrams_and_the_unigrams():
    full = CharNgramLM.estimate(TEXTS, IAM_ONDB_CHARACTERS, order=5)
    pruned = CharNgramLM.estimate(TEXTS, IAM_ONDB_CHARACTERS, order=5, min_counts={3: 2, 4: 2, 5: 2})
    assert pruned.num_ngrams < full.num_ngrams
    np.testing.assert_array_equal(pruned.unigram_logp, full.unigram_logp)


def test_save_and_load_round_trip(lm, tmp_path):
    path = tmp_path / "lm.npz"
    lm.save(path)
    back = CharNgramLM.load(path)
    assert (back.order, back.characters, back.meta) == (lm.order, lm.characters, lm.meta)
    assert back.path == str(path)
    assert back.lexicon == {"the", "cat"}
    np.testing.assert_allclose(back.log_probs(back.contexts(HISTORIES)), lm.log_probs(lm.contexts(HISTORIES)),
                               rtol=1e-6)


def _npz_with(tmp_path, lm, **changes):
    path = tmp_path / "good.npz"
    lm.save(path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    return bad


def test_bad_files_fail_with_one_line_naming_the_file(lm, tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip file")
    cases = {
        empty: "the file is empty",
        garbage: "cannot read it as .npz",
        tmp_path / "missing.npz": "no such language-model file",
        _npz_with(tmp_path, lm, format=np.array("something/else")): "format",
        _npz_with(tmp_path, lm, keys_3=lm.tables[3][0][::-1].copy()): "not sorted",
        _npz_with(tmp_path, lm, logp_2=None): "logp_2",
        _npz_with(tmp_path, lm, logp_4=np.full(len(lm.tables[4][1]), np.nan, np.float32)): "not finite",
    }
    for path, reason in cases.items():
        with pytest.raises(LanguageModelError) as e:
            CharNgramLM.load(path)
        message = str(e.value)
        assert str(path) in message and reason in message and "\n" not in message, message


def test_pickled_arrays_are_refused(lm, tmp_path):
    path = _npz_with(tmp_path, lm, meta=np.array([{"trained_on": "x"}], dtype=object))
    with pytest.raises(LanguageModelError, match="not a usable hwsr language model"):
        CharNgramLM.load(path)


@pytest.mark.skipif(not shipped_path().exists(), reason="no shipped language model (scripts/build_lm.py)")
def test_the_shipped_model_loads_and_says_what_it_was_trained_on():
    shipped = CharNgramLM.load(shipped_path())
    assert set(IAM_ONDB_CHARACTERS) <= set(shipped.characters) and shipped.order >= 5
    assert "training split" in shipped.meta["trained_on"] and "wordfreq" in shipped.meta["trained_on"]
    assert shipped_path().stat().st_size < 8e6
    rows = np.exp(shipped.log_probs(shipped.contexts(["", "the qu", "Mr. Ga"])))
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=2e-3)  # float16 storage.
