"""Executes the notebooks' code cells (in order, one namespace, in a temporary directory)."""

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
PRETRAINED = Path(__file__).resolve().parents[1] / "hwsr" / "pretrained"


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    for needed in ("synthesis", "recognition"):
        assert (PRETRAINED / needed / "model.json").exists(), f"shipped {needed} model missing"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for i, source in enumerate(code_cells(path)):
        try:
            exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"{path.name}: code cell {i} failed: {e!r}") from e
    assert any(os.scandir(tmp_path)), "the notebook wrote no output files"
