"""Mailbox: the parent's buffer of messages from the child process, and waiting for replies.

Plain and thread-safe (no process, no pipe): ``EngineProcess``'s reader thread ``put``s every
message it receives; ``poll`` hands them out in order and ``wait_reply`` takes out one request's
Reply, leaving everything else buffered. When several Progress events (any event class marked
``mergeable``) are buffered unread, only the newest is kept. Replies to requests given up on
(``wait_reply`` timed out) are dropped when they arrive.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from engine.errors import EngineError
from engine.process.protocol import Reply
from engine.training.events import Event, Failed

Message = Event | Reply


class Mailbox:
    """Messages from the child, oldest first, and whether the child can send more."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._buffer: deque[Message] = deque()
        self._abandoned: set[int] = set()
        self._eof = False
        self._closing = False

    @property
    def closing(self) -> bool:
        """Whether the parent asked the child to exit (its end of the pipe is then expected)."""
        with self._cond:
            return self._closing

    def begin_closing(self) -> None:
        """The parent is closing: the coming end of the pipe is not a failure."""
        with self._cond:
            self._closing = True

    def put(self, message: Any) -> None:
        """Buffer one message from the child and wake whoever waits."""
        with self._cond:
            self._enqueue(message)
            self._cond.notify_all()

    def _enqueue(self, message: Any) -> None:
        if isinstance(message, Reply) and message.request_id in self._abandoned:
            self._abandoned.discard(message.request_id)
            return
        if getattr(type(message), "mergeable", False):
            for position in range(len(self._buffer) - 1, -1, -1):
                queued = self._buffer[position]
                if isinstance(queued, Reply):
                    continue
                if type(queued) is type(message):
                    del self._buffer[position]
                break
        self._buffer.append(message)

    def end(self, failure: Failed | None = None) -> None:
        """No more messages will come; ``failure`` (when given) is the last one."""
        with self._cond:
            self._eof = True
            if failure is not None:
                self._buffer.append(failure)
            self._cond.notify_all()

    def wait_reply(self, request_id: int, op: str, timeout: float | None) -> dict[str, Any]:
        """The payload of request ``request_id``'s Reply, waiting up to ``timeout`` seconds.

        Raises EngineError with the child's one-line message when the op failed, when no reply
        comes in time (the late reply is then dropped), or when the child is gone.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                for position, message in enumerate(self._buffer):
                    if isinstance(message, Reply) and message.request_id == request_id:
                        del self._buffer[position]
                        if not message.ok:
                            raise EngineError(message.error or f"{op} failed")
                        return message.payload or {}
                if self._eof:
                    raise EngineError(
                        f"the engine process stopped before answering {op}; start it again"
                    )
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._abandoned.add(request_id)
                    raise EngineError(
                        f"the engine did not answer {op} within {timeout:g} s; "
                        "it may be busy or stuck"
                    )
                self._cond.wait(remaining)

    def poll(self, timeout: float | None = 0.0) -> Message | None:
        """The next event or reply, or None if none arrives within timeout (None: wait)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._buffer:
                if self._eof:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._buffer.popleft()

    def drain(self) -> list[Message]:
        """Every message buffered right now, oldest first."""
        with self._cond:
            messages = list(self._buffer)
            self._buffer.clear()
        return messages
