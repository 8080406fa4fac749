"""Tests for hwsr/cli/console.py: exit statuses, one-line errors, --debug tracebacks."""

from __future__ import annotations

import os

import pytest

from hwsr import console
from hwsr.console import CLIError, one_line, run_command


def _raise(error: BaseException):
    def command():
        raise error

    return command


def test_success_returns_the_commands_status(capsys):
    assert run_command("hwsr x", lambda: None) == 0
    assert run_command("hwsr x", lambda: 3) == 3
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("error", [
    CLIError("--limit must be >= 0"),
    ValueError("ink.json: line 2, column 1: not valid JSON"),
    FileNotFoundError(2, "No such file or directory", "notes.inkml"),
])
def test_user_errors_are_one_line_with_status_2(capsys, error):
    assert run_command("hwsr recognize", _raise(error)) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"hwsr recognize: error: {one_line(error)}"]
    assert "Traceback" not in err and "--debug" not in err


def test_os_errors_read_as_path_and_reason():
    assert one_line(FileNotFoundError(2, "No such file or directory", "a.json")) == \
        "a.json: No such file or directory"
    assert one_line(OSError("disk on fire")) == "disk on fire"


def test_a_hint_is_a_second_line(capsys):
    assert run_command("hwsr generate", _raise(CLIError("bad text", hint="pass --drop-unknown"))) == 2
    assert capsys.readouterr().err.splitlines() == [
        "hwsr generate: error: bad text", "hwsr generate: hint: pass --drop-unknown"]


def test_long_and_multi_line_messages_become_one_short_line(capsys):
    error = ValueError("first\n  second\n" + "x" * 2000)
    assert run_command("hwsr-train", _raise(error)) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("hwsr-train: error: first second xxx") and line.endswith("...")
    assert len(line) <= len("hwsr-train: error: ") + console.MAX_MESSAGE


def test_unexpected_errors_have_status_1_and_point_to_debug(capsys):
    assert run_command("hwsr export", _raise(RuntimeError("graph blew up"))) == 1
    assert capsys.readouterr().err.splitlines() == [
        "hwsr export: error: RuntimeError: graph blew up (run with --debug for the traceback)"]


@pytest.mark.parametrize("error, status", [(RuntimeError("graph blew up"), 1), (CLIError("bad"), 2),
                                           (KeyboardInterrupt(), 130)])
def test_debug_shows_the_traceback(capsys, error, status):
    assert run_command("hwsr export", _raise(error), debug=True) == status
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "(run with --debug" not in err


def test_user_errors_can_be_widened(capsys):
    class TrainingError(RuntimeError):
        pass

    assert run_command("hwsr-train", _raise(TrainingError("empty")), user_errors=(TrainingError,)) == 2
    assert capsys.readouterr().err == "hwsr-train: error: empty\n"


def test_ctrl_c_exits_130_with_one_line(capsys):
    assert run_command("hwsr-train", _raise(KeyboardInterrupt()), interrupted="stopped; re-run") == 130
    assert capsys.readouterr().err == "hwsr-train: stopped; re-run\n"


def test_native_stderr_is_hidden_and_replayed_on_failure(capfd):
    with console._native_stderr_hidden():
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on\n")
    assert capfd.readouterr().err == ""
    with pytest.raises(ImportError), console._native_stderr_hidden():
        os.write(2, b"libfoo.so: cannot open shared object file\n")
        raise ImportError("no tensorflow")
    assert "libfoo.so: cannot open shared object file" in capfd.readouterr().err
    os.write(2, b"visible again\n")
    assert capfd.readouterr().err == "visible again\n"
