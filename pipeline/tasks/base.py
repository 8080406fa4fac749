"""`Task`: what one kind of training needs, the TF Model Garden way.

A task builds its model from its config section, turns a corpus into examples and
examples into batches, and adds its own metrics and TensorBoard samples. The trainer
(`hwsr.pipeline.trainer`) runs any task through this interface and never branches on the
task's name; `get_task` looks a task up in the registry that `register_task` fills.

Adding a task: subclass `Task`, decorate it with ``@register_task("name")``, add the name
to `hwsr.model_dir.TASKS` (the model-dir format must know it) and import its module in
`hwsr.pipeline.tasks`.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from hwsr.alphabet import Alphabet
from hwsr.pipeline import datasets
from hwsr.pipeline.configs import ExperimentConfig
from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.examples import Examples, downsample_corpus, make_examples
from hwsr.pipeline.oversampling import oversample, rare_line_repeats
from hwsr.pipeline.strategies import shard_in_memory
from hwsr.strokes import Normalizer

_REGISTRY: dict[str, type[Task]] = {}


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    """Class decorator: registers a `Task` subclass under ``name`` (a `hwsr.model_dir.TASKS` entry)."""

    def decorate(cls: type[Task]) -> type[Task]:
        if name in _REGISTRY:
            raise ValueError(f"task {name!r} is already registered by {_REGISTRY[name].__name__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def registered_tasks() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get_task(cfg: ExperimentConfig) -> Task:
    """The `Task` of ``cfg.task``, configured by ``cfg``."""
    try:
        cls = _REGISTRY[cfg.task]
    except KeyError:
        raise ValueError(f"unknown task {cfg.task!r}; known: {', '.join(_REGISTRY)}") from None
    return cls(cfg)


@dataclasses.dataclass
class TaskData:
    """The examples of a run and the offset statistics they were prepared with."""

    train: Examples
    validation: Examples
    normalizer: Normalizer


class Task(abc.ABC):
    """One kind of training: model, examples, batches, metrics and samples.

    Args:
        cfg: the whole resolved `ExperimentConfig` of the run.
    """

    name: str = ""
    #: The `ExperimentConfig` section that holds this task's network settings.
    model_section: str = ""
    #: Whether the loss is a negative log-likelihood (also logged as ``nll``).
    loss_is_nll: bool = False

    def __init__(self, cfg: ExperimentConfig):
        self.cfg = cfg

    @property
    def model_config(self):
        """This task's network settings (a dataclass section of the config)."""
        return getattr(self.cfg, self.model_section)

    # --- Data -----------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def example_downsample(self) -> int:
        """The point dropping applied when examples are made (1: examples keep every point)."""

    @property
    def point_factor(self) -> int:
        """Example points per timestep the network reads (it drops the rest in its graph)."""
        return self.cfg.data.downsample // self.example_downsample

    @abc.abstractmethod
    def fit_normalizer(self, strokes: Sequence[np.ndarray]) -> Normalizer:
        """Offset statistics from the training lines (as `prepare_examples` keeps them)."""

    @abc.abstractmethod
    def prepare_examples(self, strokes: list[np.ndarray], corpus: LineCorpus, alphabet: Alphabet,
                         normalizer: Normalizer) -> Examples:
        """Model-ready examples of the (already downsampled) ``strokes`` of ``corpus``."""

    def prepare_data(self, corpus: LineCorpus, split: dict[str, list[int]], alphabet: Alphabet,
                     normalizer: Normalizer | None) -> TaskData:
        """Downsamples and encodes the train and validation lines of ``corpus``.

        Args:
            split: ``{"train": [...], "validation": [...]}`` line indices (by form).
            normalizer: the statistics to use (a resumed or fine-tuned run); None fits them
                on the training lines.
        """
        strokes = downsample_corpus(corpus, self.example_downsample)
        if normalizer is None:
            normalizer = self.fit_normalizer([strokes[i] for i in split["train"]])
        parts = {
            name: self.prepare_examples([strokes[i] for i in split[name]], corpus.subset(split[name]),
                                        alphabet, normalizer)
            for name in ("train", "validation")
        }
        return TaskData(parts["train"], parts["validation"], normalizer)

    def encode(self, strokes, corpus, alphabet, normalizer=None, clip=None) -> Examples:
        """`make_examples` with this task's length limit (in raw points kept)."""
        return make_examples(strokes, corpus, alphabet, normalizer, clip=clip,
                             max_points=self.cfg.data.max_points * self.point_factor)

    @abc.abstractmethod
    def batches(self, examples: tf.data.Dataset, batching: datasets.BatchingConfig,
                training: bool) -> tf.data.Dataset:
        """Padded model batches of unbatched ``examples`` (augmented when ``training``)."""

    def make_dataset(self, examples: Examples, training: bool, seed: int,
                     full_batches: bool = False) -> tf.data.Dataset:
        """Padded, bucketed batches of ``examples`` (global batch size, DATA-sharded).

        Training data repeats forever, shuffled with ``seed``. Validation data is one pass,
        or with ``full_batches`` a repeating stream of full batches (the caller takes a fixed
        number of steps): with several replicas a short last batch would leave a replica
        empty, and with several workers every worker must run the same number of steps.
        """
        cfg = self.cfg
        batching = datasets.BatchingConfig(
            batch_size=cfg.train.batch_size,
            bucket_boundaries=tuple(b * self.point_factor for b in cfg.data.bucket_boundaries),
            pad_to_bucket_boundary=bool(cfg.data.bucket_boundaries),
            shuffle_buffer=cfg.data.shuffle_buffer if training else 0,
            seed=seed,
            repeat=training or full_batches,
            drop_remainder=training or full_batches,
        )
        ds = self.examples_dataset(examples, training, seed)
        return shard_in_memory(self.batches(ds, batching, training))

    def examples_dataset(self, examples: Examples, training: bool, seed: int) -> tf.data.Dataset:
        """The unbatched ``{"strokes", "codes"}`` dataset of ``examples``; training lines with
        rare characters repeated when ``data.rare_char_power`` asks (`hwsr.pipeline.oversampling`)."""
        data = self.cfg.data
        if training and data.rare_char_power > 0:
            repeats = rare_line_repeats(examples.codes, data.rare_char_power,
                                        data.rare_char_threshold, data.rare_char_max_repeats)
            examples = oversample(examples, repeats)
        return datasets.from_arrays(examples.strokes, examples.codes)

    def timesteps_per_line(self, examples: Examples) -> float:
        """Mean timesteps the recurrent network reads per line of ``examples``."""
        return examples.num_points / max(len(examples), 1) / self.point_factor

    # --- Model ----------------------------------------------------------------------------

    @abc.abstractmethod
    def build_model(self, alphabet: Alphabet, normalizer: Normalizer) -> keras.Model:
        """The built, uncompiled Keras model."""

    def resume_invariants(self) -> dict:
        """``{"section.key": value}`` of the settings a resumed or fine-tuned run must keep:
        the network's shape (a checkpoint would not fit) and the data downsampling."""
        out = {f"{self.model_section}.{k}": v
               for k, v in dataclasses.asdict(self.model_config).items()
               if k not in self.trainable_without_reshape}
        out["data.downsample"] = self.cfg.data.downsample
        return out

    #: Network settings that do not change the weights' shapes (free to change on resume).
    trainable_without_reshape: tuple[str, ...] = ()

    # --- Monitoring -----------------------------------------------------------------------

    def metric_callbacks(self, alphabet: Alphabet, validation: Examples) -> list[keras.callbacks.Callback]:
        """Callbacks that add validation metrics to the epoch logs (before the loggers)."""
        return []

    def sample_callbacks(self, alphabet: Alphabet, normalizer: Normalizer, validation: Examples,
                         log_dir, num_lines: int = 3) -> list[keras.callbacks.Callback]:
        """TensorBoard sample callbacks (every ``train.sample_every_epochs`` epochs)."""
        return []
