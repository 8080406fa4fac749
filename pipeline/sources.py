"""Opens any supported data source as a `LineCorpus`, detecting its layout."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.iam_xml import is_iam_ondb_dir, read_iam_ondb
from hwsr.pipeline.readers.ink_folder import is_ink_folder, read_ink_folder
from hwsr.pipeline.readers.legacy_npy import is_legacy_npy_dir, read_legacy_npy
from hwsr.pipeline.readers.npz_lines import read_npz_lines

__all__ = ["EXPECTED_LAYOUTS", "CorpusFormatError", "has_url_scheme", "load_corpus"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

EXPECTED_LAYOUTS = (
    "a raw IAM-OnDB folder (lineStrokes/**.xml + ascii/**.txt); "
    "a compact npz folder (one *.npz with 'points' + 'starts', and sentences.txt); "
    "a legacy folder (strokes.npy + sentences.txt, needs allow_pickle); "
    "a prepared TFRecords folder or URL (manifest.json + shards, from `hwsr data prepare`); "
    "or an ink folder (*.inkml / *.json files, one transcribed line each, see "
    "hwsr.pipeline.readers.ink_folder)"
)


def has_url_scheme(source: str | os.PathLike) -> bool:
    """True for ``s3://...``, ``gs://...`` and other URLs."""
    return bool(_SCHEME.match(os.fspath(source)))


def _prepared():
    # Imported lazily: it pulls in TensorFlow.
    from hwsr.pipeline import tfrecords

    return tfrecords


def load_corpus(source: str | os.PathLike, allow_pickle: bool = False) -> LineCorpus:
    """Detects the layout of ``source`` and reads it.

    Detection order: URL (``scheme://``, always a prepared dir), raw IAM-OnDB folder
    (``lineStrokes/`` + ``ascii/``), compact npz folder, legacy ``strokes.npy`` folder,
    prepared TFRecords folder, ink folder (``*.inkml`` / ``*.json``; after the prepared
    folder, whose ``manifest.json`` is no ink).

    Args:
        source: a folder or a URL.
        allow_pickle: passed to the legacy ``strokes.npy`` reader, the only one that needs
            pickle (which can run code: opt in only for trusted files).

    Raises:
        CorpusFormatError: no such path, or a layout that is none of the above (the message
            lists what was expected), or a malformed file.
    """
    text = os.fspath(source)
    if has_url_scheme(text):
        tfrecords = _prepared()
        return tfrecords.read_prepared_corpus(text)
    path = Path(text)
    if not path.exists():
        raise CorpusFormatError(f"{source}: no such file or directory (expected {EXPECTED_LAYOUTS})")
    if not path.is_dir():
        raise CorpusFormatError(f"{source}: is a file; expected a folder: {EXPECTED_LAYOUTS}")
    if is_iam_ondb_dir(path):
        return read_iam_ondb(path)
    if any(path.glob("*.npz")):
        return read_npz_lines(path)
    if is_legacy_npy_dir(path):
        return read_legacy_npy(path, allow_pickle=allow_pickle)
    tfrecords = _prepared()
    if tfrecords.is_prepared_dir(text):
        return tfrecords.read_prepared_corpus(text)
    if is_ink_folder(path):
        return read_ink_folder(path)
    found = sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())[:10]
    raise CorpusFormatError(
        f"{source}: unrecognised data layout (it holds {found or 'nothing'}); expected {EXPECTED_LAYOUTS}"
    )
