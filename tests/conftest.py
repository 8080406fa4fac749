"""Shared test set-up.

* Splits the CPU into 2 logical devices *before* TensorFlow initialises, so that
  ``MirroredStrategy`` really distributes over 2 replicas on a CPU-only machine.
* ``load_script`` imports a repo script (``bench/``, ``scripts/``) by its path.
* ``shared_data`` points at ``../shared/data`` (real IAM-OnDB ink, never copied into the
  repo); tests that need it skip with a message when it is absent.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

_cpus = tf.config.list_physical_devices("CPU")
# RuntimeError: already initialised (a plugin imported TF first and used it).
with contextlib.suppress(RuntimeError):
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HWSR_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skips the test when it is not there."""
    if not (SHARED_DATA / "iam_ondb_lines" / "iam_ondb_lines.npz").exists():
        pytest.skip(f"real IAM-OnDB data not found at {SHARED_DATA} (set HWSR_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def load_script():
    """A function that imports a repo script by its path relative to the repo root
    (``"scripts/make_gallery.py"``) and returns the module; ``__main__`` code does not run."""

    def load(relative_path: str):
        path = REPO / relative_path
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def synthetic_strokes():
    """A small programmatic line: three pen strokes, ``[eos, dx, dy]`` float32."""
    import numpy as np

    from hwsr.strokes import from_stroke_list

    t = np.linspace(0, 2 * np.pi, 25)
    strokes = [
        np.stack([10 * np.cos(t), 10 * np.sin(t)], axis=1),
        np.stack([30 + 2 * t, 5 * np.sin(3 * t)], axis=1),
        np.array([[50.0, 0.0], [55.0, 20.0], [60.0, 0.0]]),
    ]
    return from_stroke_list(strokes)
