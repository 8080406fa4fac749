"""Fine-tuning with ``train.init_from`` (pipeline/trainer.py): a fresh run starts from another
model dir's weights, alphabet and statistics; a resumed run ignores it; a model that does not
fit is refused in one line."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from hwsr import model_dir as md
from hwsr.cli.train import main
from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.pipeline.tasks import get_task
from hwsr.pipeline.trainer import (
    TrainingError,
    init_from_dir,
    load_init_source,
    train,
)
from hwsr.testing import random_lines, write_tiny_recognition_dir, write_tiny_synthesis_dir


def test_a_fresh_run_starts_from_the_source_and_a_resumed_run_ignores_it(tmp_path):
    source = md.load_model_dir(write_tiny_synthesis_dir(tmp_path / "source"))
    lines, texts = random_lines(16, seed=4)
    data = write_npz_lines(tmp_path / "data", lines, texts, [f"f{i:02d}-000-01" for i in range(16)])
    # The tiny preset is the tiny synthesis dir's network, except for the point density.
    overrides = [f"data.source={data}", "data.downsample=2", "data.validation_fraction=0.25",
                 "train.steps_per_epoch=1", f"train.init_from={source.path}"]
    cfg = resolve_config("conditional_handwriting", "tiny", [*overrides, "train.steps=1"])
    summary = train(cfg, tmp_path / "tuned", quiet=True)
    assert summary["init_from"] == str(source.path) and summary["step"] == 1

    tuned = md.load_model_dir(tmp_path / "tuned")  # The weights after the one step.
    assert tuned.normalizer == source.normalizer and tuned.alphabet == source.alphabet
    keras.utils.set_random_seed(cfg.train.seed)
    fresh = get_task(cfg).build_model(source.alphabet, source.normalizer).get_weights()
    weights, start = tuned.model.get_weights(), source.model.get_weights()
    assert len(weights) == len(start) == len(fresh) > 5
    from_source = max(float(np.abs(w - s).max()) for w, s in zip(weights, start))
    from_fresh = max(float(np.abs(w - f).max()) for w, f in zip(weights, fresh))
    # One Adam step moves each weight by at most the learning rate (1e-3).
    assert 0.0 < from_source <= 1.001 * cfg.train.learning_rate
    assert from_fresh > 0.1

    # Resuming: the checkpoint wins, init_from is not even looked at.
    again = resolve_config("conditional_handwriting", "tiny", [
        *overrides, f"train.init_from={tmp_path / 'nowhere'}", "train.steps=2"])
    resumed = train(again, tmp_path / "tuned", quiet=True)
    assert (resumed["start_step"], resumed["step"]) == (1, 2) and "init_from" not in resumed


def test_another_network_is_refused_in_one_line_naming_the_fields(tmp_path, capsys):
    source = write_tiny_recognition_dir(tmp_path / "rec")  # units 8, downsample 2.
    code = main(["--task", "recognition", "--data", str(tmp_path), "--model-dir", str(tmp_path / "m"),
                 "--config", "tiny", "--set", f"train.init_from={source}"])
    [error] = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert code == 2
    assert error.startswith(f"hwsr-train: error: train.init_from: {source} holds another network")
    assert "recognition.units 8 != 16; data.downsample 2 != 4" in error
    assert "recognition.num_layers" not in error  # 2 in both.


@pytest.mark.parametrize("init_from, message", [
    ("rec", "holds a 'recognition' model, not 'conditional_handwriting'"),
    ("nowhere", "nowhere: no such model directory"),
])
def test_a_source_of_another_task_or_none_is_refused(tmp_path, init_from, message):
    write_tiny_recognition_dir(tmp_path / "rec")
    cfg = resolve_config("conditional_handwriting", "tiny", [f"train.init_from={tmp_path / init_from}"])
    with pytest.raises(TrainingError, match=f"train.init_from: .*{message}"):
        load_init_source(get_task(cfg))


@pytest.mark.parametrize("task, name", [
    ("conditional_handwriting", "synthesis"),
    ("unconditional_handwriting", "prediction"),
    ("recognition", "recognition"),
])
def test_pretrained_is_the_shipped_model_of_the_task_and_fits_the_cpu_preset(task, name):
    cfg = resolve_config(task, "cpu", ["train.init_from=pretrained"])
    path = init_from_dir(cfg)
    assert path.parts[-2:] == ("pretrained", name)
    assert json.loads((path / md.MODEL_FILE).read_text())["task"] == task
    source = load_init_source(get_task(cfg))
    assert source.path == path and source.normalizer.std[0] > 1.0  # Raw-unit statistics.
    # What the trainer does with it: the weights fit the network of the cpu preset.
    get_task(cfg).build_model(source.alphabet, source.normalizer).set_weights(source.model.get_weights())
    section = "recognition" if task == "recognition" else "synthesis"
    with pytest.raises(TrainingError, match=rf"{section}.units \d+ != 16"):
        load_init_source(get_task(resolve_config(task, "tiny", ["train.init_from=pretrained"])))
