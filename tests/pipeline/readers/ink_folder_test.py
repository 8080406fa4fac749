"""Tests for pipeline/readers/ink_folder.py: a folder of your own InkML / JSON lines, read
alone and trained on end to end with ``hwsr-train``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hwsr.cli.train import main
from hwsr.ink import write_inkml, write_json_ink
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.ink_folder import is_ink_folder, read_ink_folder
from hwsr.pipeline.sources import load_corpus
from hwsr.pipeline.splits import split_by_form
from hwsr.testing import random_lines

# Three forms of two lines. With data.validation_fraction=0.4 the split puts the form "list"
# (and only it) in validation; the end-to-end test checks this against split_by_form.
STEMS = ["letter-01", "letter-02", "list-01", "list-02", "note-01", "note-02"]


def write_ink_folder(folder, stems=STEMS, listed=()):
    """InkML (even positions) and JSON files of programmatic lines, transcriptions inside
    the files except for the stems in ``listed``, which go to ``transcriptions.txt``.

    Returns ``{stem: (strokes, text)}``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lines, texts = random_lines(len(stems), seed=3)
    for i, (stem, strokes, text) in enumerate(zip(stems, lines, texts)):
        write = write_inkml if i % 2 == 0 else write_json_ink
        suffix = ".inkml" if i % 2 == 0 else ".json"
        write(folder / f"{stem}{suffix}", strokes, text=None if stem in listed else text)
    if listed:
        entries = {stem: text for stem, text in zip(stems, texts) if stem in listed}
        (folder / "transcriptions.txt").write_text(
            "".join(f"{stem}  {text}\n\n" for stem, text in entries.items()), encoding="utf-8"
        )
    return dict(zip(stems, zip(lines, texts)))


def test_reads_inkml_and_json_with_their_transcriptions(tmp_path):
    written = write_ink_folder(tmp_path / "ink", listed={"letter-02", "note-01"})
    corpus = read_ink_folder(tmp_path / "ink")
    assert corpus.line_ids == STEMS
    assert corpus.form_ids == ["letter", "letter", "list", "list", "note", "note"]
    assert corpus.texts == [written[s][1] for s in STEMS]
    for got, stem in zip(corpus.strokes, STEMS):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, written[stem][0])


def test_transcription_in_the_file_wins_and_plain_stems_are_forms(tmp_path):
    folder = tmp_path / "ink"
    write_ink_folder(folder, stems=["shopping", "2024-05-01"])
    write_inkml(folder / "shopping.inkml", random_lines(1)[0][0], text="from the file")
    (folder / "transcriptions.txt").write_text("shopping from the list\n")
    corpus = read_ink_folder(folder)
    assert corpus.line_ids == ["2024-05-01", "shopping"]
    assert corpus.form_ids == ["2024-05", "shopping"]
    assert corpus.texts[1] == "from the file"


def test_load_corpus_detects_an_ink_folder(tmp_path):
    write_ink_folder(tmp_path / "ink")
    assert is_ink_folder(tmp_path / "ink") and not is_ink_folder(tmp_path)
    assert load_corpus(tmp_path / "ink").line_ids == STEMS


@pytest.mark.parametrize("edit, match", [
    (lambda f: (f / "note-02.json").write_text('{"strokes": [[[0, 0], [1, 1]]]}'),
     r"note-02.json: no transcription; .*add a line \"note-02 TEXT\" to .*transcriptions.txt"),
    (lambda f: (f / "transcriptions.txt").write_text("\nnote-02\n"),
     r"transcriptions.txt: line 2: 'note-02' has no text"),
    (lambda f: (f / "transcriptions.txt").write_text("note-02 a\nnote-02 b\n"),
     "transcriptions.txt: line 2: 'note-02' already has a transcription on line 1"),
    (lambda f: (f / "transcriptions.txt").write_text("note-01 a\nnote-9 b\n"),
     r"transcriptions.txt: line 2: no ink file note-9.inkml or note-9.json"),
    (lambda f: (f / "transcriptions.txt").write_bytes(b"note-01 ok\nnote-02 \xff\n"),
     "transcriptions.txt: line 2: not UTF-8"),
    (lambda f: write_json_ink(f / "note-01.json", random_lines(1)[0][0], text="x"),
     "note-01.json: has the same stem as note-01.inkml"),
    (lambda f: (f / "list-01.inkml").write_text("<ink><trace>1 2, 3</trace></ink>"),
     "list-01.inkml: line 1: trace 1, point 2 has 1 value"),
    (lambda f: (f / "list-02.json").write_text('{"text": "a\\nb", "strokes": [[[0, 0], [1, 1]]]}'),
     "list-02.json: the transcription has several lines"),
])
def test_errors_name_the_file_and_line(tmp_path, edit, match):
    folder = tmp_path / "ink"
    write_ink_folder(folder)
    edit(folder)
    with pytest.raises(CorpusFormatError, match=match):
        read_ink_folder(folder)


def test_a_folder_without_ink_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CorpusFormatError, match=r"no ink files \(\*.inkml or \*.json\)"):
        read_ink_folder(tmp_path)


def test_hwsr_train_trains_on_an_ink_folder_with_whole_forms_held_out(tmp_path, capsys):
    folder = tmp_path / "ink"
    write_ink_folder(folder, listed={"letter-01", "list-02"})
    model_dir = tmp_path / "model"
    code = main(["--task", "recognition", "--data", str(folder), "--model-dir", str(model_dir),
                 "--config", "tiny", "--set", "data.validation_fraction=0.4",
                 "--set", "train.steps=2", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads(out[out.index("{\n"):])
    split = split_by_form(STEMS, validation_fraction=0.4)
    assert [STEMS[i] for i in split["validation"]] == ["list-01", "list-02"]  # One whole form.
    assert (summary["train_lines"], summary["validation_lines"]) == (4, 2)
    assert summary["step"] == 2 and np.isfinite(summary["final"]["val_loss"])
    assert (model_dir / "model.weights.h5").exists() and (model_dir / "checkpoints").is_dir()


def test_hwsr_train_names_the_line_with_an_unknown_character(tmp_path, capsys):
    folder = tmp_path / "ink"
    write_ink_folder(folder)
    write_json_ink(folder / "note-02.json", random_lines(1)[0][0], text="café")
    code = main(["--task", "recognition", "--data", str(folder), "--model-dir", str(tmp_path / "m"),
                 "--config", "tiny", "--set", "data.validation_fraction=0.4"])
    [error] = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert code == 2
    assert error.startswith("hwsr-train: error: note-02: 1 character(s) not in the alphabet: 'é'")
