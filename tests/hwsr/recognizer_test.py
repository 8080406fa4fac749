"""Tests for hwsr/recognizer.py with a tiny random-weight model dir written in the test."""

import json
import shutil

import numpy as np
import pytest

import hwsr.recognizer as recognizer_module
from hwsr.decoding import decode
from hwsr.model_dir import ModelDirError
from hwsr.recognizer import RecognitionResult, Recognizer
from hwsr.strokes import InvalidStrokesError
from hwsr.testing import random_strokes, write_tiny_recognition_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_recognition_dir(tmp_path_factory.mktemp("models") / "recognition")


@pytest.fixture(scope="module")
def recognizer(model_dir):
    return Recognizer.from_dir(model_dir, batch_size=3)


@pytest.fixture(scope="module")
def lines():
    strokes, lengths = random_strokes(5, 48, seed=4)
    return [strokes[i, :n] for i, n in enumerate(lengths)]


def test_from_pretrained_without_a_shipped_model_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(recognizer_module, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(ModelDirError, match=r"no shipped recognition model .* is installed"):
        Recognizer.from_pretrained()


def test_from_pretrained_loads_the_shipped_dir(model_dir, tmp_path, monkeypatch, lines):
    shutil.copytree(model_dir, tmp_path / "recognition")
    monkeypatch.setattr(recognizer_module, "PRETRAINED_DIR", tmp_path)
    shipped = Recognizer.from_pretrained()
    assert shipped.bundle.path == tmp_path / "recognition"
    assert shipped.recognize(lines[0]).text == Recognizer.from_dir(model_dir).recognize(lines[0]).text


def test_from_dir_rejects_a_model_of_another_task(model_dir, tmp_path):
    other = tmp_path / "synthesis"
    shutil.copytree(model_dir, other)
    spec = json.loads((other / "model.json").read_text())
    spec["task"] = "conditional_handwriting"
    (other / "model.json").write_text(json.dumps(spec))
    with pytest.raises(ModelDirError, match="not 'recognition'"):
        Recognizer.from_dir(other)


def test_single_line_and_list(recognizer, lines):
    one = recognizer.recognize(lines[0])
    assert isinstance(one, RecognitionResult)
    assert isinstance(one.text, str) and one.text  # The tiny model's biases make text.
    assert one.score <= 0.0 and one.frames > 0
    assert one.mean_log_prob == pytest.approx(one.score / one.frames)
    many = recognizer.recognize(lines)
    assert isinstance(many, list) and len(many) == len(lines)
    assert recognizer.recognize([]) == []
    nested = recognizer.recognize(lines[0].tolist())  # One line as nested lists of rows.
    assert nested.text == one.text


def test_batched_results_equal_line_by_line_results(recognizer, lines):
    # Lines are sorted by length, padded together in batches of 3 and put back in order.
    batched = recognizer.recognize(lines)
    assert len({len(s) for s in lines}) > 1
    for line, result in zip(lines, batched):
        alone = recognizer.recognize(line)
        assert result.text == alone.text
        assert result.score == pytest.approx(alone.score, abs=1e-3)
        assert result.frames == alone.frames


def test_results_are_the_decoded_model_outputs(recognizer, lines):
    line = Recognizer.prepare(lines[1])  # What the model sees: row 0 moved to the origin.
    assert line[0, 1:].tolist() == [0.0, 0.0] and lines[1][0, 1:].any()
    out = recognizer.model({"strokes": line[np.newaxis], "lengths": np.array([len(line)])})
    for method in ("greedy", "beam"):
        want = decode(out["logits"], out["logit_lengths"], recognizer.alphabet, method, beam_width=5)[0]
        got = recognizer.recognize(line, method=method, beam_width=5)
        assert got.text == want.text and got.codes == want.codes
        assert got.score == pytest.approx(want.score, abs=1e-3)


def test_beam_is_at_least_as_likely_as_greedy(recognizer, lines):
    greedy = recognizer.recognize(lines)
    beam = recognizer.recognize(lines, method="beam", beam_width=8)
    for g, b in zip(greedy, beam):
        assert b.score >= g.score - 1e-3


def test_position_of_the_ink_does_not_matter(recognizer, lines):
    moved = lines[2].copy()
    moved[0, 1:] = [5000.0, -3000.0]  # An absolute start position instead of the origin.
    assert recognizer.recognize(moved).text == recognizer.recognize(lines[2]).text


def test_bad_input_names_the_line(recognizer, lines):
    bad = lines[1].copy()
    bad[3, 2] = np.nan
    with pytest.raises(InvalidStrokesError, match="line 1: NaN"):
        recognizer.recognize([lines[0], bad])
    with pytest.raises(InvalidStrokesError, match=r"expected shape \[T, 3\]"):
        recognizer.recognize(np.zeros([4, 2]))
    with pytest.raises(ValueError, match="method="):
        recognizer.recognize(lines[0], method="viterbi")
    with pytest.raises(ValueError, match="beam_width"):
        recognizer.recognize(lines[0], method="beam", beam_width=0)


def test_a_model_dir_with_an_ink_reference_reads_other_units_like_its_own(model_dir, tmp_path, lines):
    from hwsr.strokes.device import REFERENCE_FILE, InkReference

    adapted_dir = tmp_path / "adapted"
    shutil.copytree(model_dir, adapted_dir)
    InkReference.measure(lines[1:2]).save(adapted_dir / REFERENCE_FILE)  # line 1 is typical
    reader = Recognizer.from_dir(adapted_dir, batch_size=3, adapt_ink=True)
    plain = Recognizer.from_dir(adapted_dir, batch_size=3)
    assert reader.ink_reference is not None and plain.ink_reference is None
    big = lines[1] * np.array([1, 4, 4], np.float32)
    assert reader.recognize(big).codes == reader.recognize(lines[1]).codes == plain.recognize(lines[1]).codes
    np.testing.assert_allclose(reader.recognize(big).score, reader.recognize(lines[1]).score, rtol=1e-4)
    # Read as given, 4x ink gives the model other inputs.
    assert not np.allclose(plain.logits([plain.prepare(big)])[0], plain.logits([plain.prepare(lines[1])])[0])
    with pytest.raises(ModelDirError, match=r"adapt_ink needs an ink_reference\.json"):
        Recognizer.from_dir(model_dir, adapt_ink=True)
