"""Tests for hwsr/io_utils.py: atomic writes of files and directories."""

from __future__ import annotations

import os

import pytest

from hwsr.io_utils import atomic_directory, atomic_write_bytes, atomic_write_text


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_write_bytes_creates_parents_and_replaces(tmp_path):
    path = tmp_path / "a" / "b" / "data.bin"
    atomic_write_bytes(path, b"first")
    assert path.read_bytes() == b"first"
    atomic_write_bytes(path, b"second, longer")
    assert path.read_bytes() == b"second, longer"
    assert _leftovers(path.parent) == []


def test_atomic_write_text_is_utf8(tmp_path):
    path = tmp_path / "t.txt"
    atomic_write_text(str(path), "é ß\n")
    assert path.read_bytes() == "é ß\n".encode()


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "keep.txt"
    atomic_write_text(path, "old")

    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # f.write fails after the temp file exists.
    assert path.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_written_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "shared.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "shared.json").stat().st_mode & 0o777 == 0o644


def test_atomic_directory_respects_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "d") as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755


def test_atomic_directory_appears_only_on_success(tmp_path):
    target = tmp_path / "model"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("a")
        assert not target.exists()
    assert (target / "a.txt").read_text() == "a"
    assert _leftovers(tmp_path) == []


def test_atomic_directory_failure_leaves_nothing(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("crash while writing")
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_atomic_directory_refuses_or_replaces_an_existing_one(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(FileExistsError), atomic_directory(target):
        pass
    assert (target / "old.txt").exists()

    with atomic_directory(target, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert _leftovers(tmp_path) == []


def test_atomic_directory_overwrite_failure_keeps_the_old_one(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_directory(target, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
        raise RuntimeError("crash")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    assert _leftovers(tmp_path) == []


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # Exited and reaped: no process has this id (until it is reused).


def test_atomic_directory_removes_what_a_killed_process_left(tmp_path):
    target = tmp_path / "1"
    killed = tmp_path / f".1.{_dead_pid()}.abc_123.partial"
    running = tmp_path / f".1.{os.getpid()}.xyz.partial"  # Another writer still at work.
    legacy_old, legacy_new = tmp_path / ".1.old_name.partial", tmp_path / ".1.new_name.partial"
    other = tmp_path / f".2.{_dead_pid()}.abc.partial"  # Another version's: not ours to judge.
    for folder in (killed, running, legacy_old, legacy_new, other):
        (folder / "variables").mkdir(parents=True)
    os.utime(legacy_old, (0, 0))
    with atomic_directory(target) as tmp:
        (tmp / "saved_model.pb").write_bytes(b"x")
    assert _leftovers(tmp_path) == sorted(p.name for p in (running, legacy_new, other))
    assert (target / "saved_model.pb").exists()


def test_atomic_file_gives_umask_permissions_to_what_the_caller_writes(tmp_path):
    from hwsr.io_utils import atomic_file

    old = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "w.weights.h5", suffix=".weights.h5") as tmp:
            assert tmp.endswith(".weights.h5")
            with open(tmp, "wb") as f:
                f.write(b"h5")
    finally:
        os.umask(old)
    assert (tmp_path / "w.weights.h5").stat().st_mode & 0o777 == 0o644
    with pytest.raises(RuntimeError), atomic_file(tmp_path / "w.weights.h5") as tmp:
        raise RuntimeError("crash")
    assert (tmp_path / "w.weights.h5").read_bytes() == b"h5" and _leftovers(tmp_path) == []
