"""An export of tiny random-weight models and a local server on 127.0.0.1 for the serving tests."""

from __future__ import annotations

import threading

import pytest

from hwsr.export.limits import ExportLimits
from hwsr.testing import (
    random_strokes,
    write_tiny_recognition_dir,
    write_tiny_synthesis_dir,
)

LIMITS = ExportLimits(max_steps=200, max_text_length=40, max_batch=8, max_points=600)


@pytest.fixture(scope="session")
def served_export(tmp_path_factory):
    from hwsr.export.saved_model import export_saved_model
    from hwsr.model_dir import load_model_dir

    root = tmp_path_factory.mktemp("serving")
    base = root / "export"
    for write in (write_tiny_synthesis_dir, write_tiny_recognition_dir):
        bundle = load_model_dir(write(root / write.__name__))
        export_saved_model(bundle, base, 3, LIMITS, with_warmup=False)
    return base


@pytest.fixture(scope="session")
def registry(served_export):
    from hwsr.serving.registry import ModelRegistry, ServerLimits

    return ModelRegistry(served_export, limits=ServerLimits(max_body_bytes=2 * 1024 * 1024,
                                                            max_concurrent=2))


@pytest.fixture(scope="session")
def rest_url(registry):
    from hwsr.serving.http_server import make_http_server

    server = make_http_server(registry, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def ink():
    return random_strokes


@pytest.fixture(scope="session")
def limits():
    """The export limits the fixtures' models were exported with."""
    return LIMITS
