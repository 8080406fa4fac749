"""Tests for hwsr.pipeline.configs: presets, files, overrides, validation, reproduction."""

from __future__ import annotations

import json

import pytest

from hwsr.pipeline.configs import (
    ConfigError,
    ExperimentConfig,
    apply_override,
    parse_override,
    resolve_config,
)
from hwsr.pipeline.tasks import get_task


def test_presets_differ_and_cpu_is_the_default():
    cpu = resolve_config("recognition", "cpu")
    assert cpu == resolve_config("recognition", None)
    assert cpu.to_dict() == ExperimentConfig(task="recognition").to_dict()
    tiny = resolve_config("conditional_handwriting", "tiny")
    assert tiny.synthesis.units < cpu.synthesis.units and tiny.train.batch_size == 4
    paper = resolve_config("conditional_handwriting", "paper")
    # Graves 2013: three layers of 400 LSTM cells, 10 window and 20 mixture components.
    assert (paper.synthesis.units, paper.synthesis.num_layers) == (400, 3)
    assert (paper.synthesis.num_window_components, paper.synthesis.num_mixture_components) == (10, 20)


def test_cpu_preset_values_are_the_ones_the_shipped_runs_use():
    cfg = resolve_config("conditional_handwriting", "cpu")
    assert (cfg.synthesis.units, cfg.synthesis.num_layers, cfg.train.batch_size) == (256, 3, 32)
    assert (cfg.train.steps_per_epoch, cfg.train.keep_checkpoints, cfg.data.downsample) == (200, 3, 2)
    assert cfg.data.bucket_boundaries == (200, 260, 320, 380, 450, 550, 700, 1201)


def test_overrides_are_typed():
    cfg = resolve_config("recognition", "tiny", [
        "train.steps=12", "train.learning_rate=1e-3", "train.validation_steps=null",
        "train.jit_compile=true", "data.bucket_boundaries=[10, 20]", "recognition.subsample_after=0,1",
        "data.source=s3://bucket/a: b", "train.mixed_precision=None", "train.global_clipnorm=~",
    ])
    assert cfg.train.steps == 12 and isinstance(cfg.train.steps, int)
    assert cfg.train.learning_rate == pytest.approx(1e-3)
    assert cfg.train.validation_steps is None and cfg.train.jit_compile is True
    assert cfg.data.bucket_boundaries == (10, 20) and cfg.recognition.subsample_after == (0, 1)
    assert cfg.data.source == "s3://bucket/a: b"  # Text fields take the value verbatim.
    assert cfg.train.mixed_precision is None and cfg.train.global_clipnorm is None


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.steps", "expected key=value"),
        ("=3", "empty key"),
        ("train.stepz=3", "unknown config key 'train.stepz'"),
        ("trian.steps=3", "unknown config section 'trian'"),
        ("train=3", "is a section"),
        ("task=recognition", "--task"),
        ("train.steps=true", "cannot use True as int"),
        ("train.steps=1.5", "cannot use 1.5 as int"),
        ("train.steps=abc", "cannot use 'abc' as int"),
        ("train.batch_size=0", "train.batch_size must be >= 1"),
        ("train.learning_rate=null", "cannot be null"),
        ("train.mixed_precision=float8", "mixed_precision must be"),
        ("data.bucket_boundaries=[20, 10]", "strictly increasing"),
        ("data.validation_fraction=1.0", "validation_fraction"),
    ],
)
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        resolve_config("recognition", "tiny", [override])


def test_parse_override_keeps_raw_text():
    assert parse_override(" train.steps = 5 ") == (["train", "steps"], "5")


def test_apply_override_is_in_place():
    cfg = ExperimentConfig()
    apply_override(cfg, "synthesis.units=8")
    assert cfg.synthesis.units == 8


def test_unknown_task_and_preset():
    with pytest.raises(ConfigError, match="unknown task"):
        resolve_config("translation")
    with pytest.raises(ConfigError, match="neither a preset"):
        resolve_config("recognition", "huge")


def test_yaml_and_json_files(tmp_path):
    (tmp_path / "c.yaml").write_text("train:\n  steps: 7\nrecognition:\n  units: 12\n")
    cfg = resolve_config("recognition", str(tmp_path / "c.yaml"), ["train.steps=9"])
    assert (cfg.train.steps, cfg.recognition.units) == (9, 12)
    (tmp_path / "c.json").write_text(json.dumps({"data": {"downsample": 3}}))
    assert resolve_config("recognition", str(tmp_path / "c.json")).data.downsample == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("train: [1, 2", "cannot read the config"),
        ("- 1\n- 2\n", "must hold a mapping"),
        ("train:\n  stepz: 3\n", "unknown config key 'train.stepz'"),
        ("task: recognition\n", "for task 'recognition'"),
        ("train: 3\n", "train: expected a mapping"),
    ],
)
def test_bad_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        resolve_config("conditional_handwriting", str(path))
    assert str(path) in str(info.value)


def test_saved_config_reproduces_the_run(tmp_path):
    cfg = resolve_config("conditional_handwriting", "tiny", ["train.steps=11", "data.source=/d"])
    saved = tmp_path / "config.json"
    saved.write_text(cfg.to_json())
    again = resolve_config("conditional_handwriting", str(saved))
    assert again == cfg
    assert again.to_json() == cfg.to_json()


def test_resume_invariants_cover_the_network_shape():
    a = resolve_config("recognition", "tiny")
    b = resolve_config("recognition", "tiny", ["recognition.dropout=0.3", "train.steps=99"])
    assert get_task(a).resume_invariants() == get_task(b).resume_invariants()
    c = resolve_config("recognition", "tiny", ["recognition.units=32"])
    key = "recognition.units"
    assert get_task(a).resume_invariants()[key] != get_task(c).resume_invariants()[key]


def test_init_from_is_a_path_or_pretrained_and_no_resume_invariant():
    assert resolve_config("recognition", "cpu").train.init_from is None
    for value in ("pretrained", "runs/my rec: v2"):
        cfg = resolve_config("recognition", "tiny", [f"train.init_from={value}"])
        assert cfg.train.init_from == value
    assert resolve_config("recognition", "tiny", ["train.init_from=null"]).train.init_from is None
    # A resumed run ignores init_from, so changing it must not refuse the model dir.
    plain = resolve_config("recognition", "tiny")
    assert get_task(cfg).resume_invariants() == get_task(plain).resume_invariants()
