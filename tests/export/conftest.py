"""Tiny model dirs and one export of them, shared by the export tests."""

from __future__ import annotations

import pytest

from hwsr.export.limits import ExportLimits
from hwsr.testing import (
    random_strokes,
    write_tiny_recognition_dir,
    write_tiny_synthesis_dir,
)

LIMITS = ExportLimits(max_steps=300, max_text_length=40, max_batch=8, max_points=600,
                      tflite_points=256, tflite_text_length=32)


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("model_dirs")
    return {"synthesis": write_tiny_synthesis_dir(root / "synthesis"),
            "recognition": write_tiny_recognition_dir(root / "recognition")}


@pytest.fixture(scope="session")
def bundles(tiny_dirs):
    from hwsr.model_dir import load_model_dir

    return {k: load_model_dir(v) for k, v in tiny_dirs.items()}


@pytest.fixture(scope="session")
def export_base(tmp_path_factory, bundles):
    from hwsr.export.models_config import write_models_config
    from hwsr.export.saved_model import export_saved_model

    base = tmp_path_factory.mktemp("export")
    for bundle in bundles.values():
        export_saved_model(bundle, base, 1, LIMITS)
    write_models_config(base / "models.config", ["hwsr_synthesis", "hwsr_recognition"])
    return base


@pytest.fixture(scope="session")
def ink():
    """``random_strokes(batch, steps, seed)``: padded raw-unit ink with lengths."""
    return random_strokes


@pytest.fixture(scope="session")
def limits():
    """The export limits the fixtures' models were exported with."""
    return LIMITS
