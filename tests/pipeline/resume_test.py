"""Fault tolerance of ``hwsr-train``: SIGKILL then the same command resumes; SIGINT saves.

Real training processes on a small npz-layout folder built here from programmatic strokes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf

from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.testing import random_lines

REPO = Path(__file__).resolve().parents[2]


def write_corpus(folder: Path, n_lines: int = 24, seed: int = 1) -> Path:
    """An ``iam_ondb_lines``-style folder of programmatic lines, one form per line."""
    lines, texts = random_lines(n_lines, seed)
    return write_npz_lines(folder, lines, texts, [f"r{i:02d}-000-01" for i in range(n_lines)])


def command(data: Path, model_dir: Path, steps: int, steps_per_epoch: int) -> list[str]:
    return [sys.executable, "-m", "hwsr.cli.train", "--task", "conditional_handwriting",
            "--data", str(data), "--model-dir", str(model_dir), "--config", "tiny",
            "--set", "data.validation_fraction=0.25", "--set", f"train.steps_per_epoch={steps_per_epoch}",
            "--steps", str(steps)]


def run(cmd, timeout=300) -> subprocess.CompletedProcess:
    env = dict(os.environ, CI="1", TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def summary(out: subprocess.CompletedProcess) -> dict:
    """The JSON summary printed after the per-epoch progress lines."""
    return json.loads(out.stdout[out.stdout.index("{\n"):])


def start_and_signal(cmd, model_dir: Path, sig: int, timeout=240) -> tuple[int, int]:
    """Starts ``cmd``, sends ``sig`` once its first checkpoint exists; (exit code, step then)."""
    env = dict(os.environ, CI="1", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + timeout
        while tf.train.latest_checkpoint(str(model_dir / "checkpoints")) is None:
            assert proc.poll() is None, f"training ended before its first checkpoint: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "no checkpoint in time"
            time.sleep(0.05)
        step = checkpoint_step(model_dir)
        proc.send_signal(sig)
        proc.wait(timeout=120)
        return proc.returncode, step
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def checkpoint_step(model_dir: Path) -> int:
    return int(tf.train.latest_checkpoint(str(model_dir / "checkpoints")).rsplit("-", 1)[1])


def state(model_dir: Path) -> dict:
    return json.loads((model_dir / "train_state.json").read_text())


@pytest.mark.slow
def test_sigkill_then_the_same_command_resumes(tmp_path):
    data = write_corpus(tmp_path / "data")
    steps, spe = 24, 2
    run(command(data, tmp_path / "straight", steps, spe))
    killed = tmp_path / "killed"
    code, step_at_kill = start_and_signal(command(data, killed, steps, spe), killed, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert 0 < step_at_kill < steps  # It was killed mid-run, with a checkpoint to resume from.
    resumed = summary(run(command(data, killed, steps, spe)))
    assert resumed["start_step"] >= step_at_kill > 0  # Not from scratch.
    assert resumed["step"] == steps
    a, b = state(tmp_path / "straight"), state(killed)
    assert a["step"] == b["step"] == steps
    assert [h["step"] for h in b["history"]] == list(range(spe, steps + 1, spe))
    # The resumed run sees the same seeded data stream from the restored step, so it ends
    # where the uninterrupted run does (float noise only).
    assert b["history"][-1]["loss"] == pytest.approx(a["history"][-1]["loss"], rel=1e-3)
    assert b["history"][-1]["val_loss"] == pytest.approx(a["history"][-1]["val_loss"], rel=1e-3)


@pytest.mark.slow
def test_sigint_saves_a_checkpoint_and_exits_130(tmp_path):
    data = write_corpus(tmp_path / "data")
    model_dir = tmp_path / "model"
    steps, spe = 60, 20
    code, _ = start_and_signal(command(data, model_dir, steps, spe), model_dir, signal.SIGINT)
    assert code == 130
    step = checkpoint_step(model_dir)
    assert state(model_dir)["step"] == step
    # The resumed run finishes exactly at the budget even when stopped mid-epoch.
    resumed = summary(run(command(data, model_dir, steps, spe)))
    assert resumed["start_step"] == step and resumed["step"] == steps
    assert state(model_dir)["history"][-1]["step"] == steps
