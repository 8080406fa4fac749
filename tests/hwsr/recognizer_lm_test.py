"""`Recognizer` with a character language model: defaults, N-best results, bad LM files.

A tiny random-weight model dir and a language model estimated in the test; the shipped
model's figures are measured by bench/lm_decoding.py, not here.
"""

import shutil

import numpy as np
import pytest

import hwsr.recognizer as recognizer_module
from hwsr.alphabet import IAM_ONDB_CHARACTERS
from hwsr.decoding import DEFAULT_LM_WEIGHT, DEFAULT_OOV_PENALTY, DEFAULT_WORD_BONUS, LMScorer, decode
from hwsr.language_model import CharNgramLM, LanguageModelError
from hwsr.recognizer import SHIPPED_LM, Recognizer
from hwsr.testing import random_strokes, write_tiny_recognition_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_recognition_dir(tmp_path_factory.mktemp("models") / "recognition")


@pytest.fixture(scope="module")
def lm():
    return CharNgramLM.estimate(["the cat sat on the mat", "a dog and a cat", "Mr. Smith said so."] * 3,
                                IAM_ONDB_CHARACTERS, order=4, lexicon=["the", "cat", "a"])


@pytest.fixture(scope="module")
def lines():
    strokes, lengths = random_strokes(4, 40, seed=3)
    return [strokes[i, :n] for i, n in enumerate(lengths)]


def test_a_language_model_reads_by_beam_search_with_candidates(model_dir, lm, lines):
    rec = Recognizer.from_dir(model_dir, lm=lm)
    assert rec.lm is lm
    results = rec.recognize(lines, candidates=3)
    out = rec.model({"strokes": np.stack([rec.prepare(lines[0])]), "lengths": np.array([len(lines[0])])})
    scorer = LMScorer(lm, rec.alphabet, DEFAULT_LM_WEIGHT, DEFAULT_WORD_BONUS, DEFAULT_OOV_PENALTY)
    want = decode(out["logits"].numpy(), out["logit_lengths"].numpy(), rec.alphabet, method="beam",
                  beam_width=16, scorer=scorer, top_paths=3)[0]
    assert [c.text for c in results[0].candidates] == [c.text for c in want.candidates]
    for r in results:
        assert 1 <= len(r.candidates) <= 3 and r.candidates[0].text == r.text
        scores = [c.score for c in r.candidates]
        assert scores == sorted(scores, reverse=True)
        d = r.to_dict()
        assert d["text"] == r.text and [c["text"] for c in d["candidates"]] == [c.text for c in r.candidates]


def test_no_lm_and_greedy_read_as_before(model_dir, lm, lines):
    plain = Recognizer.from_dir(model_dir)
    rec = Recognizer.from_dir(model_dir, lm=lm)
    assert plain.lm is None
    greedy = [r.text for r in plain.recognize(lines)]  # No LM: greedy, as before.
    assert [r.text for r in rec.recognize(lines, lm=None)] == greedy
    assert [r.text for r in rec.recognize(lines, method="greedy")] == greedy
    beam = [r.text for r in plain.recognize(lines, method="beam", beam_width=6, candidates=1)]
    assert [r.text for r in rec.recognize(lines, method="beam", beam_width=6, lm=False, candidates=1)] == beam
    with pytest.raises(ValueError, match="greedy"):
        plain.recognize(lines[0], method="greedy", lm=lm)
    with pytest.raises(ValueError, match="candidates"):
        rec.recognize(lines[0], candidates=0)


def test_the_shipped_recogniser_takes_the_shipped_lm(model_dir, lm, tmp_path, monkeypatch, lines):
    shutil.copytree(model_dir, tmp_path / "recognition")
    monkeypatch.setattr(recognizer_module, "PRETRAINED_DIR", tmp_path)
    assert Recognizer.from_pretrained().lm is None  # None shipped there: greedy, as before.
    lm.save(tmp_path / "lm" / "lm.npz")
    shipped = Recognizer.from_pretrained()
    assert shipped.lm is not None and shipped.lm.path == str(tmp_path / "lm" / "lm.npz")
    assert Recognizer.from_pretrained(lm=None).lm is None
    assert Recognizer.from_dir(model_dir, lm=SHIPPED_LM).lm.path == shipped.lm.path
    assert shipped.recognize(lines[0]).text == Recognizer.from_dir(model_dir, lm=lm).recognize(lines[0]).text


@pytest.mark.parametrize("content", [b"", b"\x00garbage\xff" * 10], ids=["empty", "corrupt"])
def test_a_bad_lm_file_is_one_clear_error(model_dir, lines, tmp_path, content):
    path = tmp_path / "lm.npz"
    path.write_bytes(content)
    for call in (lambda: Recognizer.from_dir(model_dir, lm=path),
                 lambda: Recognizer.from_dir(model_dir).recognize(lines[0], lm=str(path))):
        with pytest.raises(LanguageModelError) as e:
            call()
        assert str(path) in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(TypeError, match="lm must be"):
        Recognizer.from_dir(model_dir, lm=3)
