import os
import subprocess
import sys
import time

import numpy as np
import pytest

from hwsr.cli.main import main
from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir


@pytest.mark.slow
def test_serve_answers_rest_round_trip(tmp_path):
    from hwsr.export.saved_model import export_saved_model
    from hwsr.model_dir import load_model_dir
    from hwsr.serving.rest_client import RestClient

    for write in (write_tiny_synthesis_dir, write_tiny_recognition_dir):
        export_saved_model(load_model_dir(write(tmp_path / write.__name__)), tmp_path / "export",
                           with_warmup=False)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hwsr.cli.main", "serve", "--export-dir", str(tmp_path / "export"),
         "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url, lines, deadline = None, [], time.time() + 180
        while url is None and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("REST API on "):
                url = line.split()[3].split("/v1/")[0]
        assert url and url.startswith("http://127.0.0.1:"), "".join(lines)
        assert any("serving hwsr_synthesis version 1" in ln for ln in lines)
        client = RestClient(url, timeout=120)
        [strokes] = client.synthesize(["hello"], max_steps=40, seed=1)
        # Dense ink, as Synthesizer.generate returns it: up to 2 points per sampled step.
        assert strokes.shape[1] == 3 and 1 <= len(strokes) <= 2 * 40
        [(text, score)] = client.recognize([strokes])
        assert isinstance(text, str) and np.isfinite(score)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_reports_a_missing_export_dir(tmp_path, capsys):
    assert main(["serve", "--export-dir", str(tmp_path / "nothing")]) == 2
    assert "no such export directory" in capsys.readouterr().err


def test_serve_rejects_bad_limits(tmp_path, capsys):
    assert main(["serve", "--export-dir", str(tmp_path), "--max-concurrent", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err


@pytest.mark.parametrize("models", [["nope"]])
def test_serve_names_unknown_models(tmp_path, capsys, models):
    from hwsr.export.saved_model import export_saved_model
    from hwsr.model_dir import load_model_dir

    export_saved_model(load_model_dir(write_tiny_recognition_dir(tmp_path / "rec")), tmp_path / "export",
                       with_warmup=False)
    assert main(["serve", "--export-dir", str(tmp_path / "export"), "--models", *models]) == 2
    assert "no exported model nope" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--max-queued", "--max-connections", "--backlog", "--timeout",
                                  "--workers"])
def test_serve_refuses_non_positive_connection_limits(tmp_path, capsys, flag):
    assert main(["serve", "--export-dir", str(tmp_path), flag, "0"]) == 2
    assert "must be positive" in capsys.readouterr().err
