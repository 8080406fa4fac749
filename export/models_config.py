"""TF Serving's ``models.config`` (a ``ModelServerConfig`` ``model_config_list`` text proto)."""

from __future__ import annotations

import os

from hwsr.io_utils import atomic_write_text


def models_config_text(names, base_path_root: str = "/models") -> str:
    """The text proto serving each of ``names`` from ``<base_path_root>/<name>``.

    ``base_path_root`` is where the export base is mounted for the server (``/models`` in
    the ``docker run`` command of docs/serving.md). Every version under a model's base path
    is served by the latest-version policy TF Serving uses by default.
    """
    root = base_path_root.rstrip("/")
    blocks = [
        "  config {\n"
        f'    name: "{name}"\n'
        f'    base_path: "{root}/{name}"\n'
        '    model_platform: "tensorflow"\n'
        "  }\n"
        for name in names
    ]
    return "model_config_list {\n" + "".join(blocks) + "}\n"


def write_models_config(path: str | os.PathLike, names, base_path_root: str = "/models") -> None:
    atomic_write_text(path, models_config_text(names, base_path_root))
