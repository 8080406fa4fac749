"""Smoke test of bench/synthesis_size.py: both sizes train (tiny config) and are compared."""

import json

import numpy as np
import pytest

from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.testing import random_lines


@pytest.fixture(scope="module")
def sizes(load_script):
    return load_script("bench/synthesis_size.py")


def test_equal_time_interpolates_the_slower_curve(sizes):
    curves = {"a": (np.array([1, 2]), np.array([10.0, 20.0]), np.array([-1.0, -3.0])),
              "b": (np.array([1, 2]), np.array([5.0, 15.0]), np.array([-2.0, -4.0]))}
    horizon, nll = sizes.at_equal_time(curves)
    assert horizon == 15.0 and nll == {"a": pytest.approx(-2.0), "b": pytest.approx(-4.0)}
    steps, seconds, val = sizes.curve([{"step": 1, "val_loss": 2.0, "epoch_seconds": 3.0},
                                       {"step": 2, "loss": 1.0, "epoch_seconds": 9.0},
                                       {"step": 3, "val_loss": 1.0, "epoch_seconds": 4.0}])
    assert list(steps) == [1, 3] and list(seconds) == [3.0, 7.0] and list(val) == [2.0, 1.0]


@pytest.mark.slow
def test_both_sizes_train_and_are_reported(sizes, tmp_path, capsys):
    lines, texts = random_lines(12, seed=4)
    ids = [f"z{i:02d}-000-01" for i in range(12)]
    data = write_npz_lines(tmp_path / "data", [s.astype(np.int16) for s in lines], texts, ids)
    argv = ["--data", str(data), "--runs", str(tmp_path / "runs"), "--steps", "2", "--config", "tiny",
            "--set", "train.steps_per_epoch=1", "--set", "data.validation_fraction=0.3"]
    assert sizes.main(argv) == 0
    out = capsys.readouterr().out
    for name, units in (("3x256", 256), ("3x400", 400)):
        config = json.loads((tmp_path / "runs" / name / "config.json").read_text())
        assert config["synthesis"]["units"] == units and config["task"] == "conditional_handwriting"
        assert sum(line.startswith(f"{name} ") for line in out.splitlines()) == 2
        history = json.loads((tmp_path / "runs" / name / "train_state.json").read_text())["history"]
        assert all(h["epoch_seconds"] > 0 for h in history)
    assert "s of training: 3x256 " in out
