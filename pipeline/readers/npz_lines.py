"""Reader for the compact npz layout: ``*.npz`` (``points`` + ``starts``) + ``sentences.txt``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from hwsr.ink import InkFormatError
from hwsr.ink.npz import npz_lines
from hwsr.pipeline.corpus import LineCorpus, default_line_ids
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.strokes import InvalidStrokesError

__all__ = ["CorpusFormatError", "read_npz_lines", "read_text_lines", "write_npz_lines"]


def read_text_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without their newline (a final newline adds no line).

    Raises:
        CorpusFormatError: the file is not UTF-8 (naming the line of the first bad byte).
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CorpusFormatError(
            f"{path}: line {line}: not UTF-8 text ({e.reason} at byte {e.start})"
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def read_npz_lines(folder: str | os.PathLike) -> LineCorpus:
    """Reads ``iam_ondb_lines``-style data: one ``.npz`` with ``points`` [N, 3] int16 and
    ``starts`` [n + 1], plus ``sentences.txt`` (and optionally ``line_ids.txt``).

    The npz is read by `hwsr.ink.npz.npz_lines`; no pickle is ever loaded.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusFormatError(f"{folder}: not a directory")
    npzs = sorted(folder.glob("*.npz"))
    if len(npzs) != 1:
        raise CorpusFormatError(f"{folder}: expected exactly one .npz file, found {len(npzs)}")
    path = npzs[0]
    try:
        lines, structured = npz_lines(path)  # The one multi-line npz reader (no pickle).
    except (InkFormatError, InvalidStrokesError) as e:
        raise CorpusFormatError(str(e)) from None
    if not structured:
        raise CorpusFormatError(f"{path}: expected arrays 'points' and 'starts' (the compact layout), "
                                "found a single line 'strokes'")
    n = len(lines)
    sentences = folder / "sentences.txt"
    if not sentences.exists():
        raise CorpusFormatError(f"{folder}: missing sentences.txt")
    texts = read_text_lines(sentences)
    if len(texts) != n:
        raise CorpusFormatError(f"{sentences}: {len(texts)} lines, but {path.name} holds {n} sequences")
    ids_path = folder / "line_ids.txt"
    if ids_path.exists():
        line_ids = read_text_lines(ids_path)
        if len(line_ids) != n:
            raise CorpusFormatError(f"{ids_path}: {len(line_ids)} lines, but {path.name} holds {n} sequences")
    else:
        line_ids = default_line_ids(n)
    return LineCorpus([line.strokes for line in lines], texts, line_ids)


def write_npz_lines(
    folder: str | os.PathLike,
    strokes,
    texts,
    line_ids=None,
    name: str = "lines.npz",
) -> Path:
    """Writes lines in the compact layout that `read_npz_lines` reads.

    ``points`` is stored as int16 like IAM-OnDB's integer whiteboard units, so the offsets
    must be whole numbers in the int16 range (they are raw device units, not normalised).

    Args:
        folder: created if needed.
        strokes: ``[T, 3]`` ``[eos, dx, dy]`` arrays.
        texts: one transcription per line (no newlines).
        line_ids: optional ids (``form-NN``); written to ``line_ids.txt``.
        name: the ``.npz`` file name.
    """
    from hwsr.io_utils import atomic_write_bytes, atomic_write_text

    folder = Path(folder)
    if len(strokes) != len(texts) or (line_ids is not None and len(line_ids) != len(texts)):
        raise ValueError("strokes, texts and line_ids must have the same length")
    arrays = [np.asarray(s, np.float64) for s in strokes]
    for i, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[1] != 3 or len(a) == 0:
            raise ValueError(f"line {i}: expected a non-empty [T, 3] array, got {a.shape}")
        if not np.all(a == np.round(a)) or np.abs(a).max() > np.iinfo(np.int16).max:
            raise ValueError(f"line {i}: int16 layout needs whole offsets within +-32767")
    for i, text in enumerate(texts):
        if "\n" in text:
            raise ValueError(f"line {i}: a transcription cannot contain a newline")
    folder.mkdir(parents=True, exist_ok=True)
    starts = np.cumsum([0] + [len(a) for a in arrays]).astype(np.int64)
    import io

    buf = io.BytesIO()
    np.savez(buf, points=np.concatenate(arrays).astype(np.int16), starts=starts)
    atomic_write_bytes(folder / name, buf.getvalue())
    atomic_write_text(folder / "sentences.txt", "".join(t + "\n" for t in texts))
    if line_ids is not None:
        atomic_write_text(folder / "line_ids.txt", "".join(i + "\n" for i in line_ids))
    return folder

