"""Tests for hwsr.pipeline.callbacks: console progress, TensorBoard scalars, CER/WER, samples."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tensorflow as tf

from hwsr.alphabet import Alphabet
from hwsr.pipeline import callbacks as cb
from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.examples import Examples
from hwsr.pipeline.tasks import get_task
from hwsr.pipeline.trainer import make_optimizer
from hwsr.strokes import Normalizer


class _FakeOptimizer:
    def __init__(self, step):
        self.iterations = tf.Variable(step, dtype=tf.int64)
        self.learning_rate = 0.5


class _FakeModel:
    def __init__(self, step=10):
        self.optimizer = _FakeOptimizer(step)


def _attach(callback, model):
    callback.set_model(model) if hasattr(model, "trainable_variables") else setattr(callback, "_model", model)
    return callback


def test_console_is_quiet_under_ci(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("CI", raising=False)
    assert cb.console_is_interactive(Tty())
    assert not cb.console_is_interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not cb.console_is_interactive(Tty())


def test_progress_writes_one_line_per_epoch_when_not_interactive():
    out = io.StringIO()
    progress = _attach(cb.ProgressCallback(total_steps=40, interactive=False, stream=out), _FakeModel(10))
    progress.on_train_begin()
    for _ in range(3):
        progress.on_train_batch_end(0, {"loss": 1.0})
    progress.on_epoch_end(0, {"loss": 1.25, "val_loss": 2.5, "timesteps_per_s": 99.4})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("epoch 1 - step 10/40 - loss 1.25 - val_loss 2.5 - 99 timesteps/s")
    assert "ETA" in lines[0]


def test_progress_bar_when_interactive():
    out = io.StringIO()
    model = _FakeModel(0)
    progress = _attach(cb.ProgressCallback(total_steps=20, interactive=True, stream=out), model)
    progress.on_train_begin()
    model.optimizer.iterations.assign(10)
    progress.on_train_batch_end(0, {"loss": 3.0})
    assert out.getvalue().startswith("\rstep 10/20 [===============>") and "ETA" in out.getvalue()


def test_scalar_logger_writes_train_and_validation(tmp_path):
    logger = _attach(cb.ScalarLogger(tmp_path, nll=True), _FakeModel(7))
    logger.on_epoch_end(0, {"loss": 2.0, "val_loss": 3.0, "learning_rate": 0.1})
    tags = {}
    for split in ("train", "validation"):
        for path in (tmp_path / split).glob("events.out.tfevents.*"):
            for event in tf.compat.v1.train.summary_iterator(str(path)):
                for value in event.summary.value:
                    tags[(split, value.tag)] = (event.step, float(tf.make_ndarray(value.tensor)))
    assert tags[("train", "loss")] == (7, 2.0) and tags[("train", "nll")] == (7, 2.0)
    assert tags[("validation", "loss")] == (7, 3.0)
    assert tags[("train", "learning_rate")][1] == pytest.approx(0.1)


def _recognition(synthetic_strokes):
    cfg = resolve_config("recognition", "tiny", ["train.sample_every_epochs=1"])
    alphabet = Alphabet.iam_ondb()
    model = get_task(cfg).build_model(alphabet, Normalizer.fit([synthetic_strokes]))
    model.compile(optimizer=make_optimizer(cfg))
    model.optimizer.build(model.trainable_variables)
    texts = ["abc", "a b"]
    examples = Examples([synthetic_strokes, synthetic_strokes[:20]], [alphabet.encode(t) for t in texts],
                        ["x-1", "x-2"])
    return cfg, alphabet, model, examples


def test_recognition_cer_wer_and_text_samples(tmp_path, synthetic_strokes):
    cfg, alphabet, model, examples = _recognition(synthetic_strokes)
    metrics = get_task(cfg).metric_callbacks(alphabet, examples)
    assert len(metrics) == 1
    metrics[0].set_model(model)
    logs = {}
    metrics[0].on_epoch_end(0, logs)
    hyps = cb.recognize_texts(cb.recognizer_for(model, alphabet), list(examples.strokes))
    from hwsr.metrics import character_error_rate, word_error_rate

    assert logs["val_cer"] == pytest.approx(character_error_rate(["abc", "a b"], hyps))
    assert logs["val_wer"] == pytest.approx(word_error_rate(["abc", "a b"], hyps))
    assert logs["val_cer"] > 0  # An untrained model gets the text wrong.
    samples = get_task(cfg).sample_callbacks(alphabet, None, examples, tmp_path)
    assert len(samples) == 1
    samples[0].set_model(model)
    samples[0].on_epoch_end(0, {})
    texts = [
        tf.make_ndarray(v.tensor).item().decode()
        for path in (tmp_path / "samples").glob("events.out.tfevents.*")
        for e in tf.compat.v1.train.summary_iterator(str(path)) for v in e.summary.value
    ]
    assert len(texts) == 1 and "| abc |" in texts[0] and "| a b |" in texts[0]


def test_no_samples_when_disabled(synthetic_strokes, tmp_path):
    cfg, alphabet, _, examples = _recognition(synthetic_strokes)
    cfg.train.sample_every_epochs = 0
    assert get_task(cfg).sample_callbacks(alphabet, None, examples, tmp_path) == []


def test_synthesis_samples_are_rendered_images(tmp_path, synthetic_strokes):
    cfg = resolve_config("conditional_handwriting", "tiny", ["train.sample_every_epochs=2",
                                                             "data.max_points=30"])
    alphabet = Alphabet.iam_ondb()
    normalizer = Normalizer.fit([synthetic_strokes])
    model = get_task(cfg).build_model(alphabet, normalizer)
    model.compile(optimizer=make_optimizer(cfg))
    examples = Examples([normalizer.normalize(synthetic_strokes)], [alphabet.encode("hi")], ["x-1"])
    samples = get_task(cfg).sample_callbacks(alphabet, normalizer, examples, tmp_path)
    assert len(samples) == 1
    samples[0].set_model(model)
    samples[0].on_epoch_end(0, {})  # Epoch 1: not a sampling epoch.
    assert not list((tmp_path / "samples").glob("events.out.tfevents.*")) or not _images(tmp_path)
    samples[0].on_epoch_end(1, {})
    images = _images(tmp_path)
    assert len(images) == 1
    assert images[0].ndim == 3 and images[0].shape[0] >= 8 and images[0].shape[1] >= 8


def _images(tmp_path):
    out = []
    for path in (tmp_path / "samples").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag.startswith("synthesis_sample"):
                    encoded = tf.make_ndarray(value.tensor)[2]
                    out.append(np.asarray(tf.io.decode_png(encoded)))
    return out
