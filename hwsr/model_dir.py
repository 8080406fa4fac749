"""The model directory: a trained model that loads from its folder alone.

    MODEL_DIR/
      model.json         task, Keras model config (class + constructor args), preprocessing
      alphabet.json      hwsr.alphabet.Alphabet
      stats.json         hwsr.strokes.Normalizer (offset statistics of the training set)
      model.weights.h5   weights (the best validation loss when training tracks it)
      config.json        the resolved training config (hwsr-train; not needed to load)
      checkpoints/       tf.train.Checkpoint files for resuming training
      logs/              TensorBoard event files
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from hwsr.alphabet import Alphabet
from hwsr.io_utils import atomic_file, atomic_write_text
from hwsr.strokes import Normalizer

MODEL_FILE = "model.json"
CONFIG_FILE = "config.json"
ALPHABET_FILE = "alphabet.json"
STATS_FILE = "stats.json"
WEIGHTS_FILE = "model.weights.h5"
CHECKPOINT_DIR = "checkpoints"
LOG_DIR = "logs"

SYNTHESIS_TASKS = ("unconditional_handwriting", "conditional_handwriting")
TASKS = (*SYNTHESIS_TASKS, "recognition")

#: Where the shipped models live (``hwsr/pretrained/<name>``), and the name of each task's one.
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
PRETRAINED_MODELS = {"conditional_handwriting": "synthesis", "unconditional_handwriting": "prediction",
                     "recognition": "recognition"}


class ModelDirError(ValueError):
    """A model dir that is missing files, is corrupt, or holds a run of another task."""


@dataclasses.dataclass
class ModelBundle:
    """A loaded model dir."""

    task: str
    model: object  # keras.Model
    alphabet: Alphabet
    normalizer: Normalizer
    preprocessing: dict
    path: Path


def read_task(model_dir: str | os.PathLike) -> str | None:
    """The task of the run in ``model_dir``, or None if it holds none."""
    for name in (MODEL_FILE, CONFIG_FILE):
        path = Path(model_dir) / name
        if path.exists():
            try:
                return json.loads(path.read_text(encoding="utf-8"))["task"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ModelDirError(f"{path}: not an hwsr model file ({e})") from None
    return None


def save_weights_atomic(model, path: str | os.PathLike) -> None:
    """``model.save_weights`` through a temporary file and a rename (permissions as the umask
    gives new files, like the other files of the model dir)."""
    with atomic_file(path, suffix=".weights.h5") as tmp:
        model.save_weights(tmp, overwrite=True)


def write_model_files(
    model_dir: str | os.PathLike,
    task: str,
    model,
    alphabet: Alphabet,
    normalizer: Normalizer,
    preprocessing: dict,
    weights: bool = True,
) -> None:
    """Writes model.json, alphabet.json, stats.json (and the weights), each atomically."""
    import keras

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "format": "hwsr.model/1",
        "task": task,
        "model": keras.saving.serialize_keras_object(model),
        "preprocessing": preprocessing,
    }
    atomic_write_text(model_dir / MODEL_FILE, json.dumps(spec, indent=2) + "\n")
    alphabet.save(model_dir / ALPHABET_FILE)
    normalizer.save(model_dir / STATS_FILE)
    if weights:
        save_weights_atomic(model, model_dir / WEIGHTS_FILE)


def build_model_from_spec(spec: dict):
    import keras

    import hwsr.models  # noqa: F401  (registers the model classes)

    try:
        config = spec["model"]
        cls = keras.saving.get_registered_object(config["registered_name"])
        if cls is None:
            raise KeyError(f"unknown model class {config['registered_name']!r}")
        model = cls.from_config(config["config"])
    except (KeyError, TypeError) as e:
        raise ModelDirError(f"model.json: cannot build the model ({e})") from None
    model.build()
    return model


def load_model_dir(model_dir: str | os.PathLike, task: str | None = None) -> ModelBundle:
    """Loads a model dir written by `write_model_files` (or hwsr-train).

    Args:
        model_dir: the folder.
        task: the task the caller needs; another one is an error.

    Raises:
        ModelDirError: no such folder, a missing or corrupt file, a model of another task.
            The message names the folder or file and says what is wrong.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelDirError(f"{model_dir}: no such model directory")
    missing = [n for n in (MODEL_FILE, ALPHABET_FILE, STATS_FILE, WEIGHTS_FILE)
               if not (model_dir / n).exists()]
    if missing:
        raise ModelDirError(f"{model_dir}: not a trained model dir (missing {', '.join(missing)})")
    try:
        spec = json.loads((model_dir / MODEL_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelDirError(f"{model_dir / MODEL_FILE}: not valid JSON ({e})") from None
    if not isinstance(spec, dict) or not {"task", "model"} <= spec.keys():
        raise ModelDirError(f"{model_dir / MODEL_FILE}: not an hwsr model file "
                            "(expected a JSON object with 'task' and 'model')")
    if task is not None and spec.get("task") != task:
        raise ModelDirError(f"{model_dir}: holds a {spec.get('task')!r} model, not {task!r}")
    try:
        alphabet = Alphabet.load(model_dir / ALPHABET_FILE)
        normalizer = Normalizer.load(model_dir / STATS_FILE)
    except ValueError as e:  # Their messages name the file.
        raise ModelDirError(_first_line(e)) from None
    model = build_model_from_spec(spec)
    try:
        model.load_weights(model_dir / WEIGHTS_FILE)
    except Exception as e:  # h5py/Keras raise many types for a bad file.
        raise ModelDirError(
            f"{model_dir / WEIGHTS_FILE}: cannot load the weights; the file is damaged, cut short "
            f"or from another model ({_first_line(e)})"
        ) from None
    return ModelBundle(
        task=spec["task"],
        model=model,
        alphabet=alphabet,
        normalizer=normalizer,
        preprocessing=dict(spec.get("preprocessing", {})),
        path=model_dir,
    )


def _first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an error message, at most ``limit`` characters (h5py and Keras
    messages can run to pages)."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
