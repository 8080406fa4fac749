
import pytest

from hwsr.cli import export as export_cli
from hwsr.cli.main import main
from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_export")
    return write_tiny_synthesis_dir(root / "syn"), write_tiny_recognition_dir(root / "rec")


@pytest.mark.slow
def test_export_writes_the_serving_tree_and_tflite(model_dirs, tmp_path, capsys):
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
    printed = capsys.readouterr().out
    assert "hwsr_recognition/1" in printed and "models.config" in printed

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


def test_no_model_dir_uses_the_shipped_models_or_says_they_are_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(export_cli, "PRETRAINED", tmp_path / "pretrained")
    assert main(["export", "--out", str(tmp_path / "out")]) == 2
    assert "no shipped model" in capsys.readouterr().err
