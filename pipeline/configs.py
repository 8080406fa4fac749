"""Dataclass experiment configs (the TF Model Garden pattern), presets and overrides.

An `ExperimentConfig` holds everything needed to reproduce a run. It is resolved from a
named preset (``tiny``, ``cpu``, ``paper``) or a YAML/JSON file, then ``--set a.b=c``
overrides, and saved as ``config.json`` in the model dir.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

TASKS = ("unconditional_handwriting", "conditional_handwriting", "recognition")


class ConfigError(ValueError):
    """A bad config file, preset name or override."""


@dataclasses.dataclass
class DataConfig:
    """Where the lines come from and how they are turned into training examples."""

    source: str = ""  # Data folder (npz, legacy npy, IAM XML) or prepared TFRecords dir.
    downsample: int = 2  # Keep every n-th point of each stroke (stroke ends always kept).
    clip_offset_std: float = 15.0  # Clip normalised offsets to +-this (synthesis targets).
    max_points: int = 1200  # Drop longer lines (after downsampling).
    validation_fraction: float = 0.05
    split_seed: int = 0
    bucket_boundaries: tuple[int, ...] = (200, 260, 320, 380, 450, 550, 700, 1201)
    shuffle_buffer: int = 4096


@dataclasses.dataclass
class SynthesisModelConfig:
    """`HandwritingSynthesisModel` arguments (Graves section 5)."""

    units: int = 256
    num_layers: int = 3
    num_window_components: int = 10
    num_mixture_components: int = 20
    kappa_scale: float = 10.0


@dataclasses.dataclass
class RecognitionModelConfig:
    """`HandwritingRecognitionModel` arguments."""

    units: int = 128
    num_layers: int = 3
    subsample_after: tuple[int, ...] = (0,)  # Halve time after these layers.
    dropout: float = 0.1
    attention_heads: int = 2
    attention_key_dim: int = 32
    curvature_features: bool = False


@dataclasses.dataclass
class TrainConfig:
    """Optimisation, budget, checkpointing and monitoring."""

    batch_size: int = 32  # Global batch size, split across replicas.
    learning_rate: float = 1e-3
    decay_steps: int = 4000
    decay_rate: float = 0.5
    global_clipnorm: float | None = 100.0
    steps: int = 20000  # Total budget (optimizer steps); resumed runs count from where they are.
    steps_per_epoch: int = 200  # Also the checkpoint interval.
    validation_steps: int | None = None  # None: the whole validation split.
    keep_checkpoints: int = 3
    seed: int = 0
    jit_compile: bool = False
    mixed_precision: str | None = None  # "mixed_float16" / "mixed_bfloat16" on GPU.
    focal_gamma: float = 0.0  # Recognition: 0 is plain CTC.
    focal_alpha: float = 1.0
    sample_every_epochs: int = 1  # TensorBoard samples (0: never).


@dataclasses.dataclass
class ExperimentConfig:
    """The whole resolved configuration of a run (saved as ``config.json``)."""

    task: str = "conditional_handwriting"
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    synthesis: SynthesisModelConfig = dataclasses.field(default_factory=SynthesisModelConfig)
    recognition: RecognitionModelConfig = dataclasses.field(default_factory=RecognitionModelConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentConfig:
        config = cls()
        _merge(config, data, "")
        return config


def _merge(obj, data: dict, prefix: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(f"unknown config key {path!r}; known: {sorted(fields)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            _merge(current, value, path + ".")
        else:
            setattr(obj, key, _coerce(value, current, fields[key], path))


def _coerce(value, current, field: dataclasses.Field, path: str):
    typ = str(field.type)
    if value is None:
        if "None" in typ:
            return None
        raise ConfigError(f"{path} cannot be null")
    try:
        if typ.startswith("tuple"):
            if isinstance(value, str):
                value = [v for v in value.replace("(", "").replace(")", "").split(",") if v.strip()]
            inner = int if "int" in typ else float
            return tuple(inner(v) for v in value)
        if isinstance(current, bool) or typ.startswith("bool"):
            if isinstance(value, str):
                if value.lower() in ("true", "1", "yes"):
                    return True
                if value.lower() in ("false", "0", "no"):
                    return False
                raise ValueError(value)
            return bool(value)
        if typ.startswith("int"):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if typ.startswith("float"):
            return float(value)
        if typ.startswith("str"):
            if isinstance(value, str) and value.lower() in ("none", "null") and "None" in typ:
                return None
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: cannot use {value!r} as {typ}") from None
    return value


def _preset(name: str, task: str) -> dict:
    if name == "cpu":
        return {}
    if name == "tiny":
        return {
            "data": {"downsample": 4, "bucket_boundaries": (), "shuffle_buffer": 64},
            "synthesis": {"units": 16, "num_layers": 2, "num_window_components": 2,
                          "num_mixture_components": 3},
            "recognition": {"units": 16, "num_layers": 2, "attention_heads": 1,
                            "attention_key_dim": 8, "dropout": 0.0},
            "train": {"batch_size": 4, "steps": 4, "steps_per_epoch": 2, "validation_steps": 1,
                      "decay_steps": 100, "sample_every_epochs": 0},
        }
    if name == "paper":
        return {
            "data": {"downsample": 1, "max_points": 2000,
                     "bucket_boundaries": (400, 500, 600, 700, 800, 1000, 1300, 2001)},
            "synthesis": {"units": 400, "num_layers": 3, "num_window_components": 10,
                          "num_mixture_components": 20},
            "recognition": {"units": 256, "num_layers": 4},
            "train": {"learning_rate": 1e-4, "batch_size": 32},
        }
    raise ConfigError(f"unknown preset {name!r}; known: tiny, cpu, paper")


PRESETS = ("tiny", "cpu", "paper")


def parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise ConfigError(f"bad override {text!r}: expected key=value, e.g. train.steps=1000")
    key, value = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"bad override {text!r}: empty key")
    try:
        import yaml

        parsed = yaml.safe_load(value) if value.strip() else ""
    except Exception:
        parsed = value
    return key.split("."), parsed


def resolve_config(
    task: str, config: str | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> ExperimentConfig:
    """Preset name or YAML/JSON file, then ``a.b=c`` overrides."""
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    data: dict = {}
    name = config or "cpu"
    if name in PRESETS:
        data = _preset(name, task)
    else:
        path = Path(name)
        if not path.exists():
            raise ConfigError(f"config {name!r} is neither a preset ({', '.join(PRESETS)}) nor a file")
        try:
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except Exception as e:
            raise ConfigError(f"{path}: cannot parse ({e})") from None
        if data.get("task", task) != task:
            raise ConfigError(f"{path}: the file is for task {data['task']!r}, not {task!r}")
    data = dict(data)
    data["task"] = task
    cfg = ExperimentConfig.from_dict(data)
    for text in overrides:
        keys, value = parse_override(text)
        nested: dict = value
        for key in reversed(keys):
            nested = {key: nested}
        try:
            _merge(cfg, nested, "")
        except ConfigError as e:
            raise ConfigError(f"override {text!r}: {e}") from None
    return cfg
