"""``hwsr-train`` user errors: exit code 2 and one clear line, never a TensorFlow traceback."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.train import build_parser, main, resolve


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hwsr-train: error: ")
    return err


def test_missing_data_folder(tmp_path, capsys):
    code = main(["--task", "recognition", "--data", str(tmp_path / "nope"), "--model-dir",
                 str(tmp_path / "m"), "--config", "tiny"])
    assert code == 2
    line = _error_line(capsys)
    assert "nope" in line and "does not exist" in line


def test_empty_dataset(tmp_path, capsys):
    data = tmp_path / "empty"
    data.mkdir()
    np.savez(data / "lines.npz", points=np.zeros((0, 3), np.int16), starts=np.zeros(1, np.int64))
    (data / "sentences.txt").write_text("")
    code = main(["--task", "recognition", "--data", str(data), "--model-dir", str(tmp_path / "m"),
                 "--config", "tiny"])
    assert code == 2
    assert "the dataset is empty" in _error_line(capsys)


@pytest.mark.parametrize("override, message", [
    ("train.stepz=3", "unknown config key 'train.stepz'"),
    ("train.steps=many", "cannot use 'many' as int"),
    ("nonsense", "expected key=value"),
])
def test_bad_overrides(tmp_path, capsys, override, message):
    code = main(["--task", "recognition", "--data", str(tmp_path), "--model-dir", str(tmp_path / "m"),
                 "--config", "tiny", "--set", override])
    assert code == 2
    assert message in _error_line(capsys)


def test_model_dir_of_another_task(tmp_path, capsys):
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(resolve_config("recognition", "tiny").to_json())
    code = main(["--task", "conditional_handwriting", "--data", str(tmp_path), "--model-dir",
                 str(model_dir), "--config", "tiny"])
    assert code == 2
    line = _error_line(capsys)
    assert "holds a 'recognition' run" in line and "another --model-dir" in line


def test_corrupt_model_dir(tmp_path, capsys):
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "model.json").write_text("{not json")
    assert main(["--task", "recognition", "--data", str(tmp_path), "--model-dir", str(model_dir)]) == 2
    assert "not an hwsr model file" in _error_line(capsys)


def test_no_data_at_all(tmp_path, capsys):
    assert main(["--task", "recognition", "--model-dir", str(tmp_path / "m"), "--config", "tiny"]) == 2
    assert "no data" in _error_line(capsys)


def test_resume_uses_the_saved_config_and_flags_override(tmp_path):
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    saved = resolve_config("recognition", "tiny", ["recognition.units=12", "data.source=/d"])
    (model_dir / "config.json").write_text(saved.to_json())
    args = build_parser().parse_args(["--task", "recognition", "--model-dir", str(model_dir),
                                      "--epochs", "5"])
    cfg = resolve(args)
    assert cfg.recognition.units == 12 and cfg.data.source == "/d"
    assert cfg.train.steps == 5 * cfg.train.steps_per_epoch
