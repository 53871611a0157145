"""The child process: a Workbench plus training, serving requests between training steps.

``engine.process.remote.EngineProcess`` spawns this with the spawn context and talks to it over one
duplex ``multiprocessing`` connection (see ``engine.process.protocol`` for the messages). Idle, the
child answers inspection requests at once; while training it answers them from the trainer's
``between_steps`` callback with the live model and forwards every training event. It exits on
``shutdown``, when the connection reaches EOF (the parent closed it or died) or when its
parent process is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np
import torch

from engine.errors import EngineError
from engine.process.protocol import (
    NO_REPLY_OPS,
    OPS,
    PAUSE,
    RESUME,
    SHUTDOWN,
    STOP,
    TRAIN,
    Reply,
    Request,
    error_text,
    one_line,
)
from engine.process.workbench import Workbench
from engine.training.config import TrainConfig
from engine.training.events import Event, Failed

IDLE_POLL_S = 0.5  # how often an idle child checks that its parent is alive
PAUSED_POLL_S = 0.05  # how long between_steps waits for a request while paused


class ParentGone(Exception):
    """The connection to the parent is closed: stop what we are doing and exit."""


def _plain(value: Any) -> Any:
    """Event field values without tensors or numpy scalars, so the parent needs no torch."""
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.detach().cpu().numpy()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def plain_event(event: Event) -> Event:
    if not is_dataclass(event):
        return event
    changes = {}
    for f in fields(event):
        value = getattr(event, f.name)
        cleaned = _plain(value)
        if cleaned is not value:
            changes[f.name] = cleaned
    return replace(event, **changes) if changes else event


class Worker:
    """The child's state: its connection, its Workbench and the current training control."""

    def __init__(
        self,
        conn: Any,
        data_dir: str | None = None,
        parent_pid: int | None = None,
        verbose: bool = True,
        threads: int = 0,
    ) -> None:
        self.conn = conn
        self.threads = threads
        self.bench = Workbench(data_dir)
        self.parent_pid = parent_pid
        self.verbose = verbose
        self.bench.verbose = verbose
        self.control: Any = None
        self.shutting_down = False
        self.parent_gone = False
        self._last_parent_check = time.monotonic()

    # ---------------------------------------------------------------- transport

    def send(self, message: Any) -> None:
        try:
            self.conn.send(message)
        except (BrokenPipeError, EOFError, ConnectionError, OSError) as exc:
            raise ParentGone() from exc

    def receive(self, timeout: float) -> Request | None:
        """The next request, or None when none arrives within timeout; ParentGone on EOF."""
        try:
            if not self.conn.poll(timeout):
                self._check_parent()
                return None
            return self.conn.recv()
        except (EOFError, ConnectionError, OSError) as exc:
            raise ParentGone() from exc

    def _check_parent(self, every: float = 1.0) -> None:
        now = time.monotonic()
        if now - self._last_parent_check < every:
            return
        self._last_parent_check = now
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            raise ParentGone()

    # ------------------------------------------------------------------- serving

    def serve_one(self, request: Any) -> None:
        """Answer one message (idle or between steps)."""
        if not isinstance(request, Request):
            return
        op = request.op
        if op == SHUTDOWN:
            self.shutting_down = True
            if self.control is not None:
                self.control.stop()
        elif op in (PAUSE, RESUME, STOP):
            if self.control is not None:
                {PAUSE: self.control.pause, RESUME: self.control.resume, STOP: self.control.stop}[
                    op
                ]()
        elif op == TRAIN:
            if self.control is not None:
                self.send(Reply.failure(request, "training is already running; stop it first"))
            else:
                self.train(request)
        elif op in OPS:
            self.send(self.bench.handle(request))
        elif op not in NO_REPLY_OPS:
            self.send(Reply.failure(request, f"unknown op {op!r}"))

    def between_steps(self, state: Any) -> None:
        """The trainer's callback: serve every pending request with the live model."""
        self.bench.set_live(state)
        try:
            paused = bool(getattr(self.control, "paused", False))
            request = self.receive(PAUSED_POLL_S if paused else 0)
            while request is not None:
                self.serve_one(request)
                request = self.receive(0)
        except ParentGone:
            self.parent_gone = self.shutting_down = True
            self.control.stop()

    # ------------------------------------------------------------------ training

    def train(self, request: Request) -> None:
        """Run one training session to its end, forwarding events and serving requests."""
        from engine.training.control import Control
        from engine.training.loop import train_events

        kwargs = request.kwargs or {}
        try:
            raw = kwargs.get("config") or {}
            config = raw if isinstance(raw, TrainConfig) else TrainConfig.from_dict(raw)
            if not config.threads and self.threads:
                # 0 would let the trainer measure and take every core; this process was given
                # a thread budget (EngineProcess.start(threads=...)), so keep to it
                config = replace(config, threads=self.threads)
            if not config.data_dir and self.bench.data_dir:
                config = replace(config, data_dir=str(self.bench.data_dir))
            config = config.validate()
        except (EngineError, TypeError, ValueError) as exc:
            self.send(Reply.failure(request, f"bad training config: {exc}"))
            return
        self.control = Control()
        self.control.between_steps = self.between_steps
        self.send(Reply.success(request, {"config": config.to_dict()}))
        try:
            events = train_events(
                config, self.control, kwargs.get("resume"), overwrite=bool(kwargs.get("overwrite"))
            )
            for event in events:
                if self.parent_gone:
                    continue  # let the stopped run finish (and save) without a listener
                try:
                    self.send(plain_event(event))
                except ParentGone:
                    self.parent_gone = self.shutting_down = True
                    self.control.stop()
        except EngineError as exc:
            self._send_failed(error_text(exc))  # summary line, then a user's traceback
        except Exception as exc:
            if self.verbose:
                traceback.print_exc()
            self._send_failed(one_line(f"training crashed: {type(exc).__name__}: {exc}"))
        finally:
            self.control = None
            self.bench.end_live()

    def _send_failed(self, message: str) -> None:
        if self.parent_gone:
            return
        try:
            self.send(Failed(message=message))
        except ParentGone:
            self.parent_gone = self.shutting_down = True

    # ---------------------------------------------------------------------- loop

    def run(self) -> None:
        while not self.shutting_down:
            try:
                request = self.receive(IDLE_POLL_S)
                if request is not None:
                    self.serve_one(request)
            except ParentGone:
                self.parent_gone = True
                return


