"""The bridge between the app and the engine child (``engine.process.remote.EngineProcess``).

The UI process never imports torch: a spawned child owns the model and the trainer, and this
module only moves small messages. ``Link`` wraps the process handle and keeps, on the UI
thread only, what each outstanding request is for (its *purpose*, e.g. "kernels"), so that

- at most one request per purpose is in flight; asking again while one is outstanding keeps
  only the newest ask, sent as soon as the answer arrives (``want``);
- the app can refresh the inspector during training without piling up requests (``busy``).

``Link.pump`` is the body of the app's thread worker: it polls the process and hands each
event or reply to ``post`` wrapped in a Textual message (``EngineEvent``, ``EngineProgress``,
``EngineReply``, ``EngineLost``); it never touches widgets. Tabs do not use ``Link`` directly:
they ask through ``tui.engine_service.EngineService``. Progress messages merge: an unread
one is replaced by a newer one (``Message.can_replace``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from textual.message import Message

from engine.process.protocol import Reply
from engine.training.events import Event, Progress

POLL_S = 0.05  # how long one poll waits; also how quickly the pump notices it should stop
ENGINE_NICENESS = 5  # the engine child runs this much nicer than the interface


def engine_threads() -> int:
    """Torch threads for the engine child: every core but one, which stays with the interface.

    On 2 cores that is 1 thread, which keeps key presses answered within ~50 ms while training
    runs flat out (2 threads train ~1.5x faster there but double the latency).
    CNN_TUI_ENGINE_THREADS overrides it."""
    given = os.environ.get("CNN_TUI_ENGINE_THREADS", "")
    return int(given) if given.isdigit() and int(given) > 0 else max(1, (os.cpu_count() or 2) - 1)


class EngineHandle(Protocol):
    """What the app needs of ``engine.process.remote.EngineProcess`` (tests use a fake)."""

    def send(self, op: str, **kwargs: Any) -> int: ...
    def train(self, config: Any, resume: str | None = None) -> int: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...
    def poll(self, timeout: float | None = None) -> Any: ...
    def close(self) -> None: ...


class EngineEvent(Message, bubble=False):
    """A training event from the child (Started, EpochEnd, Finished, Failed, ...).

    The link's messages do not bubble: the main screen hands them on to the tab they are for."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class EngineProgress(EngineEvent, bubble=False):
    """A Progress event; an unread one is dropped when a newer one is queued behind it."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineProgress)


class EngineReply(Message, bubble=False):
    """The answer to one request; ``Link.resolve`` tells what it was for."""

    def __init__(self, reply: Reply) -> None:
        super().__init__()
        self.reply = reply


class EngineLost(Message, bubble=False):
    """The child process died or could not start; ``error`` is one line for the user."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def wrap(item: Event | Reply) -> Message:
    """The Textual message that carries one item from the child."""
    if isinstance(item, Reply):
        return EngineReply(item)
    if isinstance(item, Progress):
        return EngineProgress(item)
    return EngineEvent(item)


def default_factory(data_dir: str | None, log_file: str | None) -> EngineHandle:
    """Start the real child process (imported lazily: engine.process.remote is torch-free)."""
    from engine.process.remote import EngineProcess

    return EngineProcess.start(data_dir=data_dir, threads=engine_threads(), log_file=log_file)


