"""Tests for hwsr/cli/main.py: --debug anywhere, and every error a newcomer can hit (no model,
no data, a bad file) reported as one line (plus a hint line where the fix is known)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hwsr.cli.recognize as recognize_cli
import hwsr.recognizer as recognizer_module
import hwsr.synthesizer as synthesizer_module
from hwsr.alphabet import Alphabet
from hwsr.cli.main import main, split_debug_flag
from hwsr.ink import write_json_ink
from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict:
    """Tiny model dirs, broken model dirs and good and bad input files, by name."""
    root = tmp_path_factory.mktemp("newcomer")
    rec = write_tiny_recognition_dir(root / "rec")
    # The IAM-OnDB alphabet with unknown="error", as the shipped synthesis model has.
    syn = write_tiny_synthesis_dir(root / "syn", Alphabet.iam_ondb())
    (root / "empty_model").mkdir()
    shutil.copytree(rec, root / "corrupt_model")
    (root / "corrupt_model" / "model.weights.h5").write_bytes(b"not an HDF5 file")
    write_json_ink(root / "ok.json", np.array([[0, 0, 0], [0, 3, 4], [1, 5, 1]], np.float32))
    (root / "note.txt").write_text("hello")
    (root / "bad.inkml").write_text('<ink xmlns="http://www.w3.org/2003/InkML">\n<trace>1 2, 3 4\n')
    (root / "bad.json").write_text('{"strokes": [[[0, 0], [1, 2]]\n')
    (root / "bad.xml").write_text('<WhiteboardCaptureSession>\n<StrokeSet><Stroke>\n'
                                  '<Point x="1" y="a" time="0"/>\n</Stroke></StrokeSet>\n'
                                  "</WhiteboardCaptureSession>\n")
    (root / "junk").mkdir()
    (root / "junk" / "readme.md").write_text("not data")
    return {"root": root, "rec": rec, "syn": syn}


def error_report(err: str) -> tuple[str, str | None]:
    """``(error line, hint line or None)`` of a command's stderr; fails on anything else."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert re.match(r"^hwsr [a-z ]+: error: ", lines[0]), err
    assert len(lines) == 1 or (len(lines) == 2 and re.match(r"^hwsr [a-z ]+: hint: ", lines[1])), err
    return lines[0], lines[1] if len(lines) == 2 else None


NO_MODEL = [
    pytest.param(["recognize", "--model-dir", "{root}/nowhere", "{root}/ok.json"],
                 "nowhere: no such model directory", "--model-dir takes a folder written by",
                 id="model-dir-missing"),
    pytest.param(["recognize", "--model-dir", "{root}/empty_model", "{root}/ok.json"],
                 "not a trained model dir (missing model.json, alphabet.json",
                 "hwsr-train --task recognition",
                 id="model-dir-without-model-json"),
    pytest.param(["recognize", "--model-dir", "{root}/corrupt_model", "{root}/ok.json"],
                 "model.weights.h5: cannot load the weights; the file is damaged", "--model-dir takes",
                 id="corrupt-weights"),
    pytest.param(["generate", "hi", "--model-dir", "{rec}", "--out", "{root}/x.svg"],
                 "a 'recognition' model cannot write text", "hwsr-train --task conditional_handwriting",
                 id="model-of-another-task"),
    pytest.param(["evaluate", "--task", "legibility", "--model-dir", "{rec}",
                  "--synthesis-model-dir", "{root}/nowhere"],
                 "nowhere: no such model directory", "--synthesis-model-dir takes",
                 id="evaluate-synthesis-model-missing"),
    pytest.param(["export", "--model-dir", "{root}/empty_model", "--out", "{root}/export"],
                 "not a trained model dir", "--model-dir takes a folder written by hwsr-train",
                 id="export-model-dir-without-model-json"),
]

