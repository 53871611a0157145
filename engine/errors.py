"""User-facing errors: each one is a single line naming the problem and the fix (exit code 2);
Interrupted: a signal that ends a command (exit code 130 or 143)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any


class EngineError(Exception):
    """A problem the user can fix; ``str(error)`` is the one-line message shown to them."""

    exit_code = 2


class DataError(EngineError):
    """A dataset file is missing, truncated or corrupt."""


class SpecError(EngineError):
    """A model name or spec string cannot be built."""


class CheckpointError(EngineError):
    """A checkpoint or weights file cannot be read or does not fit the model."""


class ModelSourceError(EngineError):
    """A user's model ("path/model.py:Name" or "package.module:Name") cannot be imported,
    built or run on the input. ``summary`` is the one line; ``details`` (maybe empty) is the
    user's own traceback, trimmed to their files; ``str(error)`` is the summary, then details."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary, details)
        self.summary = summary
        self.details = details

    def __str__(self) -> str:
        return f"{self.summary}\n{self.details}" if self.details else self.summary


class DeviceError(EngineError):
    """The requested device (e.g. CUDA) is not available."""


class ConfigError(EngineError):
    """A training option or recipe is invalid."""


class TrainingDiverged(EngineError):
    """The loss became NaN or infinite; ``epoch`` and ``step`` (from 1; 0: not known) say
    where, for the Failed event."""

    epoch: int = 0
    step: int = 0


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM: the process ends with exit code 128 + the signal's number
    (130, 143) and the one line ``str(error)`` ("interrupted", "terminated")."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__("terminated" if signum == signal.SIGTERM else "interrupted")
        self.signum = int(signum)
        self.exit_code = 128 + int(signum)


_pending: list[int] = []  # the first signal that came while signals_interrupt was in force
_RECHECK_S = 0.05  # a signal that came during an import is raised this long after it


def _importing(frame: Any) -> bool:
    """Whether the interrupted code is inside an import: an exception raised there can leave
    a module half made (numpy without its functions), so the signal waits for it to end."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _raise_interrupted(signum: int, frame: Any) -> None:
    """The handler: Interrupted for the first signal; during an import, the same signal sent
    again shortly (threading.Timer) until the import is over."""
    if not _pending:
        _pending.append(signum)
    elif _pending[-1] == -1:  # already raised: the process is on its way out
        return
    if _importing(frame):
        timer = threading.Timer(_RECHECK_S, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    raise_if_signalled()


def raise_if_signalled() -> None:
    """Raise Interrupted for the signal that came within signals_interrupt, if one did and it
    has not been raised yet (a signal during an import waits for it to end; see _importing)."""
    if _pending and _pending[-1] != -1:
        _pending.append(-1)  # raised: the handler ignores the same signal sent again
        raise Interrupted(_pending[0])


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within it SIGINT and SIGTERM raise Interrupted in the main thread (elsewhere: no-op);
    the previous handlers come back after.

    Entered on the first line of each command line's ``main``, so that a signal during
    start-up (imports, building the model) ends with one line, not a traceback."""

    def quiet_hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, Interrupted):
            previous_hook(unraisable)
        elif _pending and _pending[-1] == -1:  # Python dropped it (a __del__, a callback):
            _pending.pop()  # the next raise_if_signalled raises it again

    _pending.clear()
    previous: dict[int, Any] = {}
    previous_hook, sys.unraisablehook = sys.unraisablehook, quiet_hook
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _raise_interrupted)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook


def exit_code_of(exc: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (a plain KeyboardInterrupt is Ctrl-C)."""
    return getattr(exc, "exit_code", 130)
