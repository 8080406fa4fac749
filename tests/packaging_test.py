"""The package layout: everything installs under ``hwsr``, from a wheel and editable."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERIC = ("pipeline", "export", "serving")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
         str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    (path,) = out.glob("hwsr-*.whl")
    return path


@pytest.mark.slow
def test_wheel_puts_only_hwsr_at_the_top(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"hwsr"}
    for sub in GENERIC:
        assert f"hwsr/{sub}/__init__.py" in names
    assert "hwsr/pipeline/readers/iam_xml.py" in names
    assert not any(n.startswith("tests/") or "_test.py" in n for n in names)
    shipped = [n for n in names if n.startswith("hwsr/pretrained/")]
    for model in ("synthesis", "recognition"):
        if (REPO / "hwsr" / "pretrained" / model / "model.json").exists():
            assert f"hwsr/pretrained/{model}/model.weights.h5" in shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "hwsr = hwsr.cli.main:main" in text and "hwsr-train = hwsr.cli.train:main" in text


@pytest.mark.slow
def test_wheel_install_imports_from_site_packages(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    installed = {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")}
    assert installed - {"bin"} == {"hwsr"}  # bin/ holds the console scripts
    code = (
        "import hwsr.pipeline.trainer, hwsr.export, hwsr.serving, hwsr.cli.main, sys\n"
        "assert hwsr.pipeline.trainer.__file__.startswith(sys.argv[1]), hwsr.pipeline.trainer.__file__\n"
        "import importlib.util\n"
        "assert all(importlib.util.find_spec(n) is None for n in ('pipeline', 'export', 'serving'))\n"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", code, str(target)], check=True, cwd=tmp_path, env=env,
                   timeout=300)


def test_editable_install_maps_the_repo_folders(tmp_path):
    # In a fresh interpreter outside the repo (pytest's own sys.path may hold the repo root).
    code = (
        "import importlib.util, pathlib, sys\n"
        "import hwsr.export, hwsr.pipeline, hwsr.serving\n"
        "repo = pathlib.Path(sys.argv[1])\n"
        "for mod, folder in ((hwsr.pipeline, 'pipeline'), (hwsr.export, 'export'),\n"
        "                    (hwsr.serving, 'serving')):\n"
        "    assert pathlib.Path(mod.__file__).parent == repo / folder, mod.__file__\n"
        "assert all(importlib.util.find_spec(n) is None for n in ('pipeline', 'export', 'serving'))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(REPO)], check=True, cwd=tmp_path, timeout=120)