NO_DATA = [
    pytest.param(["evaluate", "--task", "recognition", "--model-dir", "{rec}"],
                 "--task recognition needs --data DIR", "data folder", id="evaluate-without-data"),
    pytest.param(["evaluate", "--task", "recognition", "--model-dir", "{rec}", "--data", "{root}/nowhere",
                  "-q"],
                 "nowhere: no such file or directory (expected a raw IAM-OnDB folder", None,
                 id="evaluate-data-missing"),
    pytest.param(["evaluate", "--task", "recognition", "--model-dir", "{rec}", "--data", "{root}/junk",
                  "-q"],
                 "unrecognised data layout (it holds ['readme.md']); expected a raw IAM-OnDB folder", None,
                 id="evaluate-data-unrecognised"),
    pytest.param(["data", "prepare", "{root}/nowhere", "--out", "{root}/prepared", "-q"],
                 "nowhere: no such file or directory (expected", None, id="prepare-source-missing"),
    pytest.param(["data", "prepare", "{root}/junk", "--out", "{root}/prepared", "-q"],
                 "unrecognised data layout", None, id="prepare-source-unrecognised"),
    pytest.param(["data", "stats", "{root}/junk"], "unrecognised data layout", None, id="stats-unrecognised"),
    pytest.param(["data", "prepare", "{root}/nowhere", "--out", "{root}/junk"],
                 "--out {root}/junk already exists", "pass --overwrite", id="prepare-out-exists"),
]

BAD_FILE = [
    pytest.param(["recognize", "--model-dir", "{rec}", "{root}/missing.inkml"],
                 "missing.inkml: no such file or directory", None, id="recognize-missing-file"),
    pytest.param(["recognize", "--model-dir", "{rec}", "{root}/note.txt"],
                 "note.txt: unsupported ink file extension '.txt'; expected one of", None,
                 id="recognize-unsupported-extension"),
    pytest.param(["recognize", "--model-dir", "{rec}", "{root}/bad.inkml"],
                 "bad.inkml: line 3, column 1: malformed XML", None, id="recognize-malformed-inkml"),
    pytest.param(["recognize", "--model-dir", "{rec}", "{root}/bad.json"],
                 "bad.json: line 2, column 1: not valid JSON", None, id="recognize-malformed-json"),
    pytest.param(["recognize", "--model-dir", "{rec}", "{root}/bad.xml"],
                 "bad.xml: line 3: <Point> attribute y='a' is not a number", None,
                 id="recognize-malformed-iam-xml"),
    pytest.param(["recognize", "--model-dir", "{rec}", "{root}/junk"],
                 "junk: a corpus folder needs exactly one .npz file, found 0", "ink files (.inkml",
                 id="recognize-folder-without-npz"),
    pytest.param(["generate", "naïve €5", "--model-dir", "{syn}", "--out", "{root}/x.svg"],
                 "the text has 2 character(s) the model cannot write: 'ï', '€'", "pass --drop-unknown",
                 id="generate-characters-outside-the-alphabet"),
    pytest.param(["generate", "hi", "--style", "12", "--model-dir", "{syn}", "--out", "{root}/x.svg"],
                 "--style 12: no such bundled style; the model has none", "--list-styles",
                 id="generate-unknown-style"),
    pytest.param(["generate", "hi", "--style-file", "{root}/missing.json", "--style-text", "hi",
                  "--model-dir", "{syn}", "--out", "{root}/x.svg"],
                 "--style-file {root}/missing.json: no such file", None, id="generate-style-file-missing"),
    pytest.param(["generate", "hi", "--style-file", "{root}/bad.json", "--style-text", "hi",
                  "--model-dir", "{syn}", "--out", "{root}/x.svg"],
                 "bad.json: line 2, column 1: not valid JSON", None, id="generate-style-file-malformed"),
    pytest.param(["generate", "hi", "--style-file", "{root}/ok.json", "--style-text", "naïve",
                  "--model-dir", "{syn}", "--out", "{root}/x.svg"],
                 "the style's text has character(s) the model cannot write: 'ï'", "transcription",
                 id="generate-style-text-outside-the-alphabet"),
    pytest.param(["plot", "naïve", "--model-dir", "{syn}", "--out", "{root}/x.png"],
                 "the text has 1 character(s) the model cannot write: 'ï'", "leave them out",
                 id="plot-characters-outside-the-alphabet"),
    pytest.param(["generate", "hi", "--model-dir", "{syn}", "--out", "{root}/x.gif"],
                 "x.gif: unknown output format '.gif'", None, id="generate-unknown-output-format"),
]


