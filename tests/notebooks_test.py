"""The notebooks run top to bottom in a real Jupyter kernel, and are committed without outputs.

nbclient executes each notebook in a fresh ipykernel started with this interpreter
(``sys.executable``: the venv that runs pytest, whatever kernels the machine has registered),
in a temporary working directory. The committed files are only read, never written.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

# requirements-dev.txt has them; the tensorflow-io venv of `make test-io` does not.
nbformat = pytest.importorskip("nbformat", reason="nbformat (requirements-dev.txt) is not installed")
pytest.importorskip("nbclient", reason="nbclient (requirements-dev.txt) is not installed")

from jupyter_client import KernelManager  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 600
IMAGE_TYPES = {"image/png", "image/svg+xml"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def this_python_kernel() -> KernelManager:
    """A manager for ipykernel on ``sys.executable``. No kernelspec folder is searched, so a
    ``python3`` kernel registered elsewhere on the machine cannot take its place."""
    return KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))


def execute(nb: nbformat.NotebookNode, cwd: Path, name: str) -> nbformat.NotebookNode:
    """Runs every cell of ``nb`` (in place) in ``cwd``; a failing cell fails the test with the
    cell's number, source and error."""
    client = NotebookClient(nb, km=this_python_kernel(), timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except CellExecutionError as e:
        failed = next((i for i, cell in enumerate(nb.cells)
                       if any(out.output_type == "error" for out in cell.get("outputs", []))), "?")
        pytest.fail(f"{name}: cell {failed} failed:\n{_ANSI.sub('', str(e))}", pytrace=False)
    return nb


def stdout_of(nb: nbformat.NotebookNode) -> str:
    return "".join(out.text for cell in nb.cells for out in cell.get("outputs", [])
                   if out.output_type == "stream" and out.name == "stdout")


def shows_an_image(cell) -> bool:
    return any(IMAGE_TYPES & set(out.get("data", {})) for out in cell.outputs)


def iam_lines_expected() -> bool:
    """Whether the recognition notebook should find real IAM-OnDB lines (as tests/conftest.py
    looks for them: ``$HWSR_SHARED_DATA``, else ``../shared/data``)."""
    root = Path(os.environ.get("HWSR_SHARED_DATA", REPO.parent / "shared" / "data"))
    return (root / "iam_ondb_lines" / "iam_ondb_lines.npz").exists()


def test_both_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["generation.ipynb", "recognition.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, (
        f"{path.name}: code cells {dirty} carry outputs or execution counts; clear all outputs "
        "before committing (Jupyter: Edit > Clear Outputs of All Cells)"
    )


def test_kernel_runs_this_python_in_the_given_folder(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import os, sys\nprint(sys.executable)\nprint(os.getcwd())"))
    executable, cwd = stdout_of(execute(nb, tmp_path, "probe")).splitlines()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(cwd).resolve() == tmp_path.resolve()


def test_a_failing_cell_fails_with_its_source_and_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells += [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / (x - 1)")]
    with pytest.raises(pytest.fail.Exception) as failure:
        execute(nb, tmp_path, "broken.ipynb")
    message = str(failure.value)
    assert "broken.ipynb: cell 1 failed" in message
    assert "1 / (x - 1)" in message and "ZeroDivisionError" in message


def run_notebook(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Executes the notebook at ``path`` in ``cwd``; checks that every cell that plots shows
    its image inline and that the notebook wrote its files to ``out/``."""
    nb = execute(nbformat.read(path, as_version=4), cwd, path.name)
    plotting = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                and ("plots.plot_" in cell.source or "display(" in cell.source)]
    assert plotting, f"{path.name} plots nothing"
    blank = [i for i in plotting if not shows_an_image(nb.cells[i])]
    assert not blank, f"{path.name}: cells {blank} plot but show no image inline"
    assert any((cwd / "out").iterdir()), f"{path.name} wrote no files to out/"
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    nb = run_notebook(path, tmp_path)
    if path.stem == "recognition":
        real = "held-out IAM-OnDB lines" in stdout_of(nb)
        assert real == iam_lines_expected(), "the notebook did not find the IAM-OnDB lines it should"


@pytest.mark.slow
def test_recognition_notebook_reads_synthetic_lines_without_iam_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HWSR_SHARED_DATA", str(tmp_path / "no-data-here"))
    nb = run_notebook(REPO / "notebooks" / "recognition.ipynb", tmp_path)
    assert "reading lines the synthesiser wrote" in stdout_of(nb)
