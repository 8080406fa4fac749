"""The training loop behind ``hwsr-train``: data, strategy, model, checkpoints, callbacks."""

from __future__ import annotations

import contextlib
import json
import math
import signal
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from hwsr import model_dir as md
from hwsr.alphabet import Alphabet
from hwsr.io_utils import atomic_write_text
from hwsr.pipeline import datasets
from hwsr.pipeline.configs import ExperimentConfig
from hwsr.pipeline.examples import Examples, downsample_corpus, make_examples
from hwsr.pipeline.sources import load_corpus
from hwsr.pipeline.splits import split_by_form
from hwsr.pipeline.strategies import make_strategy
from hwsr.strokes import Normalizer, drop_points


def _task_error(msg):
    from hwsr.pipeline.train import TrainingError

    return TrainingError(msg)


def prepare_data(cfg: ExperimentConfig, alphabet: Alphabet, normalizer: Normalizer | None = None):
    """Reads, splits (by form), downsamples and encodes the data of ``cfg``.

    Returns ``(train Examples, validation Examples, normalizer)``. The normaliser is fitted
    on the training split unless given (a resumed run reuses the saved one).
    """
    if not Path(cfg.data.source).exists():
        raise _task_error(f"data folder {cfg.data.source!r} does not exist")
    corpus = load_corpus(cfg.data.source)
    if len(corpus) == 0:
        raise _task_error(f"{cfg.data.source}: the dataset is empty")
    split = split_by_form(corpus.line_ids, cfg.data.validation_fraction, cfg.data.split_seed)
    if not split["train"]:
        raise _task_error(f"{cfg.data.source}: no training lines after the split")
    synthesis = cfg.task in md.SYNTHESIS_TASKS
    # Synthesis trains on downsampled strokes; the recogniser drops points in its graph.
    factor = cfg.data.downsample if synthesis else 1
    strokes = downsample_corpus(corpus, factor)
    if normalizer is None:
        normalizer = Normalizer.fit(
            strokes[i] if synthesis else drop_points(strokes[i], cfg.data.downsample)
            for i in split["train"]
        )
    max_points = cfg.data.max_points * (1 if synthesis else cfg.data.downsample)
    parts = []
    for name in ("train", "validation"):
        idx = split[name]
        sub = corpus.subset(idx)
        parts.append(
            make_examples(
                [strokes[i] for i in idx],
                sub,
                alphabet,
                normalizer if synthesis else None,
                clip=cfg.data.clip_offset_std if synthesis else None,
                max_points=max_points,
            )
        )
    if len(parts[0]) == 0:
        raise _task_error(f"{cfg.data.source}: no usable training lines")
    return parts[0], parts[1], normalizer


def build_model(cfg: ExperimentConfig, alphabet: Alphabet, normalizer: Normalizer):
    if cfg.task in md.SYNTHESIS_TASKS:
        from hwsr.models.synthesis_model import HandwritingSynthesisModel

        m = cfg.synthesis
        model = HandwritingSynthesisModel(
            vocabulary_size=len(alphabet) if cfg.task == "conditional_handwriting" else None,
            units=m.units,
            num_layers=m.num_layers,
            num_window_components=m.num_window_components,
            num_mixture_components=m.num_mixture_components,
            kappa_scale=m.kappa_scale,
        )
    else:
        from hwsr.models.recognition_model import HandwritingRecognitionModel

        m = cfg.recognition
        model = HandwritingRecognitionModel(
            vocabulary_size=len(alphabet),
            offset_scale=tuple(normalizer.std),
            downsample=cfg.data.downsample,
            units=m.units,
            num_layers=m.num_layers,
            subsample_after=m.subsample_after,
            dropout=m.dropout,
            attention_heads=m.attention_heads,
            attention_key_dim=m.attention_key_dim,
            curvature_features=m.curvature_features,
            focal_gamma=cfg.train.focal_gamma,
            focal_alpha=cfg.train.focal_alpha,
        )
    model.build()
    return model


