"""The training loop behind ``hwsr-train``: data, strategy, model, checkpoints, callbacks.

`train` is Keras ``model.fit`` with step-based epochs under a ``tf.distribute`` strategy:

* The config's batch size is the *global* batch; Keras splits it across the replicas and
  the models reduce their loss per example (`hwsr.models.losses`), so N replicas make the
  same update as one device. Across workers the in-memory data is DATA-sharded.
* Every epoch a ``tf.train.Checkpoint(model=, optimizer=)`` goes to
  ``MODEL_DIR/checkpoints`` (keep-last-N) and the best weights by ``val_loss`` to
  ``MODEL_DIR/model.weights.h5``. Re-running the same command resumes from the newest
  checkpoint, at the same point of the same (seeded) data stream, so a killed run ends
  where an uninterrupted one would. SIGINT/SIGTERM stop after the current step with a
  checkpoint (`TrainingInterrupted`, exit code 130 in ``hwsr-train``).
* Fine-tuning: a fresh run with ``train.init_from`` (a model dir, or ``pretrained`` for
  the shipped model of the task) starts from that model's weights, alphabet and offset
  statistics (`load_init_source`); a resumed run ignores it (the checkpoint wins).
* With `MultiWorkerMirroredStrategy` all workers restore from the chief's checkpoints
  (the model dir must be on storage they all see), all take part in every save, and only
  the chief writes the model dir; the others save into a private temporary directory.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import time
import warnings
from pathlib import Path

import keras
import tensorflow as tf

from hwsr import model_dir as md
from hwsr.alphabet import Alphabet
from hwsr.io_utils import atomic_write_text
from hwsr.pipeline import callbacks as cb
from hwsr.pipeline.configs import ExperimentConfig, load_config_file
from hwsr.pipeline.sources import load_corpus
from hwsr.pipeline.strategies import WorkerInfo, has_gpu, make_strategy, worker_info
from hwsr.pipeline.tasks import Task, TaskData, get_task
from hwsr.strokes import Normalizer

log = logging.getLogger(__name__)


class TrainingError(RuntimeError):
    """A problem the user can fix (bad data folder, wrong model dir...)."""


TrainingInterrupted = cb.TrainingInterrupted


def prepare_data(
    task: Task,
    alphabet: Alphabet,
    normalizer: Normalizer | None = None,
    allow_pickle: bool = False,
) -> TaskData:
    """Reads and splits (by form) the data of ``task.cfg``; the task makes the examples.

    The normaliser is fitted on the training split unless given (a resumed run reuses
    the saved one).

    Raises:
        TrainingError: missing folder, empty dataset, no usable training line.
    """
    cfg = task.cfg
    source = cfg.data.source
    if not tf.io.gfile.exists(source):
        raise TrainingError(f"data folder {source!r} does not exist")
    corpus = load_corpus(source, allow_pickle=allow_pickle)
    if len(corpus) == 0:
        raise TrainingError(f"{source}: the dataset is empty")
    split = cfg.data.split(corpus.line_ids)
    if not split["train"]:
        raise TrainingError(f"{source}: no training lines after the split")
    data = task.prepare_data(corpus, split, alphabet, normalizer)
    if len(data.train) == 0:
        raise TrainingError(
            f"{source}: no usable training lines (all longer than data.max_points={cfg.data.max_points} "
            "or with empty text)"
        )
    return data


@keras.saving.register_keras_serializable(package="hwsr")
class WarmupExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A linear warm-up from 0 over ``warmup_steps``, then ``ExponentialDecay``.

    The warm-up lets a run that starts from trained weights with a fresh optimizer
    (``train.init_from``) estimate Adam's moments before taking full steps.
    """

    def __init__(self, learning_rate: float, decay_steps: int, decay_rate: float, warmup_steps: int = 0):
        self.learning_rate = learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.warmup_steps = warmup_steps
        self.decay = keras.optimizers.schedules.ExponentialDecay(learning_rate, decay_steps, decay_rate)

    def __call__(self, step):
        rate = self.decay(step)
        if not self.warmup_steps:
            return rate
        warm = keras.ops.minimum(keras.ops.cast(step + 1, "float32") / float(self.warmup_steps), 1.0)
        return rate * warm

    def get_config(self):
        return {"learning_rate": self.learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "warmup_steps": self.warmup_steps}


