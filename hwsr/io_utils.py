"""Small file helpers: atomic writes of files and directories (with the umask's permissions)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import time
from pathlib import Path

#: Age (seconds) after which a temporary directory without a process id in its name is stale.
STALE_PARTIAL_AGE = 3600.0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, suffix: str = ".tmp"):
    """Yields a temporary path beside ``path`` for the caller to write; on success it gets the
    permissions the umask gives a new file and is renamed to ``path``, on failure removed.

    Args:
        path: the file to write.
        suffix: the temporary file's suffix (some writers insist on one, e.g. ``.weights.h5``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; honour the umask instead
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a temporary file and a rename."""
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def unwritable_reason(path: str | os.PathLike) -> str | None:
    """Why `atomic_write_bytes` could not write ``path`` (checked by creating and removing a
    temporary file in the nearest existing folder), or None when it can. Nothing is left behind."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a directory"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a directory"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        return f"cannot create files in {folder}: {e.strerror or e}"
    return None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # Another user's process.
        return True
    return True


def remove_stale_partials(path: str | os.PathLike, legacy_age: float = STALE_PARTIAL_AGE) -> list[Path]:
    """Removes the temporary siblings ``.<name>.<pid>.*.partial`` that `atomic_directory`
    left for ``path`` when its process was killed; returns them.

    A partial whose process still runs (on this machine) is kept, as is one without a process
    id in its name (an older hwsr's) until it is ``legacy_age`` seconds old.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    removed = []
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        pid = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        try:
            stale = not _pid_alive(int(pid)) if pid.isdigit() else (
                time.time() - tmp.stat().st_mtime > legacy_age)
        except FileNotFoundError:  # Renamed or removed meanwhile.
            continue
        if stale and tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = False):
    """Yields a temporary sibling directory that is renamed to ``path`` on success.

    A crash or an exception leaves no partial ``path`` behind: readers see either
    nothing or the complete directory. The temporary name holds the process id, so that the
    next call removes what a killed process left (`remove_stale_partials`).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".partial", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
