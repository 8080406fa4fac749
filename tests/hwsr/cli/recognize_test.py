"""Tests for hwsr/cli/recognize.py (``hwsr recognize``), end to end with a tiny model dir."""

import json
from pathlib import Path

import numpy as np
import pytest

import hwsr.recognizer as recognizer_module
from hwsr.cli.main import main
from hwsr.ink import write_inkml, write_json_ink, write_npz
from hwsr.recognizer import Recognizer
from hwsr.testing import random_strokes, write_tiny_recognition_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_recognition_dir(tmp_path_factory.mktemp("models") / "recognition")


@pytest.fixture(scope="module")
def lines():
    strokes, lengths = random_strokes(6, 40, seed=7)
    out = []
    for s, n in zip(strokes, lengths):
        line = np.round(s[:n])
        line[0, 1:] = 0.0
        out.append(line)
    return out


def write_compact(folder: Path, lines, line_ids=None) -> Path:
    """The compact corpus layout: one npz with int16 ``points`` and ``starts``."""
    folder.mkdir(parents=True, exist_ok=True)
    starts = np.concatenate([[0], np.cumsum([len(s) for s in lines])])
    np.savez(folder / "lines.npz", points=np.concatenate(lines).astype(np.int16), starts=starts)
    if line_ids:
        (folder / "line_ids.txt").write_text("\n".join(line_ids) + "\n")
    return folder