@dataclass
class Link:
    """The engine handle plus the bookkeeping of outstanding requests (UI thread only)."""

    factory: Callable[[str | None, str | None], EngineHandle] = default_factory
    proc: EngineHandle | None = None
    pending: dict[int, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    wanted: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    closed: bool = False
    lost: bool = False  # a send failed: the child is gone
    on_lost: Callable[[str], Any] | None = None  # told once, with one line for the user
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, data_dir: str | None = None, log_file: str | None = None) -> None:
        """Start (or restart) the child; outstanding requests of an old one are forgotten."""
        if self.proc is not None and not self.closed:
            self.proc.close()
        self.pending.clear()
        self.wanted.clear()
        self.closed = self.lost = False
        self._stop = threading.Event()
        self.proc = self.factory(data_dir, log_file)
        lower_priority(getattr(self.proc, "pid", None))

    @property
    def alive(self) -> bool:
        """Whether requests can reach a running child."""
        return (
            self.proc is not None
            and not self.closed
            and not self.lost
            and bool(getattr(self.proc, "alive", True))
        )

    # ------------------------------------------------------------------ requests

    def busy(self, purpose: str) -> bool:
        return any(p == purpose for p, _, _ in self.pending.values())

    def request(self, purpose: str, op: str, **kwargs: Any) -> int | None:
        """Send ``op`` now, remembering its purpose; None when there is no live process."""
        rid = self._call(lambda proc: proc.send(op, **kwargs))
        if rid is not None:
            self.pending[rid] = (purpose, op, kwargs)
        return rid

    def _call(self, send: Callable[[EngineHandle], Any]) -> Any:
        """Run ``send`` on the process; a broken pipe marks the link lost (reported once)."""
        if self.proc is None or self.closed or self.lost:
            return None
        try:
            return send(self.proc)
        except Exception as exc:  # the child is gone: say so once, keep the app running
            self.lost = True
            if self.on_lost is not None:
                self.on_lost(_one_line(exc))
            return None

    def want(self, purpose: str, op: str, **kwargs: Any) -> None:
        """Send now if nothing for ``purpose`` is outstanding, else send when it is answered
        (only the newest of several asks in the meantime)."""
        if self.busy(purpose):
            self.wanted[purpose] = (op, kwargs)
        else:
            self.wanted.pop(purpose, None)
            self.request(purpose, op, **kwargs)

    def resolve(self, reply: Reply) -> tuple[str | None, dict[str, Any]]:
        """The purpose and request kwargs of ``reply``; sends the next wanted ask if any."""
        purpose, _, kwargs = self.pending.pop(reply.request_id, (None, reply.op, {}))
        if purpose is not None and purpose in self.wanted and not self.busy(purpose):
            op, wanted_kwargs = self.wanted.pop(purpose)
            self.request(purpose, op, **wanted_kwargs)
        return purpose, kwargs

    # ------------------------------------------------------------------- control

    def train(self, config: Any, resume: str | None = None) -> int | None:
        rid = self._call(lambda proc: proc.train(config, resume))
        if rid is not None:
            self.pending[rid] = ("train", "train", {})
        return rid

    def pause(self) -> None:
        self._call(lambda proc: proc.pause())

    def resume(self) -> None:
        self._call(lambda proc: proc.resume())

    def stop(self) -> None:
        self._call(lambda proc: proc.stop())

    def close(self) -> None:
        """Stop the pump and the child (which stops any training cleanly and saves)."""
        self._stop.set()
        if self.proc is not None and not self.closed:
            self.closed = True
            self.proc.close()

    # ---------------------------------------------------------------------- pump

    def pump(self, post: Callable[[Message], Any], cancelled: Callable[[], bool]) -> None:
        """Poll the child until closed or cancelled, posting one message per item.

        Runs in a thread worker: it only calls ``post`` (``post_message``, thread-safe)."""
        proc, stop = self.proc, self._stop
        if proc is None:
            return
        while not (stop.is_set() or cancelled()):
            started = time.monotonic()
            try:
                item = proc.poll(POLL_S)
            except Exception as exc:  # the handle broke: the child is gone
                if not stop.is_set():
                    post(EngineLost(_one_line(exc)))
                return
            if item is not None:
                post(wrap(item))
            else:  # after the child's end poll answers None at once: do not spin
                stop.wait(max(0.0, POLL_S - (time.monotonic() - started)))


def lower_priority(pid: int | None, step: int = ENGINE_NICENESS) -> None:
    """Make the engine child ``step`` nicer than this process, so that when both want a core
    the interface wins (keys answer at once) and training takes the rest."""
    if not pid or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):  # not permitted: the child keeps our priority
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + step))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"the engine process stopped: {text}"
