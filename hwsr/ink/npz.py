"""NumPy ``.npz`` ink, the one home of the multi-line (compact) layout; pickles are never loaded.

Layouts:

* one line: a float ``strokes`` array ``[T, 3]`` ``[eos, dx, dy]``;
* several lines (the compact layout of ``shared/data/iam_ondb_lines``): ``points``
  ``[N, 3]`` (the lines' canonical ``[eos, dx, dy]`` rows one after another) and
  ``starts`` ``[n + 1]`` (line ``i`` is ``points[starts[i]:starts[i + 1]]``), optionally
  ``texts`` ``[n]`` (strings), ``origin_xy`` ``[n, 2]`` (the absolute ``(x, y)`` of each
  line's first point, y pointing down, as in IAM-OnDB) and ``times`` ``[N]`` (ms).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsr.ink.errors import InkFormatError
from hwsr.ink.page import InkLine
from hwsr.io_utils import atomic_write_bytes
from hwsr.strokes.representation import InvalidStrokesError, validate_strokes

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"
NPZ_LAYOUTS = "an array 'strokes' (one line) or arrays 'points' + 'starts' (several lines)"


def load_npz(path: str | os.PathLike, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (those in ``names``, default all), never unpickling.

    Raises:
        InkFormatError: not an ``.npz`` archive (a plain ``.npy``, another file), a damaged
            archive, or an array of Python objects (which would need pickle).
    """
    path = Path(path)
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic.startswith(_NPY_MAGIC):
        raise InkFormatError(f"{path}: holds a single .npy array, not an .npz archive; save it with "
                             "np.savez(path, strokes=array) or hwsr.ink.write_npz")
    if not magic.startswith(_ZIP_MAGIC):
        raise InkFormatError(f"{path}: not an hwsr npz (not a NumPy .npz archive at all; expected "
                             f"{NPZ_LAYOUTS})")
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as z:
            for name in z.files:
                if names is None or name in names:
                    arrays[name] = z[name]
    except ValueError as e:
        if "pickle" not in str(e):
            raise InkFormatError(f"{path}: cannot read as .npz ({e})") from None
        raise InkFormatError(f"{path}: not an hwsr npz: it holds arrays of Python objects, which "
                             f"hwsr never loads (pickles can run code); expected {NPZ_LAYOUTS} "
                             "of numbers") from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as e:
        raise InkFormatError(f"{path}: cannot read as .npz ({type(e).__name__}: {e})") from None
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):
            raise InkFormatError(f"{path}: member {name!r} is not a .npy array; not an hwsr npz")
    return arrays


def _compact(arrays: dict[str, np.ndarray], path: Path) -> list[InkLine]:
    points, starts = arrays["points"], arrays["starts"]
    if points.ndim != 2 or points.shape[1] != 3:
        raise InkFormatError(f"{path}: 'points' must be [N, 3] [eos, dx, dy], got shape {list(points.shape)}")
    if (starts.ndim != 1 or len(starts) < 1 or starts.dtype.kind not in "iu" or starts[0] != 0
            or starts[-1] != len(points)):
        raise InkFormatError(f"{path}: 'starts' must be a 1-D array of integer offsets running "
                             "from 0 to len(points)")
    if len(starts) == 1:  # No lines: an empty corpus, which its reader reports as such.
        return []
    if np.any(np.diff(starts) <= 0):
        raise InkFormatError(f"{path}: 'starts' must be strictly increasing (no empty lines)")
    n = len(starts) - 1
    extras = {}
    for name, shape in (("texts", (n,)), ("origin_xy", (n, 2)), ("times", (len(points),))):
        if name in arrays:
            if arrays[name].shape != shape or (name == "texts") != (arrays[name].dtype.kind == "U"):
                kind = "strings" if name == "texts" else "numbers"
                raise InkFormatError(f"{path}: {name!r} must be {list(shape)} {kind}, got "
                                     f"{list(arrays[name].shape)} {arrays[name].dtype}")
            extras[name] = arrays[name]
    try:
        points = validate_strokes(points, source=str(path))
    except InvalidStrokesError:  # Name the line that holds the bad row.
        for i in range(n):
            validate_strokes(points[starts[i] : starts[i + 1]], source=f"{path}[{i}]")
        raise
    lines = []
    for i in range(n):
        a, b = int(starts[i]), int(starts[i + 1])
        origin = extras["origin_xy"][i].astype(np.float64) * (1, -1) if "origin_xy" in extras else (0, 0)
        lines.append(InkLine(
            points[a:b],
            str(extras["texts"][i]) or None if "texts" in extras else None,
            tuple(origin),
            extras["times"][a:b] if "times" in extras else None,
        ))
    return lines


def npz_lines(path: str | os.PathLike) -> tuple[list[InkLine], bool]:
    """``(lines, structured)``: every line of a compact npz (structured), or the one
    ``strokes`` line.

    Raises:
        InkFormatError: see `load_npz`; neither layout; a malformed ``starts``.
        InvalidStrokesError: a line that is not a valid stroke array.
    """
    path = Path(path)
    arrays = load_npz(path, ("strokes", "points", "starts", "texts", "origin_xy", "times"))
    if "strokes" in arrays:
        return [InkLine(validate_strokes(arrays["strokes"], source=str(path)))], False
    if "points" in arrays and "starts" in arrays:
        try:
            return _compact(arrays, path), True
        except InvalidStrokesError as e:
            if "line times" not in str(e):
                raise
            raise InkFormatError(f"{path}: 'times' must be finite") from None
    found = sorted(load_npz(path))
    raise InkFormatError(f"{path}: expected {NPZ_LAYOUTS}, found {found}")


def read_npz_ink(path: str | os.PathLike, index: int | None = None) -> np.ndarray:
    """Reads one line from an ``.npz``: a ``strokes`` array, or line ``index`` of the compact
    layout (``index`` may be left out when it holds one line)."""
    path = Path(path)
    lines, structured = npz_lines(path)
    if not structured:
        if index not in (None, 0):
            raise InkFormatError(f"{path}: holds a single line ('strokes'), cannot pick index {index}")
        return lines[0].strokes
    n = len(lines)
    if index is None:
        if n != 1:
            raise InkFormatError(f"{path}: holds {n} lines; choose one with index=0..{n - 1} "
                                 "(or read them all with hwsr.ink.read_page)")
        index = 0
    if not 0 <= index < n:
        raise InkFormatError(f"{path}: index {index} out of range, the file holds {n} lines")
    return lines[index].strokes


def write_npz(path: str | os.PathLike, strokes) -> None:
    """Writes one line as an ``.npz`` holding a float32 ``strokes`` array (no pickle)."""
    buffer = io.BytesIO()
    np.savez(buffer, strokes=validate_strokes(strokes, source="strokes to write"))
    atomic_write_bytes(path, buffer.getvalue())


def write_npz_page(path: str | os.PathLike, lines: Sequence[InkLine]) -> None:
    """Writes lines in the compact layout (float32 ``points``, ``starts``, ``texts``,
    ``origin_xy``, and ``times`` when every line has them); no pickle."""
    if not lines:
        raise ValueError("write_npz_page: no lines")
    arrays = {
        "points": np.concatenate([line.strokes for line in lines]),
        "starts": np.cumsum([0] + [len(line.strokes) for line in lines]).astype(np.int64),
        "texts": np.array([line.text or "" for line in lines], dtype=str),
        "origin_xy": np.array([line.origin for line in lines], np.float64) * (1, -1) + 0.0,
    }
    if all(line.times is not None for line in lines):
        arrays["times"] = np.concatenate([line.times for line in lines])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())
