"""The recognition task: pen strokes -> text with `HandwritingRecognitionModel` and (focal) CTC."""

from __future__ import annotations

import dataclasses
import functools

import tensorflow as tf

from hwsr.pipeline import callbacks as cb
from hwsr.pipeline import datasets
from hwsr.pipeline.augment import augment_strokes
from hwsr.pipeline.tasks.base import Task, register_task
from hwsr.strokes import Normalizer, drop_points


@register_task("recognition")
class RecognitionTask(Task):
    """Raw-density ink in, CTC over the alphabet out.

    Examples keep every point: the model drops points (``data.downsample``) and scales
    offsets in its own graph, so it reads the same raw ink at training and inference. The
    offset statistics are those of the dropped-point ink. Training lines can be augmented
    (``augment``, `hwsr.pipeline.augment`) and mixed with synthetic lines
    (``data.synthetic_source``, ``data.synthetic_fraction``).
    """

    model_section = "recognition"
    trainable_without_reshape = ("dropout",)

    def __init__(self, cfg):
        super().__init__(cfg)
        self.synthetic = None  # Synthetic training examples, loaded by `prepare_data`.

    @property
    def example_downsample(self) -> int:
        return 1

    def fit_normalizer(self, strokes):
        return Normalizer.fit(drop_points(s, self.cfg.data.downsample) for s in strokes)

    def prepare_examples(self, strokes, corpus, alphabet, normalizer):
        return self.encode(strokes, corpus, alphabet)

    def prepare_data(self, corpus, split, alphabet, normalizer):
        data = super().prepare_data(corpus, split, alphabet, normalizer)
        self.synthetic = self._synthetic_examples(alphabet)
        return data

    def _synthetic_examples(self, alphabet):
        source = self.cfg.data.synthetic_source
        if not source or not self.cfg.data.synthetic_fraction:
            return None
        from hwsr.pipeline.sources import load_corpus

        corpus = load_corpus(source)
        examples = self.encode(list(corpus.strokes), corpus, alphabet)
        if not len(examples):
            raise ValueError(f"data.synthetic_source {source}: no usable lines")
        return examples

    def examples_dataset(self, examples, training, seed):
        real = super().examples_dataset(examples, training, seed)
        if not training or self.synthetic is None:
            return real
        fraction = self.cfg.data.synthetic_fraction
        return tf.data.Dataset.sample_from_datasets(
            [real.repeat(), super().examples_dataset(self.synthetic, training, seed).repeat()],
            weights=[1.0 - fraction, fraction], seed=seed)

    def batches(self, examples, batching, training):
        augment = None
        if training and self.cfg.augment.probability > 0:
            augment = functools.partial(augment_strokes, config=self.cfg.augment,
                                        max_points=self.cfg.data.max_points * self.point_factor)
        return datasets.recognition_batches(examples, batching, augment=augment)

    def build_model(self, alphabet, normalizer):
        from hwsr.models.recognition_model import HandwritingRecognitionModel

        train = self.cfg.train
        model = HandwritingRecognitionModel(
            vocabulary_size=len(alphabet),
            offset_scale=tuple(normalizer.std),
            downsample=self.cfg.data.downsample,
            focal_gamma=train.focal_gamma,
            focal_alpha=train.focal_alpha,
            **dataclasses.asdict(self.model_config),  # The section's fields are the model's arguments.
        )
        model.build()
        return model

    def metric_callbacks(self, alphabet, validation):
        if validation is None or len(validation) == 0:
            return []
        texts = [alphabet.decode(c) for c in validation.codes]
        return [cb.RecognitionMetricsCallback(alphabet, list(validation.strokes), texts)]

    def sample_callbacks(self, alphabet, normalizer, validation, log_dir, num_lines=3):
        every = self.cfg.train.sample_every_epochs
        if every <= 0 or validation is None or len(validation) == 0:
            return []
        n = min(num_lines, len(validation))
        texts = [alphabet.decode(c) for c in validation.codes[:n]]
        return [cb.RecognitionSampleCallback(alphabet, list(validation.strokes[:n]), texts, log_dir, every)]
