"""The one way tabs and screens talk to the engine child: ``EngineService`` over ``tui.link.Link``.

Each tab gets the service explicitly (see ``tui.tabs``) and sends requests with a *purpose*:
"OWNER.kind" for a tab or screen other than Train & inspect ("evaluate.gallery",
"compare.runs"), a bare kind ("kernels", "load") for the Train tab. The main screen resolves
each reply and posts it, as an ``EngineAnswer``, to the widget or screen that owns the purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from engine.process.protocol import Reply
from tui.link import Link


class EngineAnswer(Message, bubble=False):
    """The engine's reply to one request, posted to the widget or screen that asked.

    ``purpose`` is the purpose the request was sent with, ``kwargs`` its keyword arguments
    (to tell a stale answer from the current one)."""

    def __init__(self, purpose: str, reply: Reply, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.purpose, self.reply, self.kwargs = purpose, reply, kwargs


class EngineService:
    """Requests and run control for the tabs; ``start`` (re)spawns the child.

    ``starter`` is the app's ``start_engine``: it returns None once the child is spawning, or
    one line for the user when it cannot start."""

    def __init__(self, link: Link, starter: Callable[[], str | None]) -> None:
        self.link = link
        self._starter = starter

    def start(self) -> str | None:
        """Start (or restart) the child; the error line when it cannot start, else None."""
        return self._starter()

    @property
    def running(self) -> bool:
        """Whether a child was started (it may still be loading PyTorch)."""
        return self.link.proc is not None

    @property
    def alive(self) -> bool:
        """Whether requests can reach a running child."""
        return self.link.alive

    def busy(self, purpose: str) -> bool:
        """Whether a request for ``purpose`` is in flight."""
        return self.link.busy(purpose)

    def want(self, purpose: str, op: str, **kwargs: Any) -> None:
        """Send ``op`` now, or once the request in flight for ``purpose`` is answered (only
        the newest of several asks meanwhile)."""
        self.link.want(purpose, op, **kwargs)

    def train(self, config: Any, resume: str | None = None) -> int | None:
        """Start training ``config`` (a TrainConfig), continuing the checkpoint ``resume``
        when given; None when there is no live child."""
        return self.link.train(config, resume)

    def pause(self) -> None:
        self.link.pause()

    def resume(self) -> None:
        self.link.resume()

    def stop(self) -> None:
        """Stop the run cleanly: it saves a checkpoint and ends with Finished."""
        self.link.stop()