@pytest.mark.parametrize("argv, message, hint", NO_MODEL + NO_DATA + BAD_FILE)
def test_newcomer_errors_are_one_line_with_the_fix(paths, capsys, argv, message, hint):
    code = main([a.format(**paths) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, err
    error, fix = error_report(err)
    assert message.format(**paths) in error
    assert (fix is None) if hint is None else (hint in fix), err
    assert out == ""


@pytest.mark.parametrize("argv", [["generate", "hi", "--out", "{root}/x.svg"],
                                  ["recognize", "{root}/ok.json"],
                                  ["generate", "--unconditional", "--out", "{root}/x.svg"]])
def test_a_missing_shipped_model_says_reinstall(paths, capsys, monkeypatch, argv):
    for module in (synthesizer_module, recognizer_module):
        monkeypatch.setattr(module, "PRETRAINED_DIR", paths["root"] / "broken_install")
    assert main([a.format(**paths) for a in argv]) == 2
    error, fix = error_report(capsys.readouterr().err)
    assert "broken_install" in error
    assert fix and "reinstall hwsr (pip install --force-reinstall hwsr)" in fix


def test_split_debug_flag():
    assert split_debug_flag(["--debug", "generate", "hi"]) == (["generate", "hi"], True)
    assert split_debug_flag(["generate", "hi", "--debug"]) == (["generate", "hi"], True)
    assert split_debug_flag(["generate", "--", "--debug"]) == (["generate", "--", "--debug"], False)
    assert split_debug_flag(["generate", "hi"]) == (["generate", "hi"], False)


def _boom(_source):
    raise RuntimeError("a bug")


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_unexpected_errors_exit_1_and_debug_shows_the_traceback(paths, capsys, monkeypatch, debug):
    monkeypatch.setattr(recognize_cli, "read_lines", _boom)
    argv = ["recognize", "--model-dir", str(paths["rec"]), str(paths["root"] / "ok.json")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == "hwsr recognize: error: RuntimeError: a bug (run with --debug for the traceback)\n"
    for where in ([*debug, *argv], [*argv, *debug]):
        if debug:
            assert main(where) == 1
            err = capsys.readouterr().err
            assert err.startswith("Traceback") and 'raise RuntimeError("a bug")' in err
            assert err.endswith("hwsr recognize: error: a bug\n")


def test_ctrl_c_exits_130(paths, capsys, monkeypatch):
    def interrupted(_source):
        raise KeyboardInterrupt

    monkeypatch.setattr(recognize_cli, "read_lines", interrupted)
    assert main(["recognize", str(paths["root"] / "ok.json")]) == 130
    assert capsys.readouterr().err == "hwsr recognize: interrupted\n"


def test_data_subcommands_name_their_action(paths, capsys):
    assert main(["data", "stats", str(paths["root"] / "junk")]) == 2
    assert capsys.readouterr().err.startswith("hwsr data stats: error: ")


def test_a_real_process_prints_only_the_error_and_hint(paths):
    """In a fresh process TensorFlow's start-up notices (absl, oneDNN) must not show."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    argv = ["recognize", "--model-dir", str(paths["root"] / "corrupt_model"), str(paths["root"] / "ok.json")]
    out = subprocess.run([sys.executable, "-m", "hwsr.cli.main", *argv], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    error, fix = error_report(out.stderr)
    assert "cannot load the weights" in error and fix.startswith("hwsr recognize: hint: --model-dir takes")
    assert out.stdout == ""