def make_dataset(cfg: ExperimentConfig, examples: Examples, training: bool, seed: int):
    scale = 1 if cfg.task in md.SYNTHESIS_TASKS else cfg.data.downsample
    batching = datasets.BatchingConfig(
        batch_size=cfg.train.batch_size,
        bucket_boundaries=tuple(b * scale for b in cfg.data.bucket_boundaries),
        pad_to_bucket_boundary=bool(cfg.data.bucket_boundaries),
        shuffle_buffer=cfg.data.shuffle_buffer if training else 0,
        seed=seed,
        repeat=training,
        drop_remainder=training,
    )
    ds = datasets.from_arrays(examples.strokes, examples.codes)
    if cfg.task in md.SYNTHESIS_TASKS:
        return datasets.synthesis_batches(ds, batching)
    return datasets.recognition_batches(ds, batching)


class CheckpointCallback(keras.callbacks.Callback):
    """Saves a resumable checkpoint every epoch and the best weights by validation loss."""

    def __init__(self, manager: tf.train.CheckpointManager, model_dir: Path, state: dict):
        super().__init__()
        self.manager = manager
        self.model_dir = model_dir
        self.state = state

    def save(self):
        step = int(self.model.optimizer.iterations.numpy())
        self.manager.save(checkpoint_number=step)
        self.state["step"] = step
        atomic_write_text(self.model_dir / "train_state.json", json.dumps(self.state, indent=2) + "\n")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val = logs.get("val_loss")
        if val is not None and math.isfinite(val) and val < self.state.get("best_val_loss", math.inf):
            self.state["best_val_loss"] = float(val)
            self.state["best_step"] = int(self.model.optimizer.iterations.numpy())
            md.save_weights_atomic(self.model, self.model_dir / md.WEIGHTS_FILE)
        elif "best_val_loss" not in self.state:
            md.save_weights_atomic(self.model, self.model_dir / md.WEIGHTS_FILE)
        self.state.setdefault("history", []).append(
            {"step": int(self.model.optimizer.iterations.numpy()),
             **{k: float(v) for k, v in logs.items()}}
        )
        self.save()


