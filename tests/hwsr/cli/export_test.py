"""Tests for hwsr/cli/export.py (``hwsr export``), with tiny model dirs."""

import re

import pytest

from hwsr.cli import export as export_cli
from hwsr.cli.main import main
from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_export")
    return write_tiny_synthesis_dir(root / "syn"), write_tiny_recognition_dir(root / "rec")


@pytest.mark.slow
def test_export_writes_the_serving_tree_and_tflite(model_dirs, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    syn, rec = model_dirs
    out = tmp_path / "export"
    rc = main(["export", "--synthesis-model-dir", str(syn), "--recognition-model-dir", str(rec),
               "--out", str(out), "--max-steps", "100", "--tflite-points", "128", "--tflite"])
    assert rc == 0, capsys.readouterr().err
    for name in ("hwsr_synthesis", "hwsr_recognition"):
        assert (out / name / "1" / "saved_model.pb").is_file()
        assert (out / name / "1" / "assets.extra" / "tf_serving_warmup_requests").is_file()
    assert (out / "tflite" / "hwsr_recognition.tflite").is_file()
    assert (out / "tflite" / "hwsr_synthesis_step.tflite").is_file()
    config = (out / "models.config").read_text()
    assert 'base_path: "/models/hwsr_synthesis"' in config and 'name: "hwsr_recognition"' in config
    captured = capsys.readouterr()
    assert captured.out == (f"exported to {out}: hwsr_synthesis/1, tflite/hwsr_synthesis_step.tflite, "
                            "hwsr_recognition/1, tflite/hwsr_recognition.tflite, models.config\n")
    # Progress on stderr: one line per artefact, with its size.
    size = r"[\d.]+ (bytes|kB|MB)\)"
    o, s, r = (re.escape(str(p)) for p in (out, syn, rec))
    warmup = "1/assets.extra/tf_serving_warmup_requests"
    expected = [
        rf"exporting {s} \(conditional_handwriting\)",
        rf"wrote {o}/hwsr_synthesis/1 \(SavedModel, {size}",
        rf"wrote {o}/hwsr_synthesis/{warmup} \(warmup requests, {size}",
        rf"wrote {o}/tflite/hwsr_synthesis_step.tflite \(TFLite, quantization none, {size}",
        rf"exporting {r} \(recognition\)",
        rf"wrote {o}/hwsr_recognition/1 \(SavedModel, {size}",
        rf"wrote {o}/hwsr_recognition/{warmup} \(warmup requests, {size}",
        rf"wrote {o}/tflite/hwsr_recognition.tflite \(TFLite, quantization none, {size}",
        rf"wrote {o}/models.config \(hwsr_synthesis, hwsr_recognition, {size}",
    ]
    lines = captured.err.splitlines()
    assert len(lines) == len(expected), captured.err
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)

    # A second export of one model gets the next version; models.config still lists both.
    rc = main(["export", "--model-dir", str(rec), "--out", str(out), "--no-warmup",
               "--config-base-path", "/srv/models/"])
    assert rc == 0
    assert (out / "hwsr_recognition" / "2" / "saved_model.pb").is_file()
    assert not (out / "hwsr_recognition" / "2" / "assets.extra" / "tf_serving_warmup_requests").exists()
    assert 'base_path: "/srv/models/hwsr_synthesis"' in (out / "models.config").read_text()

    rc = main(["export", "--model-dir", str(rec), "--out", str(out), "--version", "2"])
    assert rc == 2 and "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["--model-dir", "{tmp}/missing"], "no such model directory"),
    (["--synthesis-model-dir", "{rec}"], "holds a 'recognition' model"),
    (["--model-dir", "{rec}", "--max-steps", "0"], "--max-steps must be positive"),
    (["--model-dir", "{rec}", "--version", "-1"], "non-negative"),
])
def test_bad_arguments_are_one_line_errors(model_dirs, tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path, rec=model_dirs[1]) for a in argv]
    assert main(["export", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_file_size(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 999)
    assert export_cli.file_size(tmp_path / "a") == "999 bytes"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b").write_bytes(b"x" * 1500)
    (tmp_path / "d" / "c").write_bytes(b"x" * 2_498_500)
    assert export_cli.file_size(tmp_path / "d" / "b") == "1.5 kB"
    assert export_cli.file_size(tmp_path / "d") == "2.5 MB"


def test_no_model_dir_uses_the_shipped_models_or_says_they_are_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(export_cli, "PRETRAINED_DIR", tmp_path / "pretrained")
    assert main(["export", "--out", str(tmp_path / "out")]) == 2
    assert "no shipped model" in capsys.readouterr().err