def make_optimizer(cfg: ExperimentConfig) -> keras.optimizers.Optimizer:
    """Adam with a linear warm-up, exponential learning-rate decay and global-norm clipping."""
    train = cfg.train
    schedule = WarmupExponentialDecay(train.learning_rate, train.decay_steps, train.decay_rate,
                                      train.warmup_steps)
    return keras.optimizers.Adam(schedule, global_clipnorm=train.global_clipnorm)


def epoch_segments(step: int, total: int, steps_per_epoch: int) -> list[tuple[int, int, int]]:
    """``model.fit`` calls ``(initial_epoch, epochs, steps_per_epoch)`` from ``step`` to ``total``.

    Epoch k covers steps ``[k * spe, (k + 1) * spe)``. A run interrupted mid-epoch first
    finishes that epoch with a short call, and a budget that is not a whole number of
    epochs ends with a short one, so the run stops at exactly ``total`` steps.
    """
    out = []
    spe = steps_per_epoch
    epoch, offset = divmod(step, spe)
    if step < total and offset:
        n = min(spe - offset, total - step)
        out.append((epoch, epoch + 1, n))
        step += n
        epoch += 1
    full = max(total - step, 0) // spe
    if full:
        out.append((epoch, epoch + full, spe))
        step += full * spe
        epoch += full
    if step < total:
        out.append((epoch, epoch + 1, total - step))
    return out


def check_model_dir(task: Task, model_dir: Path) -> None:
    """Refuses a model dir that holds a run of another task, or of another network shape."""
    cfg = task.cfg
    try:
        existing = md.read_task(model_dir) if tf.io.gfile.isdir(str(model_dir)) else None
    except md.ModelDirError as e:
        raise TrainingError(str(e)) from None
    if existing is not None and existing != cfg.task:
        raise TrainingError(
            f"{model_dir} holds a {existing!r} run; use another --model-dir for {cfg.task!r}"
        )
    saved = model_dir / md.CONFIG_FILE
    if existing is None or not saved.exists():
        return
    try:
        old = ExperimentConfig.from_dict(load_config_file(saved))
    except ValueError as e:
        raise TrainingError(f"{saved}: unreadable saved config ({e})") from None
    before, now = get_task(old).resume_invariants(), task.resume_invariants()
    changed = [f"{k} {before[k]!r} -> {now[k]!r}" for k in now if before.get(k) != now[k]]
    if changed:
        raise TrainingError(
            f"{model_dir} was trained with another network ({'; '.join(changed)}); resume with "
            f"--config {saved} or use another --model-dir"
        )


def init_from_dir(cfg: ExperimentConfig) -> Path:
    """The model dir ``train.init_from`` names: a path, or ``pretrained`` for the task's shipped one."""
    if cfg.train.init_from == "pretrained":
        return md.PRETRAINED_DIR / md.PRETRAINED_MODELS[cfg.task]
    return Path(cfg.train.init_from)


def load_init_source(task: Task) -> md.ModelBundle:
    """Loads the model that ``train.init_from`` names and checks that this run can start from it.

    A fine-tuned run takes the source's weights, and its alphabet and offset statistics so
    that the weights keep their meaning; its network and ``data.downsample`` (the settings
    of `ExperimentConfig.resume_invariants`) must be the source's.

    Raises:
        TrainingError: no such model dir, a model of another task, or another network
            (naming the fields that differ).
    """
    cfg = task.cfg
    path = init_from_dir(cfg)
    try:
        source = md.load_model_dir(path, task=cfg.task)
    except md.ModelDirError as e:
        raise TrainingError(f"train.init_from: {e}") from None
    model_config = source.model.get_config()
    changed = []
    for key, ours in task.resume_invariants().items():
        section, name = key.split(".", 1)
        theirs = source.preprocessing.get(name) if section == "data" else model_config.get(name)
        theirs = tuple(theirs) if isinstance(theirs, list) else theirs
        if theirs is not None and theirs != ours:
            changed.append(f"{key} {theirs!r} != {ours!r}")
    if changed:
        raise TrainingError(
            f"train.init_from: {path} holds another network than this run's config (source != "
            f"config: {'; '.join(changed)}); --set these fields to the source's values"
        )
    return source