class ThroughputCallback(keras.callbacks.Callback):
    """Logs timesteps/s and the learning rate (console and TensorBoard)."""

    def __init__(self, timesteps_per_step: float, log_dir: Path):
        super().__init__()
        self.timesteps_per_step = timesteps_per_step
        self.writer = tf.summary.create_file_writer(str(log_dir / "train"))

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.start_step = int(self.model.optimizer.iterations.numpy())

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        rate = (step - self.start_step) * self.timesteps_per_step / (time.perf_counter() - self.start)
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        if logs is not None:
            logs["timesteps_per_s"] = rate
            logs["learning_rate"] = lr
        with self.writer.as_default(step=step):
            tf.summary.scalar("timesteps_per_s", rate)
            tf.summary.scalar("learning_rate", lr)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # Not the main thread.
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def train(cfg: ExperimentConfig, model_dir: str | Path, strategy: str = "auto", quiet: bool = False):
    """Trains (or resumes) the run in ``model_dir``. Returns a summary dict."""
    model_dir = Path(model_dir)
    existing = md.read_task(model_dir) if model_dir.exists() else None
    if existing is not None and existing != cfg.task:
        raise _task_error(
            f"{model_dir} holds a {existing!r} run; use another --model-dir for {cfg.task!r}"
        )
    keras.utils.set_random_seed(cfg.train.seed)
    if cfg.train.mixed_precision:
        keras.mixed_precision.set_global_policy(cfg.train.mixed_precision)
    strat = make_strategy(strategy)
    alphabet = Alphabet.iam_ondb()
    normalizer = None
    if (model_dir / md.STATS_FILE).exists():
        normalizer = Normalizer.load(model_dir / md.STATS_FILE)
        alphabet = Alphabet.load(model_dir / md.ALPHABET_FILE)
    train_ex, val_ex, normalizer = prepare_data(cfg, alphabet, normalizer)
    is_chief = _is_chief(strat)
    work_dir = model_dir if is_chief else model_dir / f".worker-{_task_id()}"
    work_dir.mkdir(parents=True, exist_ok=True)
    preprocessing = {"downsample": cfg.data.downsample, "clip_offset_std": cfg.data.clip_offset_std}

    with strat.scope():
        model = build_model(cfg, alphabet, normalizer)
        schedule = keras.optimizers.schedules.ExponentialDecay(
            cfg.train.learning_rate, cfg.train.decay_steps, cfg.train.decay_rate
        )
        optimizer = keras.optimizers.Adam(schedule, global_clipnorm=cfg.train.global_clipnorm)
        model.compile(optimizer=optimizer, jit_compile=cfg.train.jit_compile)
        optimizer.build(model.trainable_variables)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(
        checkpoint, str(work_dir / md.CHECKPOINT_DIR), max_to_keep=cfg.train.keep_checkpoints
    )
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    step = int(optimizer.iterations.numpy())
    if is_chief:
        atomic_write_text(model_dir / md.CONFIG_FILE, cfg.to_json())
        md.write_model_files(model_dir, cfg.task, model, alphabet, normalizer, preprocessing,
                             weights=not (model_dir / md.WEIGHTS_FILE).exists())
    state_path = model_dir / "train_state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    state["task"] = cfg.task

    spe = cfg.train.steps_per_epoch
    initial_epoch = step // spe
    epochs = math.ceil(cfg.train.steps / spe)
    summary = {"task": cfg.task, "model_dir": str(model_dir), "start_step": step,
               "train_lines": len(train_ex), "validation_lines": len(val_ex),
               "parameters": int(model.count_params())}
    if initial_epoch >= epochs:
        summary.update(step=step, message="budget already reached; nothing to do")
        return summary

    train_ds = make_dataset(cfg, train_ex, training=True, seed=cfg.train.seed + initial_epoch)
    val_ds = make_dataset(cfg, val_ex, training=False, seed=0) if len(val_ex) else None
    # Timesteps the recurrent net sees per line (the recogniser drops points in its graph).
    scale = 1 if cfg.task in md.SYNTHESIS_TASKS else cfg.data.downsample
    mean_points = train_ex.num_points / len(train_ex) / scale
    log_dir = work_dir / md.LOG_DIR
    callbacks = [
        ThroughputCallback(mean_points * cfg.train.batch_size, log_dir),
        CheckpointCallback(manager, work_dir, state),
        keras.callbacks.TensorBoard(str(log_dir), update_freq="epoch", write_graph=False),
    ]
    extra = _sample_callbacks(cfg, model, alphabet, normalizer, val_ex, log_dir)
    callbacks += extra
    t0 = time.perf_counter()
    with _sigterm_as_interrupt():
        try:
            history = model.fit(
                train_ds,
                epochs=epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=spe,
                validation_data=val_ds,
                validation_steps=cfg.train.validation_steps,
                callbacks=callbacks,
                verbose=2 if quiet else 1,
            )
        except KeyboardInterrupt:
            callbacks[1].model = model
            callbacks[1].save()
            raise
    summary.update(
        step=int(optimizer.iterations.numpy()),
        seconds=round(time.perf_counter() - t0, 1),
        final={k: float(v[-1]) for k, v in history.history.items()},
        best_val_loss=state.get("best_val_loss"),
    )
    return summary


def _sample_callbacks(cfg, model, alphabet, normalizer, val_ex, log_dir):
    try:
        from hwsr.pipeline.callbacks import sample_callbacks
    except ImportError:
        return []
    return sample_callbacks(cfg, model, alphabet, normalizer, val_ex, log_dir)


def _is_chief(strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)


def _task_id() -> int:
    return int(json.loads(__import__("os").environ.get("TF_CONFIG", "{}")).get("task", {}).get("id", 0))


_ = np  # numpy is used by callers through this module's helpers
