"""Tests for hwsr/cli/evaluate.py (``hwsr evaluate``), end to end with tiny model dirs."""

import json

import numpy as np
import pytest

from hwsr.alphabet import Alphabet
from hwsr.cli.evaluate import parse_biases
from hwsr.cli.main import main
from hwsr.console import CLIError
from hwsr.evaluation import (
    CLASSES,
    SCORING_RECOGNIZER_DIR,
    SCORING_RECOGNIZER_SHA256,
    legibility_scores,
    legibility_texts,
    scoring_recognizer,
)
from hwsr.metrics import character_error_rate, word_error_rate
from hwsr.pipeline.splits import split_by_form
from hwsr.recognizer import Recognizer
from hwsr.synthesizer import Synthesizer
from hwsr.testing import (
    random_strokes,
    write_tiny_recognition_dir,
    write_tiny_synthesis_dir,
)

TEXTS = ["a MOVE to stop", "Mr. Gaitskell", "from 1961 on", "the Labour", "party's 3 votes",
         "(in London)", "#5 & #6 won!", "yes; no: maybe?"]
LINE_IDS = ["a01-000u-01", "a01-000u-02", "a01-001-01", "b02-007-01", "b02-007-02", "c03-100-01",
            "c03-100-02", "d04-000-01"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_recognition_dir(tmp_path_factory.mktemp("models") / "recognition")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data folder in the compact layout: npz (points + starts), sentences.txt, line_ids.txt."""
    folder = tmp_path_factory.mktemp("data")
    strokes, lengths = random_strokes(len(TEXTS), 36, seed=3)
    lines = [np.round(s[:n]) for s, n in zip(strokes, lengths)]
    for line in lines:
        line[0, 1:] = 0.0
    starts = np.concatenate([[0], np.cumsum([len(s) for s in lines])])
    np.savez(folder / "lines.npz", points=np.concatenate(lines).astype(np.int16), starts=starts)
    (folder / "sentences.txt").write_text("\n".join(TEXTS) + "\n")
    (folder / "line_ids.txt").write_text("\n".join(LINE_IDS) + "\n")
    return folder


def evaluate(capsys, *argv):
    code = main(["evaluate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_recognition_json(model_dir, data_dir, capsys):
    code, out, err = evaluate(capsys, "--task", "recognition", "--data", data_dir, "--model-dir", model_dir,
                              "--beam-width", "4", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["task"] == "recognition" and result["split"] == "all"
    assert result["lines"] == len(TEXTS)
    assert result["characters"] == sum(map(len, TEXTS))
    assert result["words"] == sum(len(t.split()) for t in TEXTS)
    # The rates are those of the recogniser's own output on the lines.
    from hwsr.pipeline.sources import load_corpus

    corpus = load_corpus(data_dir)
    recognizer = Recognizer.from_dir(model_dir)
    for name, options in (("greedy", {"method": "greedy"}),
                          ("beam", {"method": "beam", "beam_width": 4})):
        read = [r.text for r in recognizer.recognize(corpus.strokes, **options)]
        assert result[name]["cer"] == pytest.approx(character_error_rate(TEXTS, read))
        assert result[name]["wer"] == pytest.approx(word_error_rate(TEXTS, read))
        assert result[name]["cer"] > 0  # Random weights cannot read.
        assert result[name]["classes"] == legibility_scores(TEXTS, read)["classes"]
    assert result["beam"]["beam_width"] == 4


def test_recognition_progress_goes_to_stderr_and_json_stays_pure(model_dir, data_dir, capsys, monkeypatch):
    from hwsr import evaluation
    from hwsr.pipeline.sources import load_corpus

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(evaluation, "PROGRESS_EVERY_BATCHES", 1)
    argv = ["--task", "recognition", "--data", data_dir, "--model-dir", model_dir, "--batch-size", "3",
            "--beam-width", "2", "--json"]
    code, out, err = evaluate(capsys, *argv)
    assert code == 0, err
    result = json.loads(out)
    progress = err.splitlines()
    assert progress[0] == f"reading {data_dir}"
    assert [line.split(" (")[0] for line in progress[1:]] == [
        f"{label}: {n}/8 lines" for label in ("greedy", "beam 2") for n in (3, 6, 8)]
    assert all(line.endswith(" lines/s)") for line in progress[1:])
    # Chunks of whole batches in length order: the results of one call over all lines.
    strokes = load_corpus(data_dir).strokes
    read = [r.text for r in Recognizer.from_dir(model_dir, batch_size=3).recognize(strokes)]
    assert result["greedy"]["cer"] == character_error_rate(TEXTS, read)

    greedy_only = [*argv[:-3], "--json"]
    code, out, err = evaluate(capsys, *greedy_only, "--quiet")
    assert code == 0 and err == "" and json.loads(out)["greedy"]["cer"] == result["greedy"]["cer"]
    monkeypatch.setenv("CI", "1")
    code, out, err = evaluate(capsys, *greedy_only)
    assert code == 0 and err == "" and json.loads(out)["greedy"]["cer"] == result["greedy"]["cer"]


def test_validation_split_and_limit(model_dir, data_dir, capsys):
    held_out = split_by_form(LINE_IDS, 0.4, 0)["validation"]
    assert 0 < len(held_out) < len(LINE_IDS)
    code, out, _ = evaluate(capsys, "--task", "recognition", "--data", data_dir, "--model-dir", model_dir,
                            "--split", "validation", "--validation-fraction", "0.4", "--json")
    result = json.loads(out)
    assert code == 0 and result["lines"] == len(held_out) and result["split"] == "validation"
    assert result["characters"] == sum(len(TEXTS[i]) for i in held_out)
    assert "beam" not in result
    code, out, _ = evaluate(capsys, "--task", "recognition", "--data", data_dir, "--model-dir", model_dir,
                            "--limit", "3")
    assert code == 0
    assert out.startswith("3 lines (all)") and "greedy" in out and "CER" in out and "WER" in out
    assert "CER by class: lowercase" in out


def test_recognition_errors(model_dir, data_dir, tmp_path, capsys):
    code, _, err = evaluate(capsys, "--task", "recognition", "--model-dir", model_dir)
    assert code == 2 and "needs --data" in err
    code, _, err = evaluate(capsys, "--task", "recognition", "--data", tmp_path, "--model-dir", model_dir)
    assert code == 2 and "unrecognised data layout" in err
    code, _, err = evaluate(capsys, "--task", "recognition", "--data", data_dir, "--model-dir", model_dir,
                            "--split", "validation", "--validation-fraction", "0")
    assert code == 2 and "no lines to evaluate" in err


def test_real_data_validation_lines(model_dir, shared_data, capsys):
    code, out, err = evaluate(capsys, "--task", "recognition", "--data", shared_data / "iam_ondb_lines",
                              "--model-dir", model_dir, "--split", "validation", "--limit", "3", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["lines"] == 3 and result["characters"] > 30


def test_legibility(model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    synthesis_dir = write_tiny_synthesis_dir(tmp_path / "synthesis")
    texts = tmp_path / "texts.txt"
    texts.write_text("Hi 2\n\nok!\n")
    code, out, err = evaluate(capsys, "--task", "legibility", "--texts", texts, "--biases", "0,1.5",
                              "--synthesis-model-dir", synthesis_dir, "--model-dir", model_dir,
                              "--seed", "3", "--details", "--json")
    assert code == 0, err
    result = json.loads(out)  # Progress went to stderr: one line before and after each bias.
    warning, *progress = err.splitlines()
    assert warning.startswith(f"warning: scoring with {model_dir} (weights ")
    assert "not the pinned legibility recogniser" in warning
    assert progress[0] == "bias 0 (1/2): writing 2 texts, reading them back"
    assert progress[2] == "bias 1.5 (2/2): writing 2 texts, reading them back"
    assert progress[3].startswith(f"bias 1.5: CER {100 * result['results'][1]['cer']:.1f}%")
    assert len(progress) == 4
    assert result["task"] == "legibility" and result["texts"] == 2 and result["seed"] == 3
    assert result["set"] == "file" and result["method"] == "greedy" and result["candidates"] == 0
    assert result["scoring_recognizer"] == {"path": str(model_dir), "pinned": False,
                                            "sha256": result["scoring_recognizer"]["sha256"]}
    assert [r["bias"] for r in result["results"]] == [0.0, 1.5]
    strokes = Synthesizer.from_dir(synthesis_dir).generate(["Hi 2", "ok!"], bias=1.5, seed=3)
    read = [r.text for r in Recognizer.from_dir(model_dir).recognize(strokes)]
    last = result["results"][1]
    assert [t["read"] for t in last["texts"]] == read
    assert [t["text"] for t in last["texts"]] == ["Hi 2", "ok!"]
    assert last["cer"] == pytest.approx(character_error_rate(["Hi 2", "ok!"], read))
    assert last["classes"] == legibility_scores(["Hi 2", "ok!"], read)["classes"]
    assert set(last["classes"]) == set(CLASSES)
    assert last["classes"]["numbers"]["characters"] == 1 and last["classes"]["punctuation"]["words"] == 1


def test_legibility_with_candidates_and_the_hard_set(model_dir, tmp_path, capsys):
    synthesis_dir = write_tiny_synthesis_dir(tmp_path / "synthesis")
    texts = tmp_path / "texts.txt"
    texts.write_text("Hi 2\nok!\n")
    code, out, err = evaluate(capsys, "--task", "legibility", "--texts", texts, "--biases", "1",
                              "--synthesis-model-dir", synthesis_dir, "--model-dir", model_dir,
                              "--candidates", "2", "--quiet")
    assert code == 0, err
    assert "2 line(s) needed a second round" in out  # Random weights never read well.
    assert "worst line CER" in out and "numbers" in out and "NOT the pinned one" in out
    assert "free hand" in out  # The tiny model has no styles, so its default is the free hand.
    code, out, err = evaluate(capsys, "--task", "legibility", "--texts", texts, "--biases", "1",
                              "--synthesis-model-dir", synthesis_dir, "--model-dir", model_dir,
                              "--style", "3", "--quiet")
    assert code == 2 and "--style 3: give 'default', 'free' or a bundled style id" in err
    with pytest.raises(SystemExit):
        evaluate(capsys, "--task", "legibility", "--set", "nope")
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_legibility_scores():
    texts = ["Pay 315 now.", "the cat"]
    scores = legibility_scores(texts, ["Pay 316 now", "the cat"])
    assert scores["cer"] == pytest.approx(character_error_rate(texts, ["Pay 316 now", "the cat"]))
    assert scores["max_line_cer"] == pytest.approx(2 / 12)
    assert scores["classes"]["numbers"] == {"cer": pytest.approx(1 / 3), "wer": 1.0, "characters": 3,
                                            "words": 1}
    assert scores["classes"]["lowercase"] == {"cer": 0.0, "wer": 0.0, "characters": 9, "words": 3}
    assert scores["classes"]["punctuation"]["wer"] == 1.0


def test_the_shipped_scorer_is_the_pinned_one():
    """Fails when the shipped legibility scorer changes: legibility figures would silently
    change meaning. Re-pin SCORING_RECOGNIZER_SHA256 (and redo every legibility figure) only on
    purpose; a new recogniser for users ships in hwsr/pretrained/recognition instead."""
    scorer = scoring_recognizer(Recognizer.from_dir(SCORING_RECOGNIZER_DIR))
    assert scorer["sha256"] == SCORING_RECOGNIZER_SHA256 and scorer["pinned"]


def test_builtin_legibility_texts():
    unseen, hard = legibility_texts("unseen"), legibility_texts("hard")
    assert len(unseen) >= 100 and len(hard) >= 20
    assert len(set(unseen + hard)) == len(unseen) + len(hard)
    assert "Invoice #2047: pay 315.80 by 12/06/2027, or call (555) 019-4432. Quiz: JFK, XYZ & Q.E.D." in hard
    alphabet = Alphabet.iam_ondb()
    for text in unseen + hard:
        assert not alphabet.unknown_characters(text), text
    # The hard set is dense in what the unseen set has little of.
    for kind in ("numbers", "capitalised", "punctuation"):
        share = [legibility_scores(texts, texts)["classes"][kind]["characters"] / sum(map(len, texts))
                 for texts in (unseen, hard)]
        assert share[1] > 2 * share[0], kind
    with pytest.raises(ValueError, match="unknown legibility set"):
        legibility_texts("easy")


def test_builtin_legibility_texts_are_not_training_text(shared_data):
    sentences = (shared_data / "iam_ondb_lines" / "sentences.txt").read_text(encoding="utf-8")
    for text in legibility_texts("unseen") + legibility_texts("hard"):
        assert text not in sentences and text.rstrip(".!?") not in sentences


def test_parse_biases():
    assert parse_biases("0,0.5, 1,2") == [0.0, 0.5, 1.0, 2.0]
    for bad in ("a,b", "", "-1"):
        with pytest.raises(CLIError, match="--biases"):
            parse_biases(bad)


def test_recognition_with_adapted_ink(model_dir, data_dir, tmp_path, capsys):
    import shutil

    from hwsr.pipeline.sources import load_corpus
    from hwsr.strokes.device import REFERENCE_FILE, InkReference

    code, _, err = evaluate(capsys, "--task", "recognition", "--data", data_dir, "--model-dir", model_dir,
                            "--adapt-ink")
    assert code == 2 and "ink_reference.json" in err and "Traceback" not in err
    adapted = tmp_path / "adapted"
    shutil.copytree(model_dir, adapted)
    corpus = load_corpus(data_dir)
    InkReference(size=4.0, spacing=0.5).save(adapted / REFERENCE_FILE)  # far from the test ink
    code, out, err = evaluate(capsys, "--task", "recognition", "--data", data_dir, "--model-dir", adapted,
                              "--adapt-ink", "--json")
    assert code == 0, err
    result = json.loads(out)
    read = [r.text for r in Recognizer.from_dir(adapted, adapt_ink=True).recognize(corpus.strokes)]
    assert result["adapt_ink"] and result["greedy"]["cer"] == pytest.approx(character_error_rate(TEXTS, read))