def _check_mixed_precision(cfg: ExperimentConfig) -> None:
    if cfg.train.mixed_precision and not has_gpu():
        raise TrainingError(
            f"train.mixed_precision={cfg.train.mixed_precision} needs a GPU; on a CPU it is slower "
            "than float32 (set train.mixed_precision=null)"
        )


def _restore(checkpoint: tf.train.Checkpoint, path: str) -> None:
    try:
        checkpoint.restore(path).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TrainingError(
            f"{path}: cannot restore this checkpoint into the configured model ({first[:300]})"
        ) from None


def _read_state(model_dir: Path, step: int, task: str) -> dict:
    path = model_dir / cb.STATE_FILE
    state: dict = {}
    if path.exists():
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            log.warning("%s is corrupt; starting a new train state", path)
    # A run killed after a checkpoint but before its state was written, or resumed from
    # an older checkpoint: forget the history past the restored step.
    state["history"] = [h for h in state.get("history", []) if h.get("step", 0) <= step]
    state["task"] = task
    state["step"] = step
    return state


def train(
    cfg: ExperimentConfig,
    model_dir: str | Path,
    strategy: str = "auto",
    quiet: bool = False,
    allow_pickle: bool = False,
):
    """Trains (or resumes) the run in ``model_dir``, whatever its task.

    Args:
        cfg: the resolved config (`hwsr.pipeline.configs.resolve_config`).
        model_dir: the model dir (created; resumed when it holds checkpoints).
        strategy: ``auto``, ``one_device``, ``mirrored`` or ``multi_worker``.
        quiet: one console line per epoch even on a terminal.

    Returns:
        A summary dict (steps, seconds, final logs, best validation loss...).

    Raises:
        TrainingError: bad data, a model dir of another task or network, mixed precision
            on CPU, a checkpoint or a ``train.init_from`` model that does not fit.
        TrainingInterrupted: SIGINT/SIGTERM; a checkpoint at the current step was saved
            (except under multi_worker, where the last epoch checkpoint stands).
    """
    model_dir = Path(model_dir)
    # MultiWorkerMirroredStrategy must exist before TensorFlow initialises its devices.
    strat = make_strategy(strategy)
    task = get_task(cfg)
    check_model_dir(task, model_dir)
    _check_mixed_precision(cfg)
    source = None  # The model to fine-tune; a resumed run ignores train.init_from.
    if cfg.train.init_from and not tf.train.latest_checkpoint(str(model_dir / md.CHECKPOINT_DIR)):
        source = load_init_source(task)
    keras.utils.set_random_seed(cfg.train.seed)
    alphabet = Alphabet.iam_ondb()
    normalizer = None
    if source is not None:
        alphabet, normalizer = source.alphabet, source.normalizer
    elif (model_dir / md.STATS_FILE).exists() and (model_dir / md.ALPHABET_FILE).exists():
        normalizer = Normalizer.load(model_dir / md.STATS_FILE)
        alphabet = Alphabet.load(model_dir / md.ALPHABET_FILE)
    data = prepare_data(task, alphabet, normalizer, allow_pickle)
    run = _Run(task, strat, worker_info(strat), model_dir, alphabet, data)

    previous_policy = keras.mixed_precision.global_policy()
    if cfg.train.mixed_precision:
        keras.mixed_precision.set_global_policy(cfg.train.mixed_precision)
    try:
        with strat.scope():
            model = task.build_model(alphabet, data.normalizer)
            if source is not None:
                model.set_weights(source.model.get_weights())
            model.compile(optimizer=make_optimizer(cfg), jit_compile=cfg.train.jit_compile)
            model.optimizer.build(model.trainable_variables)
        if run.multi_worker:
            _adapt_to_multi_worker(model)
        summary = run.fit(model, quiet)
        if source is not None:
            summary["init_from"] = str(source.path)
        return summary
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
        if not run.worker.is_chief:
            shutil.rmtree(run.save_dir.parent, ignore_errors=True)


