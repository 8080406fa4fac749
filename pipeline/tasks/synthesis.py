"""The synthesis tasks: handwriting conditioned on text (Graves section 5) and free
handwriting from the prediction network (Graves section 4)."""

from __future__ import annotations

import dataclasses

from hwsr.pipeline import callbacks as cb
from hwsr.pipeline import datasets
from hwsr.pipeline.tasks.base import Task, register_task
from hwsr.strokes import Normalizer


@register_task("conditional_handwriting")
class SynthesisTask(Task):
    """Text -> pen strokes: `HandwritingSynthesisModel` with an attention window.

    Examples are downsampled (``data.downsample``), normalised and clipped offsets; the
    loss is the mixture-density negative log-likelihood per line.
    """

    model_section = "synthesis"
    loss_is_nll = True
    #: Whether the network reads the text (the prediction task does not).
    conditional = True

    @property
    def example_downsample(self) -> int:
        return self.cfg.data.downsample

    def fit_normalizer(self, strokes):
        return Normalizer.fit(strokes)

    def prepare_examples(self, strokes, corpus, alphabet, normalizer):
        return self.encode(strokes, corpus, alphabet, normalizer, clip=self.cfg.data.clip_offset_std)

    def batches(self, examples, batching, training):
        return datasets.synthesis_batches(examples, batching)

    def build_model(self, alphabet, normalizer):
        from hwsr.models.synthesis_model import HandwritingSynthesisModel

        model = HandwritingSynthesisModel(
            vocabulary_size=len(alphabet) if self.conditional else None,
            **dataclasses.asdict(self.model_config),  # The section's fields are the model's arguments.
        )
        model.build()
        return model

    def sample_callbacks(self, alphabet, normalizer, validation, log_dir, num_lines=3):
        every = self.cfg.train.sample_every_epochs
        if every <= 0 or validation is None or len(validation) == 0:
            return []
        from hwsr import render
        from hwsr.sampling import sample_strokes

        n = min(num_lines, len(validation))
        codes = list(validation.codes[:n]) if self.conditional else None
        longest = max(len(c) for c in codes) if codes else 40
        max_steps = int(min(self.cfg.data.max_points, 40 * longest))
        return [cb.SynthesisSampleCallback(sample_strokes, render.to_image, normalizer, codes, n,
                                           max_steps, log_dir, every)]


@register_task("unconditional_handwriting")
class PredictionTask(SynthesisTask):
    """Free handwriting: the same network without the window (Graves section 4)."""

    conditional = False

