"""The import contracts of .importlinter (one-way imports), checked with import-linter.

import-linter reads a package from one folder, but ``pipeline/``, ``export/`` and
``serving/`` become ``hwsr.*`` subpackages only when installed (setup.py), so the test
lays the sources out as installed in a temporary folder first.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / ".importlinter"
#: Repo folder -> installed package (as setup.py's SUBPACKAGES).
SUBPACKAGES = {"pipeline": "pipeline", "export": "export", "serving": "serving"}
UPPER = ("cli", "app", "pipeline", "export", "serving")


def _installed_layout(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "pretrained", "*.pyc", "static", "data")
    shutil.copytree(REPO / "hwsr", target / "hwsr", ignore=ignore)
    for folder, name in SUBPACKAGES.items():
        shutil.copytree(REPO / folder, target / "hwsr" / name, ignore=ignore)
    return target


def _core_modules() -> set[str]:
    names = set()
    for path in (REPO / "hwsr").iterdir():
        if path.name.startswith(("_", ".")) or path.name in UPPER:
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            names.add(f"hwsr.{path.stem}")
    return names


def test_the_core_contract_lists_every_core_module():
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    listed = set(parser["importlinter:contract:core"]["source_modules"].split())
    assert listed == _core_modules()


def test_import_contracts_hold(tmp_path):
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail("lint-imports is missing: install requirements-dev.txt (import-linter)")
    root = _installed_layout(tmp_path / "src")
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([str(lint), "--config", str(CONFIG), "--no-cache"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" in out.stdout and "0 broken" in out.stdout
