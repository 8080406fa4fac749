"""``hwsr recognize`` / ``hwsr evaluate`` with a language model: --lm, --no-lm, candidates,
bad LM files. A tiny model dir and a language model estimated in the test."""

import json

import numpy as np
import pytest

import hwsr.recognizer as recognizer_module
from hwsr.alphabet import IAM_ONDB_CHARACTERS
from hwsr.cli.main import main
from hwsr.ink import write_json_ink
from hwsr.language_model import CharNgramLM
from hwsr.recognizer import Recognizer
from hwsr.testing import random_strokes, write_tiny_recognition_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_recognition_dir(tmp_path_factory.mktemp("models") / "recognition")


@pytest.fixture(scope="module")
def lm_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm") / "lm.npz"
    CharNgramLM.estimate(["the cat sat on the mat", "a dog and a cat"] * 3, IAM_ONDB_CHARACTERS,
                         order=4).save(path)
    return path


@pytest.fixture(scope="module")
def ink(tmp_path_factory):
    strokes, lengths = random_strokes(1, 40, seed=8)
    path = tmp_path_factory.mktemp("ink") / "line.json"
    line = np.round(strokes[0, : lengths[0]])
    line[0, 1:] = 0.0
    write_json_ink(path, line)
    return path


def run(capsys, *argv):
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_lm_flag_reads_by_beam_search_with_candidates(model_dir, lm_file, ink, capsys):
    code, out, err = run(capsys, "recognize", "--model-dir", model_dir, "--lm", lm_file, "--candidates", "3",
                         "--json", ink)
    assert code == 0, err
    result = json.loads(out)
    assert (result["method"], result["beam_width"], result["language_model"]) == ("beam", 16, str(lm_file))
    line = result["lines"][0]
    want = Recognizer.from_dir(model_dir, lm=lm_file).recognize(json_strokes(ink), candidates=3)
    assert [c["text"] for c in line["candidates"]] == [c.text for c in want.candidates]
    assert line["text"] == line["candidates"][0]["text"] == want.text
    scores = [c["score"] for c in line["candidates"]]
    assert scores == sorted(scores, reverse=True)


def json_strokes(path):
    from hwsr.ink import read_ink

    return read_ink(path)


def test_no_lm_reads_greedily(model_dir, lm_file, ink, tmp_path, monkeypatch, capsys):
    # The shipped recogniser with a shipped LM: beam + LM by default, greedy with --no-lm.
    import shutil

    shutil.copytree(model_dir, tmp_path / "recognition")
    shutil.copytree(lm_file.parent, tmp_path / "lm")
    monkeypatch.setattr(recognizer_module, "PRETRAINED_DIR", tmp_path)
    code, out, _ = run(capsys, "recognize", "--json", ink)
    result = json.loads(out)
    assert code == 0 and result["method"] == "beam"
    assert result["language_model"] == str(tmp_path / "lm/lm.npz")
    code, out, _ = run(capsys, "recognize", "--no-lm", "--json", ink)
    result = json.loads(out)
    assert code == 0 and (result["method"], result["language_model"]) == ("greedy", None)
    assert result["lines"][0]["text"] == Recognizer.from_dir(model_dir).recognize(json_strokes(ink)).text
    code, out, _ = run(capsys, "recognize", "--beam-width", "0", "--json", ink)
    assert json.loads(out)["method"] == "greedy"


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 broken"], ids=["empty", "corrupt"])
def test_a_bad_lm_file_is_one_line_without_traceback(model_dir, ink, tmp_path, capsys, content):
    bad = tmp_path / "lm.npz"
    bad.write_bytes(content)
    for argv in (["recognize", "--model-dir", model_dir, "--lm", bad, ink],
                 ["evaluate", "--task", "recognition", "--data", tmp_path, "--lm", bad, "--beam-width", "2"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        assert str(bad) in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2, err


def test_contradictory_and_bad_flags(model_dir, lm_file, ink, capsys):
    code, _, err = run(capsys, "recognize", "--model-dir", model_dir, "--no-lm", "--lm", lm_file, ink)
    assert code == 2 and "contradict" in err
    code, _, err = run(capsys, "recognize", "--model-dir", model_dir, "--lm", lm_file, "--candidates", "0",
                       ink)
    assert code == 2 and "--candidates must be >= 1" in err


def test_evaluate_reports_greedy_beam_and_beam_with_the_lm(model_dir, lm_file, tmp_path, capsys):
    from hwsr.evaluation import error_rates

    texts = ["the cat sat", "a dog", "on the mat"]
    strokes, lengths = random_strokes(len(texts), 36, seed=3)
    lines = [np.round(s[:n]) for s, n in zip(strokes, lengths)]
    starts = np.concatenate([[0], np.cumsum([len(s) for s in lines])])
    np.savez(tmp_path / "lines.npz", points=np.concatenate(lines).astype(np.int16), starts=starts)
    (tmp_path / "sentences.txt").write_text("\n".join(texts) + "\n")
    argv = ["evaluate", "--task", "recognition", "--data", tmp_path, "--model-dir", model_dir,
            "--beam-width", "4", "--lm", lm_file, "-q"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["beam"]["lm"] is None and result["beam_lm"]["lm"] == str(lm_file)
    from hwsr.pipeline.sources import load_corpus

    read = Recognizer.from_dir(model_dir, lm=lm_file).recognize(load_corpus(tmp_path).strokes, beam_width=4)
    assert result["beam_lm"]["cer"] == pytest.approx(error_rates(texts, [r.text for r in read])["cer"])
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "beam 4 + LM" in out and "greedy" in out
    code, out, _ = run(capsys, *argv[:-3], "-q", "--json")  # No LM given, none with the model dir.
    assert "beam_lm" not in json.loads(out)
