"""Tests for hwsr/model_dir.py: a model dir loads from its folder alone, and every way it can
be broken is a `ModelDirError` that names the folder or file and the problem."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from hwsr.model_dir import ModelDirError, load_model_dir, read_task
from hwsr.testing import write_tiny_recognition_dir


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory):
    return write_tiny_recognition_dir(tmp_path_factory.mktemp("model_dir") / "rec")


@pytest.fixture
def broken(good_dir, tmp_path):
    """A fresh copy of the good model dir, to break."""
    return shutil.copytree(good_dir, tmp_path / "copy")


def test_loads_and_checks_the_task(good_dir):
    bundle = load_model_dir(good_dir, task="recognition")
    assert bundle.task == "recognition" and bundle.path == good_dir
    assert bundle.normalizer.std == pytest.approx((2.0, 3.0))
    assert bundle.alphabet.encode("a")[0] > 1
    weights = bundle.model.get_weights()
    assert any(np.abs(w).sum() > 0 for w in weights)
    assert read_task(good_dir) == "recognition"
    with pytest.raises(ModelDirError, match=r"rec: holds a 'recognition' model, not 'conditional_"):
        load_model_dir(good_dir, task="conditional_handwriting")


def test_missing_folder_and_files(tmp_path, broken):
    with pytest.raises(ModelDirError, match=r"nowhere: no such model directory"):
        load_model_dir(tmp_path / "nowhere")
    (broken / "stats.json").unlink()
    (broken / "model.weights.h5").unlink()
    missing = r"copy: not a trained model dir \(missing stats.json, model.weights.h5\)"
    with pytest.raises(ModelDirError, match=missing):
        load_model_dir(broken)


@pytest.mark.parametrize("content, message", [
    (b"{not json", r"model.json: not valid JSON"),
    (b"\xff\xfe", r"model.json: not valid JSON"),
    (b"[1, 2]", r"model.json: not an hwsr model file \(expected a JSON object with 'task' and 'model'\)"),
    (b'{"task": "recognition"}', r"model.json: not an hwsr model file"),
    (b'{"task": "recognition", "model": {"registered_name": "nope>Model", "config": {}}}',
     r"model.json: cannot build the model \(\"unknown model class 'nope>Model'\"\)"),
])
def test_bad_model_json(broken, content, message):
    (broken / "model.json").write_bytes(content)
    with pytest.raises(ModelDirError, match=message):
        load_model_dir(broken)


@pytest.mark.parametrize("name, content, message", [
    ("alphabet.json", "{", r"alphabet.json: not valid JSON"),
    ("alphabet.json", '{"chars": "abc"}', r"alphabet.json: not an hwsr alphabet"),
    ("stats.json", "[", r"stats.json: not valid JSON"),
])
def test_bad_alphabet_or_stats(broken, name, content, message):
    (broken / name).write_text(content)
    with pytest.raises(ModelDirError, match=message):
        load_model_dir(broken)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_weights_are_one_short_message(broken, damage):
    weights = broken / "model.weights.h5"
    weights.write_bytes(b"not an HDF5 file" if damage == "garbage" else weights.read_bytes()[:5000])
    with pytest.raises(ModelDirError) as caught:
        load_model_dir(broken)
    message = str(caught.value)
    assert message.startswith(f"{weights}: cannot load the weights; the file is damaged, cut short or "
                              "from another model (")
    assert "\n" not in message and len(message) < len(str(weights)) + 300


def test_every_file_of_a_written_model_dir_has_the_umask_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = write_tiny_recognition_dir(tmp_path / "rec")
    finally:
        os.umask(old)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in path.iterdir() if p.is_file()}
    assert "model.weights.h5" in modes and set(modes.values()) == {"0o644"}, modes
    assert not [p.name for p in path.iterdir() if p.name.startswith(".")]
