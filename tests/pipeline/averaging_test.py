"""Checkpoint averaging (pipeline/averaging.py): the mean of a run's checkpoints as a model dir."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from hwsr import model_dir as md
from hwsr.pipeline.averaging import AveragingError, average_checkpoints, find_checkpoints, main
from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.pipeline.trainer import train
from hwsr.testing import random_lines, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny recognition run with a checkpoint after each of its 3 steps."""
    tmp = tmp_path_factory.mktemp("averaging")
    lines, texts = random_lines(16, seed=3)
    data = write_npz_lines(tmp / "data", lines, texts, [f"a{i:02d}-000-01" for i in range(16)])
    cfg = resolve_config("recognition", "tiny", [
        f"data.source={data}", "data.validation_fraction=0.25", "train.steps_per_epoch=1",
        "train.steps=3", "train.keep_checkpoints=3", "train.learning_rate=0.01"])
    train(cfg, tmp / "run", quiet=True)
    return tmp / "run"


def restored(run_dir, prefix) -> list[np.ndarray]:
    model = md.load_model_dir(run_dir).model
    tf.train.Checkpoint(model=model).restore(prefix).expect_partial()
    return model.get_weights()


def test_the_averaged_model_holds_the_mean_of_the_checkpoints(run_dir, tmp_path):
    checkpoints = find_checkpoints(run_dir / md.CHECKPOINT_DIR)
    assert [c.rsplit("-", 1)[1] for c in checkpoints] == ["1", "2", "3"]  # oldest first
    each = [restored(run_dir, c) for c in checkpoints[1:]]
    assert max(float(np.abs(a - b).max()) for a, b in zip(*each)) > 1e-4  # the steps moved them

    out = average_checkpoints(run_dir, tmp_path / "avg", checkpoints[1:])
    averaged = md.load_model_dir(out)  # a complete model dir that loads like any other
    assert averaged.task == "recognition"
    for got, a, b in zip(averaged.model.get_weights(), *each):
        np.testing.assert_allclose(got, (a + b) / 2, rtol=1e-6, atol=1e-7)


def test_cli_averages_the_newest_and_refuses_bad_requests_in_one_line(run_dir, tmp_path, capsys):
    assert main([str(run_dir), str(tmp_path / "avg"), "--last", "1"]) == 0
    newest = restored(run_dir, find_checkpoints(run_dir / md.CHECKPOINT_DIR)[-1])
    for got, want in zip(md.load_model_dir(tmp_path / "avg").model.get_weights(), newest):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    capsys.readouterr()

    assert main([str(run_dir), str(tmp_path / "avg"), "--last", "1"]) == 2  # exists, no --overwrite
    assert main([str(run_dir), str(tmp_path / "more"), "--last", "9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "already exists" in err[0] and "3 checkpoints, --last 9" in err[1]
    assert not (tmp_path / "more").exists()


def test_checkpoints_of_another_network_are_refused(run_dir, tmp_path):
    other = write_tiny_synthesis_dir(tmp_path / "synthesis")
    with pytest.raises(AveragingError, match="does not fit the network"):
        average_checkpoints(other, tmp_path / "avg", find_checkpoints(run_dir / md.CHECKPOINT_DIR))
    with pytest.raises(AveragingError, match="no checkpoints"):
        average_checkpoints(run_dir, tmp_path / "avg", [])
    assert not (tmp_path / "avg").exists()


def test_blending_with_the_start_model_mixes_in_its_weights(run_dir, tmp_path):
    checkpoints = find_checkpoints(run_dir / md.CHECKPOINT_DIR)
    start = restored(run_dir, checkpoints[0])  # stands in for the model a run started from
    average_checkpoints(run_dir, tmp_path / "start", checkpoints[:1])
    mean = [(a + b) / 2 for a, b in zip(*(restored(run_dir, c) for c in checkpoints[1:]))]
    out = average_checkpoints(run_dir, tmp_path / "soup", checkpoints[1:], blend=tmp_path / "start",
                              blend_weight=0.25)
    for got, m, s in zip(md.load_model_dir(out).model.get_weights(), mean, start):
        np.testing.assert_allclose(got, 0.75 * m + 0.25 * s, rtol=1e-5, atol=1e-6)

    with pytest.raises(AveragingError, match="another network"):
        average_checkpoints(run_dir, tmp_path / "bad", checkpoints[1:],
                            blend=write_tiny_synthesis_dir(tmp_path / "synthesis"))
    with pytest.raises(AveragingError, match="must be in"):
        average_checkpoints(run_dir, tmp_path / "bad", checkpoints[1:], blend=tmp_path / "start",
                            blend_weight=1.5)
    assert not (tmp_path / "bad").exists()
