"""Keras callbacks of ``hwsr-train``: checkpoints, interruption, monitoring and samples.

* `CheckpointCallback`: a resumable ``tf.train.Checkpoint`` every epoch (keep-last-N),
  the best weights by ``val_loss`` and ``train_state.json``, all written atomically.
* `InterruptCallback`: turns SIGINT/SIGTERM into a clean stop between two steps.
* `ThroughputCallback`, `ScalarLogger`, `ProgressCallback`: timesteps/s and learning
  rate, TensorBoard scalars at the optimizer step, and the console progress on stderr (a
  bar with ETA on a terminal; one line per epoch under CI or when stderr is not a TTY), so
  that stdout holds only ``hwsr-train``'s JSON summary.
* `RecognitionMetricsCallback`: greedy validation CER/WER (``val_cer``/``val_wer``).
* `RecognitionSampleCallback`, `SynthesisSampleCallback`: TensorBoard samples (decoded
  text against the truth; rendered lines). Which of these a run uses is its task's choice
  (`hwsr.pipeline.tasks`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from hwsr import model_dir as md
from hwsr.io_utils import atomic_write_text

log = logging.getLogger(__name__)

STATE_FILE = "train_state.json"


def optimizer_step(model) -> int:
    return int(model.optimizer.iterations.numpy())


class CheckpointCallback(keras.callbacks.Callback):
    """Saves a resumable checkpoint every epoch and the best weights by validation loss.

    Under `MultiWorkerMirroredStrategy` every worker must take part in a save, so a
    non-chief worker (``chief=False``) saves into a private temporary directory, which is
    deleted straight away; only the chief writes the model dir.

    Args:
        checkpoint: ``tf.train.Checkpoint(model=..., optimizer=...)``.
        checkpoint_dir: where this worker's `tf.train.CheckpointManager` writes.
        model_dir: the model dir (best weights and ``train_state.json``; chief only).
        state: the mutable train state dict (``step``, ``best_val_loss``, ``history``...).
        keep: checkpoints to keep (the newest ones).
        chief: whether this process writes the model dir.
    """

    def __init__(self, checkpoint: tf.train.Checkpoint, checkpoint_dir: Path, model_dir: Path,
                 state: dict, keep: int = 3, chief: bool = True):
        super().__init__()
        self.checkpoint_dir = Path(checkpoint_dir)
        self.manager = tf.train.CheckpointManager(checkpoint, str(self.checkpoint_dir), max_to_keep=keep)
        self.model_dir = Path(model_dir)
        self.state = state
        self.chief = chief

    def save(self) -> int:
        """Writes a checkpoint at the current optimizer step (all workers must call it)."""
        step = optimizer_step(self.model)
        if self.chief:
            # The state (history up to this step) goes first: a crash between the two writes
            # leaves a state ahead of the newest checkpoint, and resuming drops the history
            # past the restored step, so history and checkpoints always agree.
            self.state["step"] = step
            atomic_write_text(self.model_dir / STATE_FILE, json.dumps(self.state, indent=2) + "\n")
        self.manager.save(checkpoint_number=step)
        if not self.chief:
            shutil.rmtree(self.checkpoint_dir, ignore_errors=True)
        return step

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = optimizer_step(self.model)
        if self.chief:
            val = logs.get("val_loss")
            improved = val is not None and math.isfinite(val) and val < self.state.get(
                "best_val_loss", math.inf)
            if improved:
                self.state["best_val_loss"] = float(val)
                self.state["best_step"] = step
            if improved or "best_val_loss" not in self.state:
                md.save_weights_atomic(self.model, self.model_dir / md.WEIGHTS_FILE)
            self.state.setdefault("history", []).append(
                {"epoch": epoch + 1, "step": step, **{k: float(v) for k, v in logs.items()}}
            )
        self.save()


class TrainingInterrupted(KeyboardInterrupt):
    """Raised between two steps after SIGINT/SIGTERM; the trainer saves and exits 130."""


class InterruptCallback(keras.callbacks.Callback):
    """Catches SIGINT and SIGTERM while installed (`install`/`uninstall`).

    The first signal only sets a flag; the next batch end raises `TrainingInterrupted`,
    so the model and optimizer are in a consistent state for the final checkpoint. A
    second signal interrupts at once (no checkpoint).
    """

    def __init__(self):
        super().__init__()
        self.signum: int | None = None
        self._old: dict = {}

    def _handler(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        print(f"\nhwsr-train: got {signal.Signals(signum).name}; saving a checkpoint after this "
              "step (press Ctrl-C again to quit without saving)", file=sys.stderr, flush=True)

    def install(self) -> None:
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        except ValueError:  # Not the main thread: leave the signals alone.
            self._old.clear()

    def uninstall(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

    def _check(self, *args, **kwargs):
        if self.signum is not None:
            raise TrainingInterrupted(signal.Signals(self.signum).name)

    on_train_batch_end = _check
    on_test_batch_end = _check
    on_epoch_end = _check


class ThroughputCallback(keras.callbacks.Callback):
    """Adds ``timesteps_per_s``, ``epoch_seconds`` (wall time, validation included) and
    ``learning_rate`` to the epoch logs.

    Args:
        timesteps_per_step: mean timesteps the recurrent net reads per optimizer step
            (global batch size times mean points per line).
    """

    def __init__(self, timesteps_per_step: float):
        super().__init__()
        self.timesteps_per_step = timesteps_per_step

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.start_step = optimizer_step(self.model)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        seconds = max(time.perf_counter() - self.start, 1e-9)
        logs["timesteps_per_s"] = (optimizer_step(self.model) - self.start_step) * (
            self.timesteps_per_step / seconds)
        logs["epoch_seconds"] = seconds
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class ScalarLogger(keras.callbacks.Callback):
    """Writes every epoch log to TensorBoard at the optimizer step.

    ``val_*`` entries go to ``log_dir/validation`` (without the prefix), the others to
    ``log_dir/train``, so TensorBoard overlays training and validation curves. For the
    synthesis tasks the loss is also written as ``nll`` (nats per line).
    """

    def __init__(self, log_dir: Path, nll: bool = False):
        super().__init__()
        self.writers = {
            "train": tf.summary.create_file_writer(str(Path(log_dir) / "train")),
            "validation": tf.summary.create_file_writer(str(Path(log_dir) / "validation")),
        }
        self.nll = nll

    def on_epoch_end(self, epoch, logs=None):
        step = optimizer_step(self.model)
        for key, value in (logs or {}).items():
            split, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self.writers[split].as_default(step=step):
                tf.summary.scalar(name, float(value))
                if self.nll and name == "loss":
                    tf.summary.scalar("nll", float(value))
        for writer in self.writers.values():
            writer.flush()


def console_is_interactive(stream=None) -> bool:
    """True for a progress bar: a TTY (stderr by default), and no ``CI`` environment variable."""
    stream = stream or sys.stderr
    return not os.environ.get("CI") and hasattr(stream, "isatty") and stream.isatty()


class ProgressCallback(keras.callbacks.Callback):
    """Console progress over the whole step budget, with an ETA.

    Interactive: a bar redrawn in place (at most 5 times a second) plus a line per epoch.
    Otherwise (``CI`` set, stderr not a TTY, ``--quiet``): only the line per epoch. Writes
    to ``stream``, stderr by default.
    """

    def __init__(self, total_steps: int, interactive: bool, stream=None):
        super().__init__()
        self.total_steps = total_steps
        self.interactive = interactive
        self.stream = stream or sys.stderr
        self._last_draw = 0.0

    def on_train_begin(self, logs=None):
        self.t0 = time.perf_counter()
        self.step0 = optimizer_step(self.model)

    def _eta(self, step: int) -> str:
        done = step - self.step0
        if done <= 0:
            return "?"
        seconds = (time.perf_counter() - self.t0) / done * max(self.total_steps - step, 0)
        if seconds >= 86400:
            return f"{seconds / 3600:.0f}h"
        return time.strftime("%H:%M:%S", time.gmtime(seconds))

    def on_train_batch_end(self, batch, logs=None):
        if not self.interactive or time.perf_counter() - self._last_draw < 0.2:
            return
        self._last_draw = time.perf_counter()
        step = optimizer_step(self.model)
        frac = min(step / max(self.total_steps, 1), 1.0)
        bar = "=" * int(30 * frac) + ">" + "." * (30 - int(30 * frac))
        loss = (logs or {}).get("loss")
        loss_text = f" loss {float(loss):.4g}" if loss is not None else ""
        self.stream.write(f"\rstep {step}/{self.total_steps} [{bar[:31]}]{loss_text} ETA {self._eta(step)}  ")
        self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        step = optimizer_step(self.model)
        parts = [f"epoch {epoch + 1}", f"step {step}/{self.total_steps}"]
        for key, value in (logs or {}).items():
            if key == "learning_rate":
                parts.append(f"{key} {float(value):.3g}")
            elif key == "timesteps_per_s":
                parts.append(f"{float(value):.0f} timesteps/s")
            else:
                parts.append(f"{key} {float(value):.4g}")
        parts.append(f"ETA {self._eta(step)}")
        prefix = "\r" if self.interactive else ""
        self.stream.write(prefix + " - ".join(parts) + "\n")
        self.stream.flush()


# --- Validation metrics and samples ------------------------------------------------------


def recognizer_for(model, alphabet, batch_size: int = 32):
    """A `hwsr.recognizer.Recognizer` reading with the model being trained (greedy, no LM), so
    validation texts are read exactly as the Python API reads them."""
    from hwsr.recognizer import Recognizer

    bundle = md.ModelBundle(task="recognition", model=model, alphabet=alphabet, normalizer=None,
                            preprocessing={}, path=Path("<training>"))
    return Recognizer(bundle, batch_size=batch_size, lm=None)


def recognize_texts(reader, strokes: list[np.ndarray]) -> list[str]:
    """Greedy transcriptions of raw ``[eos, dx, dy]`` lines by ``reader`` (`recognizer_for`)."""
    return [r.text for r in reader.recognize(list(strokes), method="greedy", lm=None)]


class RecognitionMetricsCallback(keras.callbacks.Callback):
    """Greedy-decoding ``val_cer`` and ``val_wer`` on (at most ``max_lines``) validation lines."""

    def __init__(self, alphabet, strokes: list[np.ndarray], texts: list[str], max_lines: int = 256,
                 batch_size: int = 32):
        super().__init__()
        self.alphabet = alphabet
        self.strokes = strokes[:max_lines]
        self.texts = texts[:max_lines]
        self.batch_size = batch_size
        self._reader = None  # A Recognizer over the trained model, made at the first epoch end.

    def on_epoch_end(self, epoch, logs=None):
        from hwsr.metrics import character_error_rate, word_error_rate

        if logs is None or not self.strokes:
            return
        if self._reader is None:
            self._reader = recognizer_for(self.model, self.alphabet, self.batch_size)
        hyps = recognize_texts(self._reader, self.strokes)
        logs["val_cer"] = character_error_rate(self.texts, hyps)
        logs["val_wer"] = word_error_rate(self.texts, hyps)


class RecognitionSampleCallback(keras.callbacks.Callback):
    """A markdown table of decoded text against the truth in TensorBoard's text tab."""

    def __init__(self, alphabet, strokes, texts, log_dir: Path, every: int):
        super().__init__()
        self.alphabet, self.strokes, self.texts, self.every = alphabet, strokes, texts, every
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "samples"))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        hyps = recognize_texts(recognizer_for(self.model, self.alphabet), self.strokes)
        rows = ["| truth | greedy decoding |", "| --- | --- |"]
        rows += [f"| {_md(t)} | {_md(h)} |" for t, h in zip(self.texts, hyps)]
        with self.writer.as_default(step=optimizer_step(self.model)):
            tf.summary.text("recognition_samples", "\n".join(rows))
        self.writer.flush()