def run(capsys, *argv):
    code = main(["recognize", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_format_and_every_line_of_a_corpus(model_dir, lines, tmp_path, capsys):
    write_json_ink(tmp_path / "a.json", lines[0])
    write_inkml(tmp_path / "b.inkml", lines[1])
    write_npz(tmp_path / "c.npz", lines[2])
    corpus = write_compact(tmp_path / "corpus", lines[3:], ["a01-000u-01", "a01-000u-02", "b07-123-01"])
    code, out, err = run(capsys, "--model-dir", model_dir, "--json", tmp_path / "a.json",
                         tmp_path / "b.inkml", tmp_path / "c.npz", corpus)
    assert code == 0, err
    result = json.loads(out)
    assert result["method"] == "greedy" and result["model"] == str(model_dir)
    sources = [r["source"] for r in result["lines"]]
    assert sources[:3] == [str(tmp_path / n) for n in ("a.json", "b.inkml", "c.npz")]
    ids = ("a01-000u-01", "a01-000u-02", "b07-123-01")
    assert sources[3:] == [f"{corpus / 'lines.npz'}:{i}" for i in ids]
    want = Recognizer.from_dir(model_dir).recognize(lines)
    assert [r["text"] for r in result["lines"]] == [w.text for w in want]
    for r, w in zip(result["lines"], want):
        assert r["score"] == pytest.approx(w.score, abs=1e-3) and r["score"] <= 0.0
        assert r["mean_log_prob"] <= 0.0


def test_plain_output(model_dir, lines, tmp_path, capsys):
    write_json_ink(tmp_path / "a.json", lines[0])
    code, out, _ = run(capsys, "--model-dir", model_dir, tmp_path / "a.json")
    assert code == 0
    assert out == Recognizer.from_dir(model_dir).recognize(lines[0]).text + "\n"
    alone = write_compact(tmp_path / "solo", lines[:2])  # No line_ids.txt: numbered lines.
    code, out, _ = run(capsys, "--model-dir", model_dir, alone / "lines.npz")
    rows = out.splitlines()
    assert code == 0 and len(rows) == 2
    assert [r.split("\t")[0] for r in rows] == [f"{alone / 'lines.npz'}:{i}" for i in (0, 1)]


def test_beam_search_option(model_dir, lines, tmp_path, capsys):
    write_npz(tmp_path / "c.npz", lines[4])
    code, out, _ = run(capsys, "--model-dir", model_dir, "--json", "--beam-width", "6", tmp_path / "c.npz")
    result = json.loads(out)
    assert code == 0 and (result["method"], result["beam_width"]) == ("beam", 6)
    want = Recognizer.from_dir(model_dir).recognize(lines[4], method="beam", beam_width=6)
    assert result["lines"][0]["text"] == want.text


def test_adapt_ink_option(model_dir, lines, tmp_path, capsys):
    from hwsr.strokes.device import REFERENCE_FILE, InkReference

    write_npz(tmp_path / "big.npz", lines[2] * np.array([1, 5, 5], np.float32))
    code, _, err = run(capsys, "--model-dir", model_dir, "--adapt-ink", tmp_path / "big.npz")
    assert code == 2 and "ink_reference.json" in err and "Traceback" not in err
    adapted = tmp_path / "adapted"
    import shutil

    shutil.copytree(model_dir, adapted)
    InkReference.measure(lines[2:3]).save(adapted / REFERENCE_FILE)
    code, out, _ = run(capsys, "--model-dir", adapted, "--adapt-ink", tmp_path / "big.npz")
    want = Recognizer.from_dir(adapted).recognize(lines[2]).text
    assert code == 0 and out.rstrip("\n").split("\t")[-1] == want


def test_real_iam_ondb_xml(model_dir, shared_data, capsys):
    xml = sorted((shared_data / "iam_ondb_raw_sample" / "lineStrokes").rglob("*.xml"))[0]
    code, out, err = run(capsys, "--model-dir", model_dir, "--json", xml)
    assert code == 0, err
    assert json.loads(out)["lines"][0]["source"] == str(xml)


def test_errors_are_one_line_messages(model_dir, tmp_path, capsys, monkeypatch):
    code, _, err = run(capsys, "--model-dir", model_dir, tmp_path / "missing.json")
    assert code == 2 and "missing.json: no such file" in err
    (tmp_path / "bad.json").write_text('{"strokes": [[[0, 0], [1, "x"]]]}')
    code, _, err = run(capsys, "--model-dir", model_dir, tmp_path / "bad.json")
    assert code == 2 and "bad.json: strokes[0][1]" in err
    (tmp_path / "note.txt").write_text("hello")
    code, _, err = run(capsys, "--model-dir", model_dir, tmp_path / "note.txt")
    assert code == 2 and "unsupported ink file extension" in err
    code, _, err = run(capsys, "--model-dir", model_dir, "--beam-width", "-1", tmp_path / "bad.json")
    assert code == 2 and "--beam-width must be >= 0" in err
    code, _, err = run(capsys, "--model-dir", tmp_path / "nowhere", tmp_path / "bad.json")
    assert code == 2 and "error" in err
    write_json_ink(tmp_path / "ok.json", np.array([[0, 0, 0], [1, 3, 4]], np.float32))
    monkeypatch.setattr(recognizer_module, "PRETRAINED_DIR", tmp_path / "pretrained")
    code, _, err = run(capsys, tmp_path / "ok.json")
    assert code == 2 and "no shipped recognition model" in err
    error, hint = err.strip().splitlines()
    assert error.startswith("hwsr recognize: error: ") and "reinstall hwsr" in hint


# Pages: several lines in one file ------------------------------------------------------------


@pytest.fixture(scope="module")
def page_lines():
    from hwsr.testing import random_lines

    lines, texts = random_lines(3, seed=11, texts=["the quick brown fox", "ok", "jumps over a lazy dog"])
    return lines, texts


@pytest.mark.parametrize("ext", [".json", ".inkml", ".svg", ".npz"])
def test_a_page_gives_one_text_per_line(model_dir, page_lines, tmp_path, capsys, ext):
    from hwsr.cli.generate import save_lines
    from hwsr.ink import read_page

    lines, texts = page_lines
    path = tmp_path / f"page{ext}"
    save_lines(lines, str(path), texts=texts)
    code, out, err = run(capsys, "--model-dir", model_dir, path)
    assert code == 0, err
    read_back = [line.strokes for line in read_page(path)]
    assert len(read_back) == 3
    want = Recognizer.from_dir(model_dir).recognize(read_back)
    if ext == ".npz":  # A multi-line npz is a corpus: its lines are named.
        assert out.splitlines() == [f"{path}:{i}\t{w.text}" for i, w in enumerate(want)]
    else:
        assert out.splitlines() == [w.text for w in want]
    if ext == ".json":
        code, out, _ = run(capsys, "--model-dir", model_dir, "--json", path)
        result = json.loads(out)
        assert [r["source"] for r in result["lines"]] == [f"{path}:{i}" for i in range(3)]
        assert [r["text"] for r in result["lines"]] == [w.text for w in want]


def test_a_page_in_one_trace_set_is_split_into_its_lines(model_dir, page_lines, tmp_path, capsys):
    from hwsr.ink import lines_on_page, page_strokes

    lines, texts = page_lines
    flat = page_strokes(lines_on_page(lines))  # A note: one trace set, no line structure.
    write_inkml(tmp_path / "note.inkml", flat, text="\n".join(texts))
    write_json_ink(tmp_path / "note.json", flat)
    want = [r.text for r in Recognizer.from_dir(model_dir).recognize(lines)]
    code, out, err = run(capsys, "--model-dir", model_dir, tmp_path / "note.inkml")
    assert code == 0, err
    assert out.splitlines() == want
    # Several files: each line is named.
    code, out, _ = run(capsys, "--model-dir", model_dir, tmp_path / "note.inkml", tmp_path / "note.json")
    rows = [row.split("\t") for row in out.splitlines()]
    names = [f"{tmp_path / n}:{i}" for n in ("note.inkml", "note.json") for i in range(3)]
    assert [r[0] for r in rows] == names
    assert [r[1] for r in rows] == want + want


def test_svg_not_written_by_hwsr_names_the_formats_to_use(model_dir, tmp_path, capsys):
    drawing = '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0,0 C1,1 2,2 3,3"/></svg>'
    (tmp_path / "drawing.svg").write_text(drawing)
    code, _, err = run(capsys, "--model-dir", model_dir, tmp_path / "drawing.svg")
    assert code == 2 and "drawing.svg" in err
    assert "InkML (.inkml), JSON ink (.json) or npz (.npz)" in err and "Traceback" not in err
