"""EngineProcess: the parent-side handle on a child process that trains and inspects models.

This module imports neither torch nor textual, not even indirectly, so a UI process that only
uses it starts instantly and stays light. The child (``engine.process.worker``) is started with
the spawn context and talks over one duplex pipe: requests go down (``engine.process.protocol``),
replies and training events (``engine.training.events``) come up, carrying plain values and
numpy arrays.

A reader thread drains the pipe into a ``Mailbox`` (engine.process.mailbox) as soon as
messages arrive, so the child never blocks on a full pipe; ``poll`` hands them out in order,
``request`` waits for one reply and leaves everything else buffered. If the child dies
unexpectedly, ``poll`` returns one Failed event saying so.

Inside a running Textual app ``sys.stderr.fileno()`` is -1, and starting multiprocessing's
resource tracker then fails with "ValueError: bad value(s) in fds_to_keep". Call
:func:`prepare_for_spawn` before the app starts (``start`` also calls it, working around a
missing stderr descriptor when it can).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
from typing import Any

from engine.errors import EngineError
from engine.process.mailbox import Mailbox, Message
from engine.process.protocol import (
    NO_REPLY_OPS,
    PAUSE,
    RESUME,
    SHUTDOWN,
    STOP,
    TRAIN,
    Request,
    one_line,
)
from engine.training.config import TrainConfig
from engine.training.events import Failed


def _stderr_usable(stream: Any) -> bool:
    try:
        return stream is not None and stream.fileno() >= 0
    except Exception:
        return False


def prepare_for_spawn() -> None:
    """Start multiprocessing's resource tracker now, while stderr is a real file descriptor.

    Call it before a Textual app starts; later calls are cheap. If stderr has no usable
    descriptor (inside a running app), the tracker is started with the original stderr (or
    /dev/null) instead of failing.
    """
    from multiprocessing import resource_tracker

    current = sys.stderr
    swapped = None
    if not _stderr_usable(current):
        if _stderr_usable(sys.__stderr__):
            sys.stderr = sys.__stderr__
        else:
            swapped = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = current
        if swapped is not None:
            swapped.close()


def _child_main(
    conn: Any, data_dir: str | None, threads: int, parent_pid: int, log_file: str | None
) -> None:
    """Entry point of the spawned child: only here does torch get imported."""
    from engine.process.worker import main

    main(conn, data_dir=data_dir, threads=threads, parent_pid=parent_pid, log_file=log_file)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "exit code unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class EngineProcess:
    """A child process holding the model; see ARCHITECTURE.md for the ops and their payloads."""

    def __init__(self, process: Any, conn: Any) -> None:
        self._process = process
        self._conn = conn
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._mailbox = Mailbox()
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="engine-reader", daemon=True)
        self._reader.start()

    # ------------------------------------------------------------------ start

    @classmethod
    def start(
        cls,
        data_dir: str | os.PathLike | None = None,
        threads: int = 1,
        log_file: str | os.PathLike | None = None,
    ) -> EngineProcess:
        """Spawn the child and return at once (it imports torch in the background).

        ``threads``: torch intra-op threads in the child. ``log_file``: where the child's
        stdout/stderr go (by default they are inherited; a full-screen UI should pass a file).
        """
        with contextlib.suppress(Exception):  # the spawn below reports what really matters
            prepare_for_spawn()
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=_child_main,
            args=(
                child_conn,
                os.fspath(data_dir) if data_dir else None,
                int(threads),
                os.getpid(),
                os.fspath(log_file) if log_file else None,
            ),
            name="cnn-tui-engine",
            daemon=True,
        )
        try:
            process.start()
        except Exception as exc:
            parent_conn.close()
            raise EngineError(one_line(f"cannot start the engine process: {exc}")) from exc
        finally:
            child_conn.close()  # the child has its copy; ours would hide the child's EOF
        return cls(process, parent_conn)

    # ---------------------------------------------------------------- reading

    def _read_loop(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # a message that cannot be unpickled: report, go on
                message = Failed(message=one_line(f"unreadable message from the engine: {exc}"))
            self._mailbox.put(message)
        self._on_eof()

    def _on_eof(self) -> None:
        if self._mailbox.closing:
            self._mailbox.end()
            return
        self._process.join(2.0)
        if self._mailbox.closing:  # close() began meanwhile: the exit was asked for
            self._mailbox.end()
            return
        code = self._process.exitcode
        self._mailbox.end(
            Failed(
                message=(
                    f"the engine process stopped unexpectedly ({_describe_exit(code)}); "
                    "start it again"
                )
            )
        )

    # ---------------------------------------------------------------- sending

    def send(self, op: str, **kwargs: Any) -> int:
        """Send a request and return its id; its Reply arrives later through poll."""
        if self._closed or self._mailbox.closing:
            raise EngineError("the engine process is closed; start a new one")
        request_id = next(self._ids)
        try:
            with self._send_lock:
                self._conn.send(Request(request_id, op, kwargs))
        except (OSError, EOFError, ValueError) as exc:
            raise EngineError(
                f"the engine process is not running ({exc}); start it again"
            ) from None
        return request_id

    def request(self, op: str, timeout: float | None = 30.0, **kwargs: Any) -> dict[str, Any]:
        """Send a request and wait for its reply's payload; other messages stay buffered.

        Raises EngineError with the child's one-line message when the op fails, when no
        reply comes within ``timeout`` seconds, or when the child is gone.
        """
        if op in NO_REPLY_OPS:
            raise ValueError(f"{op!r} gets no reply; use send() or the named method")
        request_id = self.send(op, **kwargs)
        return self._mailbox.wait_reply(request_id, op, timeout)

    def train(self, config: TrainConfig, resume: str | os.PathLike | None = None) -> int:
        """Start training in the child; a Reply accepts (or refuses) it, then events follow."""
        data = config.to_dict() if isinstance(config, TrainConfig) else dict(config)
        return self.send(TRAIN, config=data, resume=os.fspath(resume) if resume else None)

    def pause(self) -> int:
        return self.send(PAUSE)

    def resume(self) -> int:
        return self.send(RESUME)

    def stop(self) -> int:
        return self.send(STOP)

    # ---------------------------------------------------------------- polling

    def poll(self, timeout: float | None = 0.0) -> Message | None:
        """The next event or reply, or None if none arrives within timeout (None: wait)."""
        return self._mailbox.poll(timeout)

    def drain(self) -> list[Message]:
        """Every message buffered right now, oldest first."""
        return self._mailbox.drain()

    # ------------------------------------------------------------------ state

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode

    # ---------------------------------------------------------------- closing

    def close(self, timeout: float = 10.0) -> None:
        """Ask the child to stop training cleanly and exit; terminate it if it does not."""
        if self._closed:
            return
        self._mailbox.begin_closing()
        if self._process.is_alive():
            try:
                with self._send_lock:
                    self._conn.send(Request(next(self._ids), SHUTDOWN, {}))
            except (OSError, EOFError, ValueError):
                pass
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(3.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(3.0)
        self._reader.join(3.0)
        self._conn.close()
        self._closed = True
        self._mailbox.end()

    def __enter__(self) -> EngineProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # best effort: never leave a child behind
        try:
            if not self._closed and self._process.is_alive():
                self._process.terminate()
        except Exception:
            pass
