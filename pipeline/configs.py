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
    layer_norm: bool = True
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
    # Fine-tuning: a model dir (or "pretrained", the shipped model of the task) whose weights,
    # alphabet and offset statistics a fresh run starts from. A resumed run ignores it.
    init_from: str | None = None


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

    def resume_invariants(self) -> dict:
        """``{"section.key": value}`` of the settings a resumed run must not change: the
        network's shape (its checkpoint would not fit) and the data downsampling."""
        section = "recognition" if self.task == "recognition" else "synthesis"
        out = {f"{section}.{k}": v for k, v in dataclasses.asdict(getattr(self, section)).items()
               if k != "dropout"}
        out["data.downsample"] = self.data.downsample
        return out

    def validate(self) -> ExperimentConfig:
        """Raises `ConfigError` for values no run can use; returns ``self``."""
        checks = [
            (self.task in TASKS, "task", f"must be one of {', '.join(TASKS)}"),
            (self.data.downsample >= 1, "data.downsample", "must be >= 1"),
            (self.data.max_points >= 2, "data.max_points", "must be >= 2"),
            (0.0 <= self.data.validation_fraction < 1.0, "data.validation_fraction", "must be in [0, 1)"),
            (list(self.data.bucket_boundaries) == sorted(set(self.data.bucket_boundaries)),
             "data.bucket_boundaries", "must be strictly increasing"),
            (self.data.shuffle_buffer >= 0, "data.shuffle_buffer", "must be >= 0"),
            (self.train.batch_size >= 1, "train.batch_size", "must be >= 1"),
            (self.train.learning_rate > 0, "train.learning_rate", "must be > 0"),
            (self.train.decay_steps >= 1, "train.decay_steps", "must be >= 1"),
            (self.train.steps >= 1, "train.steps", "must be >= 1"),
            (self.train.steps_per_epoch >= 1, "train.steps_per_epoch", "must be >= 1"),
            (self.train.validation_steps is None or self.train.validation_steps >= 1,
             "train.validation_steps", "must be >= 1 or null (the whole split)"),
            (self.train.keep_checkpoints >= 1, "train.keep_checkpoints", "must be >= 1"),
            (self.train.global_clipnorm is None or self.train.global_clipnorm > 0,
             "train.global_clipnorm", "must be > 0 or null"),
            (self.train.mixed_precision in MIXED_PRECISION_POLICIES, "train.mixed_precision",
             "must be null, mixed_float16 or mixed_bfloat16"),
            (self.train.sample_every_epochs >= 0, "train.sample_every_epochs", "must be >= 0"),
        ]
        for model in (self.synthesis, self.recognition):
            checks.append((model.units >= 1 and model.num_layers >= 1, type(model).__name__,
                           "units and num_layers must be >= 1"))
        for ok, key, problem in checks:
            if not ok:
                raise ConfigError(f"{key} {problem}")
        return self


MIXED_PRECISION_POLICIES = (None, "mixed_float16", "mixed_bfloat16")