def _redirect_output(log_file: str | None) -> None:
    """Send the child's stdout and stderr (fd 1 and 2) to a file, e.g. under a TUI."""
    if not log_file:
        return
    try:
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:  # a read-only run folder: never write over the UI's terminal instead
        fd = os.open(os.devnull, os.O_WRONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _install_signal_handlers(worker: Worker) -> None:
    """Ctrl+C in the terminal reaches the whole process group: the parent decides, so the
    child ignores SIGINT. SIGTERM (multiprocessing terminates daemon children when the parent
    exits without close()) stops a run cleanly, so its checkpoint is saved, then exits."""

    def on_term(signum: int, frame: Any) -> None:
        worker.shutting_down = True
        if worker.control is not None:
            worker.control.stop()

    with contextlib.suppress(ValueError, OSError):  # not in the main thread: leave them
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, on_term)


def main(
    conn: Any,
    data_dir: str | None = None,
    threads: int = 1,
    parent_pid: int | None = None,
    log_file: str | None = None,
) -> None:
    """The child's entry point (called through ``engine.process.remote._child_main``)."""
    _redirect_output(log_file)
    if threads and threads > 0:
        torch.set_num_threads(int(threads))
    worker = Worker(conn, data_dir, parent_pid, threads=max(int(threads or 0), 0))
    _install_signal_handlers(worker)
    try:
        worker.run()
    finally:
        with contextlib.suppress(OSError):
            conn.close()
