"""Reader for the legacy (Lyrebird) layout: ``strokes.npy`` + ``sentences.txt`` (+ ``line_ids.txt``).

``strokes.npy`` is a numpy *object* array of ``[T, 3]`` ``[eos, dx, dy]`` arrays. Object
arrays are stored as pickles, and unpickling can run arbitrary code, so this reader loads
one only when the caller opts in with ``allow_pickle=True`` (``--allow-pickle`` on the
command line). Convert a trusted legacy folder once to the compact npz layout to avoid it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from hwsr.pipeline.corpus import LineCorpus, default_line_ids
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.npz_lines import read_text_lines
from hwsr.strokes import InvalidStrokesError, validate_strokes

__all__ = ["PickleNotAllowedError", "is_legacy_npy_dir", "read_legacy_npy"]


class PickleNotAllowedError(CorpusFormatError):
    """A pickled (object) array was found but loading pickles was not allowed."""


def is_legacy_npy_dir(path: str | os.PathLike) -> bool:
    """True for a folder holding ``strokes.npy`` and ``sentences.txt``."""
    path = Path(path)
    return (path / "strokes.npy").is_file() and (path / "sentences.txt").is_file()


def _header_dtype(path: Path) -> np.dtype:
    """The dtype in an ``.npy`` header, read without loading (or unpickling) the data."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                _, _, dtype = np.lib.format.read_array_header_2_0(f)
    except ValueError as e:
        raise CorpusFormatError(f"{path}: not a .npy file ({e})") from None
    return dtype


def read_legacy_npy(folder: str | os.PathLike, allow_pickle: bool = False) -> LineCorpus:
    """Reads ``strokes.npy`` (object array of ``[T, 3]`` ``[eos, dx, dy]``) + ``sentences.txt``.

    Args:
        folder: the folder holding the files.
        allow_pickle: must be True to load an object array: unpickling runs code stored in
            the file, so only opt in for files from a source you trust.

    Raises:
        PickleNotAllowedError: ``strokes.npy`` needs pickle and ``allow_pickle`` is False.
        CorpusFormatError: missing files, counts that differ, or a line that is not a
            valid ``[T, 3]`` array (naming its index and line id).
    """
    folder = Path(folder)
    path = folder / "strokes.npy"
    sentences = folder / "sentences.txt"
    for needed in (path, sentences):
        if not needed.is_file():
            raise CorpusFormatError(
                f"{folder}: missing {needed.name} (legacy layout: strokes.npy + sentences.txt)"
            )
    if _header_dtype(path).hasobject and not allow_pickle:
        raise PickleNotAllowedError(
            f"{path} is a numpy object array, which is stored as a pickle; loading a pickle can run "
            "arbitrary code, so it is refused by default. If you trust this file, opt in with "
            "allow_pickle=True (or --allow-pickle on the command line), or convert it once to the "
            "compact npz layout."
        )
    try:
        array = np.load(path, allow_pickle=allow_pickle, encoding="latin1")
    except (OSError, ValueError, EOFError) as e:
        raise CorpusFormatError(f"{path}: cannot read ({e})") from None
    if array.ndim != 1:
        raise CorpusFormatError(
            f"{path}: expected a 1-D array of [T, 3] stroke arrays, got shape {list(array.shape)}"
        )
    texts = read_text_lines(sentences)
    if len(texts) != len(array):
        raise CorpusFormatError(
            f"{sentences}: {len(texts)} lines, but {path.name} holds {len(array)} sequences"
        )
    ids_path = folder / "line_ids.txt"
    if ids_path.exists():
        line_ids = read_text_lines(ids_path)
        if len(line_ids) != len(array):
            raise CorpusFormatError(
                f"{ids_path}: {len(line_ids)} lines, but {path.name} holds {len(array)} sequences"
            )
    else:
        line_ids = default_line_ids(len(array))
    strokes = []
    for i, (item, line_id) in enumerate(zip(array, line_ids)):
        try:
            checked = validate_strokes(item, source=f"{path}[{i}] ({line_id})")
        except InvalidStrokesError as e:
            raise CorpusFormatError(str(e)) from None
        # + 0 turns the -0.0 that some converters wrote into 0.0, so that the arrays are
        # bit-identical to the compact npz layout's.
        strokes.append(checked + np.float32(0.0))
    return LineCorpus(strokes, texts, line_ids)
