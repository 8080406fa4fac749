"""``hwsr app`` (hwsr/cli/app.py): it starts, prints its URL and serves; mistakes are one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("uvicorn")

from hwsr.cli.main import main
from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def model_args(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("app_cli")
    return ["--synthesis-model-dir", str(write_tiny_synthesis_dir(root / "syn")),
            "--recognition-model-dir", str(write_tiny_recognition_dir(root / "rec"))]


def test_app_prints_its_url_and_serves_the_page(model_args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "hwsr.cli.main", "app", *model_args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("hwsr app on http://127.0.0.1:"), line
        url = line.split()[3]
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as page:
                    assert b'<canvas id="pad"' in page.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(url + "api/info", timeout=30) as info:
            assert json.load(info)["limits"]["max_concurrent"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_busy_port_is_a_one_line_error(model_args, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["app", "--port", str(port), *model_args]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_bad_limits_and_missing_models_are_one_line_errors(tmp_path, capsys):
    assert main(["app", "--max-concurrent", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err
    assert main(["app", "--synthesis-model-dir", str(tmp_path / "none")]) == 2
    assert "--synthesis-model-dir" in capsys.readouterr().err
