"""Installs hwsr; ``pipeline/``, ``export/`` and ``serving/`` become ``hwsr.*`` subpackages."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "hwsr/__init__.py").read_text()).group(1)

# Repo folder -> installed package. Nothing generic ("pipeline", "export", "serving")
# ever lands at the top of site-packages.
SUBPACKAGES = {"pipeline": "hwsr.pipeline", "export": "hwsr.export", "serving": "hwsr.serving"}


def _packages():
    packages = [p for p in find_packages(include=["hwsr", "hwsr.*"])]
    package_dir = {"hwsr": "hwsr"}
    for folder, name in SUBPACKAGES.items():
        package_dir[name] = folder
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_packages(where=folder)]
    return packages, package_dir


PACKAGES, PACKAGE_DIR = _packages()

setup(
    name="hwsr",
    version=VERSION,
    description="Online handwriting synthesis (Graves 2013) and recognition with TensorFlow/Keras",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10,<3.13",
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={"hwsr": ["pretrained/*/*", "pretrained/*/*/*", "data/*.txt", "app/static/*"]},
    include_package_data=False,
    install_requires=[
        "tensorflow-cpu>=2.17,<2.22",
        "keras>=3.5,<3.16",
        "numpy>=1.26,<2.5",
        "tensorboard>=2.17,<2.22",
        "matplotlib>=3.8,<3.12",
        "pyyaml>=6,<7",
        "pillow>=10,<14",
        # `hwsr app`: pure Python, ~0.6 MB with their needs (docs/ARCHITECTURE.md, "Web app").
        "starlette>=0.40,<2",
        "uvicorn>=0.30,<1",
    ],
    extras_require={
        # tensorflow-io 0.37.1 (its last release) loads only on TF 2.16/2.17 with numpy 1.x
        # (from TF 2.18 its ops fail with an undefined symbol); requirements-io.txt pins the
        # tested stack (TF 2.17.1, keras 3.15.1, numpy 1.26.4) and `make test-io` runs it.
        "io": ["tensorflow-io==0.37.1", "tensorflow-cpu>=2.17,<2.18", "numpy>=1.26,<2"],
    },
    entry_points={
        "console_scripts": [
            "hwsr=hwsr.cli.main:main",
            "hwsr-train=hwsr.cli.train:main",
        ]
    },
)
