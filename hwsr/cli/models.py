"""Loading the models a command uses: a ``--model-dir`` or the shipped default.

A model that cannot be loaded (no such folder, missing or corrupt files, a model of another
task, a broken install without the shipped models) becomes a `CLIError` whose hint says
what to pass instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from hwsr.console import CLIError

MODEL_FILES = "model.json, alphabet.json, stats.json, model.weights.h5"


@contextlib.contextmanager
def model_errors(model_dir: str | os.PathLike | None, task: str | None,
                 flag: str = "--model-dir") -> Iterator[None]:
    """Turns a `hwsr.model_dir.ModelDirError` raised inside into a `CLIError` with a fix.

    Args:
        model_dir: the folder given with ``flag``, or None for the shipped model.
        task: the hwsr-train task the command needs (``recognition``...), or None for any.
        flag: the option that names the folder.
    """
    from hwsr.model_dir import ModelDirError

    try:
        yield
    except ModelDirError as e:
        writer = f"'hwsr-train --task {task}'" if task else "hwsr-train"
        if model_dir is None:
            hint = ("the shipped model is missing or damaged: reinstall hwsr "
                    f"(pip install --force-reinstall hwsr), or pass {flag} DIR")
        else:
            hint = (f"{flag} takes a folder written by {writer} ({MODEL_FILES}); "
                    "leave it out to use the shipped model")
        raise CLIError(str(e), hint) from e


def load_synthesizer(model_dir: str | os.PathLike | None, flag: str = "--model-dir"):
    """`hwsr.synthesizer.Synthesizer` from ``model_dir``, or the shipped one."""
    from hwsr.synthesizer import Synthesizer

    with model_errors(model_dir, "conditional_handwriting", flag):
        return Synthesizer.from_dir(model_dir) if model_dir else Synthesizer.from_pretrained()


def load_recognizer(model_dir: str | os.PathLike | None, batch_size: int = 16,
                    flag: str = "--model-dir", adapt_ink: bool = False):
    """`hwsr.recognizer.Recognizer` from ``model_dir``, or the shipped one."""
    from hwsr.recognizer import Recognizer

    with model_errors(model_dir, "recognition", flag):
        if model_dir:
            return Recognizer.from_dir(model_dir, batch_size=batch_size, adapt_ink=adapt_ink)
        return Recognizer.from_pretrained(batch_size=batch_size, adapt_ink=adapt_ink)


def load_bundle(model_dir: str | os.PathLike, task: str | None = None, flag: str = "--model-dir"):
    """`hwsr.model_dir.ModelBundle` of ``model_dir`` (of ``task`` when given)."""
    from hwsr.model_dir import load_model_dir

    with model_errors(model_dir, task, flag):
        return load_model_dir(model_dir, task=task)
