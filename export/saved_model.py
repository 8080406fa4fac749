"""Versioned SavedModels in the layout TF Serving's ``--model_base_path`` expects.

    EXPORT_BASE/
      models.config                       model_config_list for both models
      hwsr_synthesis/<N>/                 saved_model.pb, variables/, assets.extra/
      hwsr_recognition/<N>/
      tflite/                             (``--tflite``) see hwsr.export.tflite

Each version directory is written under a hidden temporary name and renamed when complete,
so TF Serving (which only loads numeric directory names) never sees a half-written one.
The graphs are saved with ``keras.export.ExportArchive``, which tracks the model's variables
so that the C++ loader (TF Serving, ``saved_model_cli run``) restores them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hwsr import __version__
from hwsr.export import warmup
from hwsr.export.limits import ExportLimits
from hwsr.io_utils import atomic_directory, atomic_write_text
from hwsr.model_dir import SYNTHESIS_TASKS, ModelBundle

SYNTHESIS_NAME = "hwsr_synthesis"
RECOGNITION_NAME = "hwsr_recognition"
METADATA_FILE = "hwsr_export.json"


def serving_name(task: str) -> str:
    return SYNTHESIS_NAME if task in SYNTHESIS_TASKS else RECOGNITION_NAME


def versions(model_base: str | os.PathLike) -> list[int]:
    """The published (numeric) versions under a model's base path, ascending."""
    base = Path(model_base)
    if not base.is_dir():
        return []
    return sorted(int(p.name) for p in base.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name))


def serving_functions(bundle: ModelBundle, limits: ExportLimits) -> dict:
    """``{endpoint: (fn, input_signature)}`` for the bundle's task; the first is serving_default."""
    if bundle.task in SYNTHESIS_TASKS:
        from hwsr.export.synthesis import synthesis_functions

        return synthesis_functions(bundle, limits)
    from hwsr.export.recognition import recognition_functions

    return recognition_functions(bundle, limits)


def write_archive(bundle, functions: dict, path: str | os.PathLike) -> None:
    """Saves ``functions`` (``{name: (fn, input_signature)}``) as a SavedModel at ``path``."""
    import keras

    archive = keras.export.ExportArchive()
    archive.track(bundle.model)
    for name, (fn, signature) in functions.items():
        archive.add_endpoint(name, fn, signature)
    archive.write_out(str(path), verbose=False)


def export_saved_model(
    bundle: ModelBundle,
    export_base: str | os.PathLike,
    version: int | None = None,
    limits: ExportLimits | None = None,
    with_warmup: bool = True,
    overwrite: bool = False,
) -> Path:
    """Writes ``export_base/<name>/<version>/`` for a loaded model dir.

    Args:
        bundle: from `hwsr.model_dir.load_model_dir`.
        export_base: the export base (one sub-directory per served model).
        version: the version number; default one more than the latest present (or 1).
        limits: the request bounds baked into the graph.
        with_warmup: write ``assets.extra/tf_serving_warmup_requests``.
        overwrite: replace an existing version (atomically) instead of failing.

    Returns:
        The version directory.
    """
    limits = limits or ExportLimits()
    name = serving_name(bundle.task)
    model_base = Path(export_base) / name
    if version is None:
        version = (versions(model_base) or [0])[-1] + 1
    if int(version) < 0:
        raise ValueError(f"--version must be a non-negative integer, got {version}")
    target = model_base / str(int(version))
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists (pick another --version or pass --overwrite)")
    functions = serving_functions(bundle, limits)
    logs = None
    if with_warmup:
        logs = (warmup.synthesis_warmup(name, limits.max_steps) if bundle.task in SYNTHESIS_TASKS
                else warmup.recognition_warmup(name))
    with atomic_directory(target, overwrite=overwrite) as tmp:
        write_archive(bundle, functions, tmp)
        if logs is not None:
            warmup.write_warmup_file(tmp, logs)
        metadata = {
            "format": "hwsr.export/1",
            "hwsr_version": __version__,
            "name": name,
            "version": int(version),
            "task": bundle.task,
            "model_dir": str(bundle.path),
            "signatures": list(functions),
            "limits": limits.to_dict(),
            "alphabet": bundle.alphabet.to_dict(),
            "normalizer": bundle.normalizer.to_dict(),
            "preprocessing": bundle.preprocessing,
        }
        atomic_write_text(Path(tmp) / warmup.ASSETS_EXTRA / METADATA_FILE,
                          json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    return target


def read_metadata(version_dir: str | os.PathLike) -> dict:
    """The ``hwsr_export.json`` written beside an exported version."""
    path = Path(version_dir) / warmup.ASSETS_EXTRA / METADATA_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not an hwsr export (no {METADATA_FILE})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