def _md(text: str) -> str:
    return text.replace("|", "\\|") or " "


class SynthesisSampleCallback(keras.callbacks.Callback):
    """Samples lines (the validation texts, or unconditionally) and logs rendered images."""

    def __init__(self, sample, render, normalizer, codes: list[np.ndarray] | None, num_lines: int,
                 max_steps: int, log_dir: Path, every: int):
        super().__init__()
        self.sample, self.render, self.normalizer = sample, render, normalizer
        self.num_lines, self.max_steps, self.every = num_lines, max_steps, every
        self.chars = None
        if codes:
            width = max(len(c) for c in codes)
            self.chars = np.zeros((len(codes), width), np.int32)
            for i, c in enumerate(codes):
                self.chars[i, : len(c)] = c
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "samples"))
        self._fn = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if self._fn is None:
            model, max_steps = self.model, self.max_steps
            if self.chars is not None:
                self._fn = tf.function(lambda chars: self.sample(
                    model, chars, bias=1.0, seed=(epoch, 0), max_steps=max_steps))
            else:
                self._fn = tf.function(lambda chars: self.sample(
                    model, None, bias=1.0, batch_size=self.num_lines, max_steps=max_steps))
        strokes, lengths = self._fn(tf.constant(self.chars) if self.chars is not None else tf.constant(0))
        strokes, lengths = np.asarray(strokes), np.asarray(lengths)
        images = []
        for s, n in zip(strokes, lengths):
            line = self.normalizer.denormalize(s[: max(int(n), 2)])
            line[-1, 0] = 1.0
            image = np.asarray(self.render(line), np.float32)
            images.append(image / 255.0 if image.max() > 1.0 else image)
        with self.writer.as_default(step=optimizer_step(self.model)):
            for i, image in enumerate(images):
                tf.summary.image(f"synthesis_sample_{i}", image.reshape(1, *image.shape[:2], -1))
        self.writer.flush()