def _adapt_to_multi_worker(model) -> None:
    """Works around two Keras 3 (3.15) bugs under `MultiWorkerMirroredStrategy`.

    1. Before training, Keras' TF trainer pulls one batch and ``strategy.reduce``-s it to
       build unbuilt state; the collective reduce of a dict batch fails ("Attempt to
       convert a value ({'strokes': PerReplica...}) with an unsupported type"). Our model's
       variables and the optimizer are built explicitly and compiled without Keras losses
       or metrics (weightless layers build when the step is traced), so it is skipped.
    2. The scalar step logs are reduced with ``strategy.reduce("MEAN", v, axis=0)``, which
       fails on 0-d tensors ("Invalid reduction dimension 0 for input with 0 dimensions",
       https://github.com/tensorflow/tensorflow/issues/72388). The steps return them as
       ``[1]`` tensors instead; the reduce then averages them over all replicas.
    """
    if not model.optimizer.built:
        raise RuntimeError("internal: build the model and optimizer before multi-worker training")
    model._maybe_symbolic_build = lambda *args, **kwargs: None

    def vector_logs(step):
        def wrapped(data):
            return {k: tf.reshape(v, [1]) for k, v in step(data).items()}

        return wrapped

    model.train_step = vector_logs(model.train_step)
    model.test_step = vector_logs(model.test_step)


