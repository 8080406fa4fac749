"""Dataclass experiment configs (the TF Model Garden pattern), presets and overrides.

An `ExperimentConfig` holds everything needed to reproduce a run. It is resolved from a
named preset (``tiny``, ``cpu``, ``paper``) or a YAML/JSON file, then ``--set a.b=c``
overrides, and saved as ``config.json`` in the model dir.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

from hwsr.model_dir import TASKS


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
    # Recognition: extra lines (any `load_corpus` layout, e.g. the TFRecords that
    # scripts/make_synthetic_ink.py writes) mixed into the training stream, and their share.
    synthetic_source: str = ""
    synthetic_fraction: float = 0.0
    # Training lines with rare characters (digits, capitals, punctuation) repeated up to
    # rare_char_max_repeats times per epoch (`hwsr.pipeline.oversampling`); power 0 is off.
    rare_char_power: float = 0.0
    rare_char_threshold: int = 500
    rare_char_max_repeats: int = 8

    def split(self, line_ids) -> dict[str, list[int]]:
        """The train/validation split by form that ``hwsr-train`` makes with this config
        (`hwsr.pipeline.splits.split_by_form`); ``DataConfig().split(ids)`` is its default."""
        from hwsr.pipeline.splits import split_by_form

        return split_by_form(line_ids, self.validation_fraction, self.split_seed)


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
class AugmentConfig:
    """Ranges of the ink augmentation of recognition training (`hwsr.pipeline.augment.augment_strokes`).

    ``probability`` 0 (the default) switches augmentation off.
    """

    probability: float = 0.0  # Share of training lines augmented.
    max_shear: float = 0.35  # Slant change, |tan| of the shear angle.
    max_rotation_degrees: float = 4.0
    min_scale: float = 0.5  # Overall scale, log-uniform.
    max_scale: float = 3.0
    max_aspect: float = 1.2  # x/y scale ratio, log-uniform in [1/a, a].
    min_density: float = 0.5  # Points per unit of ink relative to the source, log-uniform.
    max_density: float = 2.0
    jitter: float = 0.05  # Position noise, in median step lengths.

    def validate(self) -> list[tuple[bool, str, str]]:
        """``(ok, key, problem)`` checks for `hwsr.pipeline.configs.ExperimentConfig.validate`."""
        return [
            (0.0 <= self.probability <= 1.0, "augment.probability", "must be in [0, 1]"),
            (0 < self.min_scale <= self.max_scale, "augment.min_scale",
             "must be > 0 and <= augment.max_scale"),
            (0 < self.min_density <= self.max_density <= 2.0, "augment.min_density",
             "must be > 0 and <= augment.max_density <= 2"),
            (self.max_aspect >= 1.0, "augment.max_aspect", "must be >= 1"),
            (self.max_shear >= 0 and self.max_rotation_degrees >= 0 and self.jitter >= 0,
             "augment", "max_shear, max_rotation_degrees and jitter must be >= 0"),
        ]


@dataclasses.dataclass
class TrainConfig:
    """Optimisation, budget, checkpointing and monitoring."""

    batch_size: int = 32  # Global batch size, split across replicas.
    learning_rate: float = 1e-3
    decay_steps: int = 4000
    decay_rate: float = 0.5
    warmup_steps: int = 0  # Linear learning-rate warm-up (e.g. 100 with train.init_from).
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
    augment: AugmentConfig = dataclasses.field(default_factory=AugmentConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentConfig:
        config = cls()
        _merge(config, data, "")
        return config

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
            (self.train.warmup_steps >= 0, "train.warmup_steps", "must be >= 0"),
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
            (0.0 <= self.data.synthetic_fraction < 1.0, "data.synthetic_fraction", "must be in [0, 1)"),
            (not self.data.synthetic_fraction or bool(self.data.synthetic_source),
             "data.synthetic_fraction", "needs data.synthetic_source"),
            (self.data.rare_char_power >= 0, "data.rare_char_power", "must be >= 0"),
            (self.data.rare_char_threshold >= 1 and self.data.rare_char_max_repeats >= 1,
             "data.rare_char_threshold", "and data.rare_char_max_repeats must be >= 1"),
            *self.augment.validate(),
        ]
        for model in (self.synthesis, self.recognition):
            checks.append((model.units >= 1 and model.num_layers >= 1, type(model).__name__,
                           "units and num_layers must be >= 1"))
        for ok, key, problem in checks:
            if not ok:
                raise ConfigError(f"{key} {problem}")
        return self


MIXED_PRECISION_POLICIES = (None, "mixed_float16", "mixed_bfloat16")


def _field_types(obj) -> dict[str, Any]:
    """The resolved type hints of a config dataclass (the annotations are strings here)."""
    return typing.get_type_hints(type(obj))


def _merge(obj, data: dict, prefix: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a mapping, got {type(data).__name__}")
    types = _field_types(obj)
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in types:
            raise ConfigError(f"unknown config key {path!r}; known: {sorted(types)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            _merge(current, value, path + ".")
        else:
            setattr(obj, key, _coerce(value, types[key], path))


def _coerce(value, hint, path: str):
    """``value`` (from JSON/YAML or an override) as the type ``hint`` of its field.

    Handles the hints configs use: ``bool``, ``int``, ``float``, ``str``, ``X | None`` and
    ``tuple[X, ...]`` (from a list, or a string such as ``"1,2"`` or ``"(1, 2)"``).
    """
    args = typing.get_args(hint)
    optional = type(None) in args
    if optional:
        (hint,) = [a for a in args if a is not type(None)]
    if isinstance(value, str) and value.strip().lower() in ("none", "null", "~") and optional:
        value = None
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{path} cannot be null")
    try:
        if typing.get_origin(hint) is tuple:
            item = typing.get_args(hint)[0]
            if isinstance(value, str):
                value = [v for v in value.strip("()[] ").split(",") if v.strip()]
            if not isinstance(value, (list, tuple)):
                raise TypeError(value)
            return tuple(_scalar(v, item) for v in value)
        if hint in (bool, int, float, str):
            return _scalar(value, hint)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: cannot use {value!r} as {_type_name(hint, optional)}") from None
    return value


def _type_name(hint, optional: bool) -> str:
    name = getattr(hint, "__name__", str(hint)) if typing.get_origin(hint) is None else str(hint)
    return f"{name} | None" if optional else name


def _scalar(value, kind: type):
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "no", "0"):
            return False
        raise ValueError(value)
    if isinstance(value, (bool, list, tuple, dict)):
        raise TypeError(value)  # True is an int to Python, but never a step count.
    if kind is int:
        if isinstance(value, str):
            value = float(value) if any(c in value for c in ".eE") else int(value)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if kind is float:
        return float(value)
    return str(value)


#: The named presets: each is the set of values it changes from the dataclass defaults.
PRESETS: dict[str, dict] = {}


def register_preset(name: str, values: dict) -> None:
    """Adds a preset (``--config NAME``): nested ``{"section": {"key": value}}`` overrides."""
    if name in PRESETS:
        raise ValueError(f"preset {name!r} is already registered")
    ExperimentConfig.from_dict(values)  # Fails early on a key that does not exist.
    PRESETS[name] = values


register_preset("tiny", {
    "data": {"downsample": 4, "bucket_boundaries": (), "shuffle_buffer": 64},
    "synthesis": {"units": 16, "num_layers": 2, "num_window_components": 2,
                  "num_mixture_components": 3},
    "recognition": {"units": 16, "num_layers": 2, "attention_heads": 1,
                    "attention_key_dim": 8, "dropout": 0.0},
    "train": {"batch_size": 4, "steps": 4, "steps_per_epoch": 2, "validation_steps": 1,
              "decay_steps": 100, "sample_every_epochs": 0},
})
register_preset("cpu", {})  # The defaults: the shipped models.
register_preset("paper", {
    "data": {"downsample": 1, "max_points": 2000,
             "bucket_boundaries": (400, 500, 600, 700, 800, 1000, 1300, 2001)},
    "synthesis": {"units": 400, "num_layers": 3, "num_window_components": 10,
                  "num_mixture_components": 20},
    "recognition": {"units": 256, "num_layers": 4},
    "train": {"learning_rate": 1e-4, "batch_size": 32},
})


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
    types = _field_types(obj)
    name = keys[-1]
    if name not in types:
        raise ConfigError(f"bad override {text!r}: unknown config key {path + name!r}; "
                          f"known: {sorted(types)}")
    if dataclasses.is_dataclass(getattr(obj, name)):
        raise ConfigError(f"bad override {text!r}: {path + name!r} is a section; set one of its keys")
    value: Any = raw
    if types[name] not in (str, str | None):
        import yaml

        try:
            value = yaml.safe_load(raw) if raw else raw
        except yaml.YAMLError:
            value = raw
    try:
        setattr(obj, name, _coerce(value, types[name], path + name))
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
        data = copy.deepcopy(PRESETS[name])
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