def _merge(obj, data: dict, prefix: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(f"unknown config key {path!r}; known: {sorted(fields)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            _merge(current, value, path + ".")
        else:
            setattr(obj, key, _coerce(value, fields[key], path))


def _coerce(value, field: dataclasses.Field, path: str):
    """``value`` (from JSON/YAML or an override) as the type of ``field``."""
    typ = str(field.type)
    optional = "None" in typ
    if isinstance(value, str) and value.strip().lower() in ("none", "null", "~") and optional:
        value = None
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{path} cannot be null")
    try:
        if typ.startswith("tuple"):
            if isinstance(value, str):
                value = [v for v in value.replace("(", "").replace(")", "").replace("[", "")
                         .replace("]", "").split(",") if v.strip()]
            if not isinstance(value, (list, tuple)):
                raise TypeError(value)
            return tuple(_scalar(v, "int" if "int" in typ else "float") for v in value)
        for name in ("bool", "int", "float", "str"):
            if typ.startswith(name):
                return _scalar(value, name)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: cannot use {value!r} as {typ}") from None
    return value


def _scalar(value, name: str):
    if name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "no", "0"):
            return False
        raise ValueError(value)
    if isinstance(value, (bool, list, tuple, dict)):
        raise TypeError(value)  # True is an int to Python, but never a step count.
    if name == "int":
        if isinstance(value, str):
            value = float(value) if any(c in value for c in ".eE") else int(value)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if name == "float":
        return float(value)
    return str(value)


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


def parse_override(text: str) -> tuple[list[str], str]:
    """``"a.b=c"`` -> ``(["a", "b"], "c")`` (the value is converted by `apply_override`)."""
    if "=" not in text:
        raise ConfigError(f"bad override {text!r}: expected key=value, e.g. train.steps=1000")
    key, value = text.split("=", 1)
    key = key.strip()
    keys = key.split(".")
    if not key or not all(k.strip() for k in keys):
        raise ConfigError(f"bad override {text!r}: empty key")
    return [k.strip() for k in keys], value.strip()


def apply_override(cfg: ExperimentConfig, text: str) -> None:
    """Applies one ``a.b=c`` override in place.

    The value is read as YAML (``[1, 2]``, ``null``, ``1e-3``, ``true``) except for text
    fields, which take it verbatim (so ``data.source=s3://bucket/x: y`` is a path).
    """
    keys, raw = parse_override(text)
    if keys == ["task"]:
        raise ConfigError(f"bad override {text!r}: the task is set by --task, not --set")
    obj, path = cfg, ""
    for key in keys[:-1]:
        fields = {f.name for f in dataclasses.fields(obj)}
        if key not in fields or not dataclasses.is_dataclass(getattr(obj, key)):
            raise ConfigError(f"bad override {text!r}: unknown config section {path + key!r}")
        obj, path = getattr(obj, key), f"{path}{key}."
    fields = {f.name: f for f in dataclasses.fields(obj)}
    name = keys[-1]
    if name not in fields:
        raise ConfigError(f"bad override {text!r}: unknown config key {path + name!r}; "
                          f"known: {sorted(fields)}")
    if dataclasses.is_dataclass(getattr(obj, name)):
        raise ConfigError(f"bad override {text!r}: {path + name!r} is a section; set one of its keys")
    value: Any = raw
    if not str(fields[name].type).startswith("str"):
        import yaml

        try:
            value = yaml.safe_load(raw) if raw else raw
        except yaml.YAMLError:
            value = raw
    try:
        setattr(obj, name, _coerce(value, fields[name], path + name))
    except ConfigError as e:
        raise ConfigError(f"bad override {text!r}: {e}") from None


def load_config_file(path: str | Path) -> dict:
    """A YAML or JSON config file as a dict."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the config ({' '.join(str(e).split())})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping, not a {type(data).__name__}")
    return data


def resolve_config(
    task: str, config: str | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> ExperimentConfig:
    """The config of a run: a preset name or a YAML/JSON file, then ``a.b=c`` overrides.

    Args:
        task: one of `TASKS`.
        config: ``tiny``, ``cpu`` (the default), ``paper``, or a path to a YAML/JSON file
            (for instance the ``config.json`` that a previous run saved in its model dir,
            which reproduces that run).
        overrides: ``"section.key=value"`` strings, applied in order.

    Returns:
        The validated `ExperimentConfig`.

    Raises:
        ConfigError: unknown task/preset, unreadable file, unknown key, bad value.
    """
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    name = config or "cpu"
    if name in PRESETS:
        data = _preset(name, task)
    else:
        if not Path(name).is_file():
            raise ConfigError(f"config {name!r} is neither a preset ({', '.join(PRESETS)}) nor a file")
        data = load_config_file(name)
        if data.get("task", task) != task:
            raise ConfigError(f"{name}: the file is for task {data['task']!r}, not {task!r}")
    data = dict(data)
    data["task"] = task
    if name not in PRESETS:
        try:
            cfg = ExperimentConfig.from_dict(data)
        except ConfigError as e:
            raise ConfigError(f"{name}: {e}") from None
    else:
        cfg = ExperimentConfig.from_dict(data)
    for text in overrides:
        apply_override(cfg, text)
    return cfg.validate()
