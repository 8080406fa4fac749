"""``hwsr-train``: user errors exit 2 with one clear line (and a hint line where the fix is
known), never a TensorFlow traceback; --debug shows it; progress goes to stderr and stdout
holds only the JSON summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hwsr.pipeline.trainer as trainer
from hwsr.cli.train import build_parser, main, resolve
from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.testing import random_lines

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def no_start_line(monkeypatch):
    """As under CI: no start-up progress line, so stderr holds only what a test looks for."""
    monkeypatch.setenv("CI", "1")


@pytest.fixture
def lines_dir(tmp_path) -> Path:
    """Six programmatic lines of three forms in the compact npz layout."""
    strokes, texts = random_lines(6, seed=1)
    ids = [f"a0{i // 2}-000-0{i % 2}" for i in range(6)]
    return write_npz_lines(tmp_path / "lines", strokes, texts, ids)


def error_report(err: str) -> tuple[str, str | None]:
    """``(error message, hint or None)`` of hwsr-train's stderr; fails on anything else."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("hwsr-train: error: "), err
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hwsr-train: hint: ")), err
    hint = lines[1].removeprefix("hwsr-train: hint: ") if len(lines) == 2 else None
    return lines[0].removeprefix("hwsr-train: error: "), hint


def train(capsys, tmp_path, *argv, model_dir=None) -> tuple[int, str, str]:
    code = main(["--task", "recognition", "--model-dir", str(model_dir or tmp_path / "m"), *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_data_folder(tmp_path, capsys):
    code, out, err = train(capsys, tmp_path, "--data", tmp_path / "nope", "--config", "tiny")
    assert code == 2 and out == ""
    message, hint = error_report(err)
    assert message == f"--data {tmp_path / 'nope'}: no such folder"
    assert hint.startswith("--data takes a raw IAM-OnDB folder") and "hwsr data prepare" in hint
    assert not (tmp_path / "m").exists()


def test_a_folder_without_recognisable_data_lists_the_layouts(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    code, _, err = train(capsys, tmp_path, "--data", tmp_path / "photos", "--config", "tiny")
    assert code == 2
    message, _ = error_report(err)
    assert "photos: unrecognised data layout (it holds ['cat.jpg'])" in message
    assert "expected a raw IAM-OnDB folder" in message and "compact npz folder" in message


def test_empty_dataset(tmp_path, capsys):
    data = tmp_path / "empty"
    data.mkdir()
    np.savez(data / "lines.npz", points=np.zeros((0, 3), np.int16), starts=np.zeros(1, np.int64))
    (data / "sentences.txt").write_text("")
    code, _, err = train(capsys, tmp_path, "--data", data, "--config", "tiny")
    assert code == 2
    assert "the dataset is empty" in error_report(err)[0]


@pytest.mark.parametrize("argv, message", [
    (["--set", "train.stepz=3"], "unknown config key 'train.stepz'"),
    (["--set", "train.steps=many"], "cannot use 'many' as int"),
    (["--set", "nonsense"], "expected key=value"),
    (["--set", "recognition=3"], "'recognition' is a section; set one of its keys"),
    (["--config", "tny"], "config 'tny' is neither a preset (tiny, cpu, paper) nor a file"),
    (["--epochs", "0"], "--epochs must be >= 1"),
])
def test_bad_config(tmp_path, capsys, argv, message):
    code, _, err = train(capsys, tmp_path, "--data", tmp_path, "--config", "tiny", *argv)
    assert code == 2
    assert message in error_report(err)[0]


def test_a_config_file_that_is_not_a_mapping(tmp_path, capsys):
    (tmp_path / "run.yaml").write_text("just words\n")
    code, _, err = train(capsys, tmp_path, "--data", tmp_path, "--config", tmp_path / "run.yaml")
    assert code == 2
    assert "run.yaml: a config file must hold a mapping, not a str" in error_report(err)[0]


def test_model_dir_of_another_task(tmp_path, capsys):
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(resolve_config("recognition", "tiny").to_json())
    code = main(["--task", "conditional_handwriting", "--data", str(tmp_path), "--model-dir",
                 str(model_dir), "--config", "tiny"])
    assert code == 2
    message, _ = error_report(capsys.readouterr().err)
    assert "holds a 'recognition' run" in message and "another --model-dir" in message


def test_corrupt_model_dir(tmp_path, capsys):
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "model.json").write_text("{not json")
    code, _, err = train(capsys, tmp_path, "--data", tmp_path, model_dir=model_dir)
    assert code == 2
    assert "not an hwsr model file" in error_report(err)[0]


def test_no_data_at_all(tmp_path, capsys):
    code, _, err = train(capsys, tmp_path, "--config", "tiny")
    assert code == 2
    message, hint = error_report(err)
    assert message.startswith("no data: pass --data DIR") and hint.startswith("--data takes")


def _crash(*args, **kwargs):
    raise RuntimeError("a bug in the training loop")


def test_unexpected_errors_exit_1_and_debug_shows_the_traceback(lines_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trainer, "train", _crash)
    code, _, err = train(capsys, tmp_path, "--data", lines_dir, "--config", "tiny")
    assert code == 1
    assert err == ("hwsr-train: error: RuntimeError: a bug in the training loop "
                   "(run with --debug for the traceback)\n")
    code, _, err = train(capsys, tmp_path, "--data", lines_dir, "--config", "tiny", "--debug")
    assert code == 1
    assert err.startswith("Traceback (most recent call last):") and "_crash" in err
    assert err.endswith("hwsr-train: error: a bug in the training loop\n")


def test_ctrl_c_before_training_exits_130(lines_dir, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "train", interrupted)
    code, _, err = train(capsys, tmp_path, "--data", lines_dir, "--config", "tiny")
    assert code == 130
    assert err == "hwsr-train: interrupted; re-run the same command to resume from the last checkpoint\n"


def test_progress_goes_to_stderr_and_stdout_is_the_json_summary(lines_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CI")
    code, out, err = train(capsys, tmp_path, "--data", lines_dir, "--config", "tiny", "--steps", "2",
                           "--set", "data.validation_fraction=0.4")
    assert code == 0, err
    summary = json.loads(out)  # Nothing else on stdout.
    assert summary["step"] == 2
    start, epoch = err.splitlines()
    assert start == f"hwsr-train: recognition in {tmp_path / 'm'}, 2 steps (2 per epoch); reading {lines_dir}"
    assert epoch.startswith("epoch 1 - step 2/2 - loss ") and "ETA" in epoch


def test_quiet_drops_the_start_line(lines_dir, tmp_path, capsys, monkeypatch):
    calls = []

    def fake_train(cfg, model_dir, strategy, quiet, allow_pickle):
        calls.append(quiet)
        return {"step": 0}

    monkeypatch.delenv("CI")
    monkeypatch.setattr(trainer, "train", fake_train)
    code, out, err = train(capsys, tmp_path, "--data", lines_dir, "--config", "tiny")
    assert code == 0 and json.loads(out) == {"step": 0} and err.startswith("hwsr-train: recognition in ")
    code, out, err = train(capsys, tmp_path, "--data", lines_dir, "--config", "tiny", "--quiet")
    assert code == 0 and json.loads(out) == {"step": 0} and err == ""
    assert calls == [False, True]


def test_a_real_process_prints_only_the_error_and_hint(tmp_path):
    """In a fresh process TensorFlow's start-up notices (absl, oneDNN) must not show."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CI")}
    argv = ["--task", "recognition", "--data", str(tmp_path / "nope"), "--model-dir", str(tmp_path / "m")]
    out = subprocess.run([sys.executable, "-m", "hwsr.cli.train", *argv], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and out.stdout == ""
    message, hint = error_report(out.stderr)
    assert message.endswith("nope: no such folder") and hint.startswith("--data takes")


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
