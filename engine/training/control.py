"""Control: steering for a training run (stop, pause, resume, a between-steps callback).

Torch-free: the training thread (engine.training.runner) and the child process
(engine.process.worker) hold one while ``engine.training.loop.train_events`` runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Control:
    """Steering for a run: stop, pause, resume, and an optional ``between_steps(state)`` callback
    called after every optimizer step and, about every 20 ms, while paused (with the run's
    TrainState)."""

    def __init__(self, between_steps: Callable[[Any], None] | None = None) -> None:
        self._stop = threading.Event()
        self._pause = threading.Event()
        self.between_steps = between_steps

    def stop(self) -> None:
        self._stop.set()

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()