@dataclasses.dataclass
class _Run:
    """One training run: its task, where it runs, where it writes, and its data."""

    task: Task
    strategy: tf.distribute.Strategy
    worker: WorkerInfo
    model_dir: Path
    alphabet: Alphabet
    data: TaskData

    @property
    def cfg(self) -> ExperimentConfig:
        return self.task.cfg

    @property
    def multi_worker(self) -> bool:
        return isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)

    @property
    def save_dir(self) -> Path:
        """Where this worker's checkpoints go (non-chief workers: a private temporary dir)."""
        if self.worker.is_chief:
            return self.model_dir / md.CHECKPOINT_DIR
        return self.model_dir / f".tmp-worker-{self.worker.task_id}" / md.CHECKPOINT_DIR

    def write_model_files(self, model) -> None:
        cfg = self.cfg
        self.model_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.model_dir / md.CONFIG_FILE, cfg.to_json())
        preprocessing = {"downsample": cfg.data.downsample, "clip_offset_std": cfg.data.clip_offset_std}
        md.write_model_files(self.model_dir, cfg.task, model, self.alphabet, self.data.normalizer,
                             preprocessing, weights=not (self.model_dir / md.WEIGHTS_FILE).exists())

    def validation_dataset(self):
        """``(dataset, steps)`` of the validation split (None when it is empty)."""
        cfg, val = self.cfg, self.data.validation
        if not len(val):
            return None, None
        if self.strategy.num_replicas_in_sync > 1 or self.multi_worker:
            steps = cfg.train.validation_steps or math.ceil(len(val) / cfg.train.batch_size)
            ds = self.task.make_dataset(val, training=False, seed=0, full_batches=True).take(steps)
            return ds, None  # The dataset ends after exactly `steps` batches.
        return self.task.make_dataset(val, training=False, seed=0), cfg.train.validation_steps

    def callbacks(self, model, checkpoints, interrupt, quiet: bool) -> list[keras.callbacks.Callback]:
        cfg, task, data = self.cfg, self.task, self.data
        timesteps = task.timesteps_per_line(data.train) * cfg.train.batch_size
        callbacks: list[keras.callbacks.Callback] = [cb.ThroughputCallback(timesteps)]
        if self.worker.is_chief:
            log_dir = self.model_dir / md.LOG_DIR
            callbacks += task.metric_callbacks(self.alphabet, data.validation)
            callbacks += [
                cb.ScalarLogger(log_dir, nll=task.loss_is_nll),
                cb.ProgressCallback(cfg.train.steps, interactive=not quiet and cb.console_is_interactive()),
            ]
            callbacks += task.sample_callbacks(self.alphabet, data.normalizer, data.validation, log_dir)
        # Last: an interrupt at an epoch end follows its save.
        return [*callbacks, checkpoints, interrupt]

    def fit(self, model, quiet: bool) -> dict:
        """Restores the newest checkpoint, then ``model.fit`` up to ``train.steps``."""
        cfg = self.cfg
        optimizer = model.optimizer  # A LossScaleOptimizer under mixed_float16.
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
        latest = tf.train.latest_checkpoint(str(self.model_dir / md.CHECKPOINT_DIR))
        if latest:
            _restore(checkpoint, latest)
        step = int(optimizer.iterations.numpy())
        if self.worker.is_chief:
            self.write_model_files(model)
        state = _read_state(self.model_dir, step, cfg.task) if self.worker.is_chief else {}
        summary = {"task": cfg.task, "model_dir": str(self.model_dir), "start_step": step,
                   "train_lines": len(self.data.train), "validation_lines": len(self.data.validation),
                   "parameters": int(model.count_params()),
                   "replicas": self.strategy.num_replicas_in_sync, "workers": self.worker.num_workers}
        segments = epoch_segments(step, cfg.train.steps, cfg.train.steps_per_epoch)
        if not segments:
            summary.update(step=step, message="budget already reached; nothing to do")
            return summary

        val_ds, val_steps = self.validation_dataset()
        checkpoints = cb.CheckpointCallback(checkpoint, self.save_dir, self.model_dir, state,
                                            keep=cfg.train.keep_checkpoints, chief=self.worker.is_chief)
        interrupt = cb.InterruptCallback()
        callbacks = self.callbacks(model, checkpoints, interrupt, quiet)
        t0 = time.perf_counter()
        final: dict = {}
        interrupt.install()
        try:
            with warnings.catch_warnings():
                # The validation split is one finite pass of unknown length (bucketed batches), so
                # Keras warns at its end that the input "ran out of data; interrupting training";
                # the training stream repeats forever, so only the validation pass can set it off.
                warnings.filterwarnings("ignore", message="Your input ran out of data", category=UserWarning)
                for initial_epoch, epochs, steps_per_epoch in segments:
                    start = int(optimizer.iterations.numpy())
                    # The same seeded stream as an uninterrupted run, fast-forwarded to this step.
                    train_ds = self.task.make_dataset(self.data.train, training=True,
                                                      seed=cfg.train.seed).skip(start)
                    history = model.fit(
                        train_ds,
                        epochs=epochs,
                        initial_epoch=initial_epoch,
                        steps_per_epoch=steps_per_epoch,
                        validation_data=val_ds,
                        validation_steps=val_steps,
                        callbacks=callbacks,
                        verbose=0,
                        shuffle=False,  # The dataset shuffles itself (seeded).
                    )
                    final.update({k: float(v[-1]) for k, v in history.history.items() if v})
        except cb.TrainingInterrupted:
            if not self.multi_worker:  # A save is collective: the other workers would wait forever.
                checkpoints.set_model(model)
                checkpoints.save()
            raise
        finally:
            interrupt.uninstall()
        summary.update(
            step=int(optimizer.iterations.numpy()),
            seconds=round(time.perf_counter() - t0, 1),
            final=final,
            best_val_loss=state.get("best_val_loss"),
        )
        return summary
