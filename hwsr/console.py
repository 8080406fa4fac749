"""How the command lines report errors: one readable line, a traceback only with ``--debug``.

Shared by ``hwsr`` (`hwsr.cli.main`) and ``hwsr-train`` (`hwsr.cli.train`). It imports
only the standard library at module level, so either entry point can use it without
pulling in TensorFlow before it parses its arguments.

Exit statuses: 0 success, 2 a user error (bad input, missing model or data: `CLIError`,
``ValueError``, ``OSError``), 1 an unexpected error (a bug or a TensorFlow failure), 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator

USER_ERROR = 2
UNEXPECTED_ERROR = 1
INTERRUPTED = 130

#: Longest error message printed; longer ones are cut (``--debug`` shows them whole).
MAX_MESSAGE = 600


class CLIError(Exception):
    """A user error, reported as one line (exit status 2), with an optional fix.

    Args:
        message: what is wrong, naming the file or option.
        hint: how to fix it, printed on a second ``hint:`` line.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


#: Exceptions that mean "the input is wrong", not "hwsr is broken": hwsr's readers, loaders
#: and configs raise ValueError subclasses (InkFormatError, ModelDirError, ConfigError...)
#: whose messages name the file and the problem.
USER_ERRORS: tuple[type[BaseException], ...] = (CLIError, ValueError, OSError)


def one_line(error: BaseException, limit: int = MAX_MESSAGE) -> str:
    """The message of ``error`` on one line, at most ``limit`` characters."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"  # Not "[Errno 2] No such file...: 'x'".
    else:
        text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def report_error(prog: str, error: BaseException, unexpected: bool = False) -> None:
    """Prints ``PROG: error: MESSAGE`` (and ``PROG: hint: FIX`` when known) on stderr."""
    message = one_line(error)
    if unexpected:
        message = f"{type(error).__name__}: {message} (run with --debug for the traceback)"
    print(f"{prog}: error: {message}", file=sys.stderr)
    hint = getattr(error, "hint", None)
    if hint:
        print(f"{prog}: hint: {hint}", file=sys.stderr)


def run_command(
    prog: str,
    command: Callable[[], int | None],
    debug: bool = False,
    user_errors: tuple[type[BaseException], ...] = USER_ERRORS,
    interrupted: str = "interrupted",
) -> int:
    """Runs ``command()`` and turns whatever escapes it into an exit status.

    Without ``debug``, TensorFlow's start-up notices are hidden (`start_tensorflow`) and an
    exception prints one line (`report_error`); with it, the traceback comes first.

    Args:
        prog: the name that starts every message (``"hwsr generate"``, ``"hwsr-train"``).
        command: the command; returns its exit status (None means 0).
        debug: show tracebacks and everything TensorFlow prints.
        user_errors: exception types reported with status 2 and no traceback hint.
        interrupted: what to say after Ctrl-C.

    Returns:
        The exit status.
    """
    try:
        start_tensorflow(debug)
        return int(command() or 0)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return INTERRUPTED
    except user_errors as e:
        if debug:
            traceback.print_exc()
        report_error(prog, e)
        return USER_ERROR
    except Exception as e:  # Anything else is unexpected: one line, and the --debug hint.
        if debug:
            traceback.print_exc()
        report_error(prog, e, unexpected=not debug)
        return UNEXPECTED_ERROR


def start_tensorflow(debug: bool = False) -> None:
    """Imports TensorFlow, without its start-up noise unless ``debug``.

    ``TF_CPP_MIN_LOG_LEVEL`` (default 3 here, 2 with ``debug``) silences TensorFlow's C++
    log, but not what its native libraries write to stderr while they load, before logging
    is set up ("All log messages before absl::InitializeLog() ...", the oneDNN notice).
    Those go to a temporary file, shown only if the import fails.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if debug else "3")
    if "tensorflow" in sys.modules:
        return
    with contextlib.nullcontext() if debug else _native_stderr_hidden():
        import tensorflow  # noqa: F401


@contextlib.contextmanager
def _native_stderr_hidden() -> Iterator[None]:
    """Points file descriptor 2 at a temporary file; shows what it got if the block fails."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # No stderr descriptor (a detached process): nothing to hide.
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                sink.seek(0)
                sys.stderr.write(sink.read().decode("utf-8", errors="replace"))


def stderr_progress(quiet: bool = False) -> Callable[[str], None] | None:
    """A progress printer to stderr; None (silent) with ``quiet`` or under CI (``$CI`` set)."""
    if quiet or os.environ.get("CI"):
        return None

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    return say
