"""A training run in a background thread, read with a plain ``for`` or with ``async for``.

```python
run = start_training(make_config("fast", epochs=1))
for event in run:            # or: async for event in run
    print(event)
run.pause(); run.resume(); run.stop(); run.join()
```
The thread drives ``engine.training.loop.train_events`` and puts every event on a queue; iteration
ends after the terminal Finished or Failed event. A run can be iterated once.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from engine.training.config import TrainConfig
from engine.training.control import Control
from engine.training.events import TERMINAL_EVENTS, Event, Failed
from engine.training.loop import train_events

logger = logging.getLogger(__name__)
_POLL = 0.1  # seconds an async reader waits on the queue before checking again


class TrainingRun:
    """train_events(config, control, resume, overwrite=...) running in a daemon thread."""

    def __init__(
        self,
        config: TrainConfig,
        resume: str | Path | None = None,
        control: Control | None = None,
        overwrite: bool = False,
    ) -> None:
        self.config = config
        self.resume_from = resume
        self.overwrite = overwrite
        self.control = control or Control()
        self.result: Event | None = None  # the terminal event, once there is one
        self._queue: queue.Queue[Event] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="cnn-tui-training", daemon=True)
        self._done_reading = False

    def start(self) -> TrainingRun:
        self._thread.start()
        return self

    def _work(self) -> None:
        try:
            events = train_events(
                self.config, self.control, self.resume_from, overwrite=self.overwrite
            )
            for event in events:
                if isinstance(event, TERMINAL_EVENTS):
                    self.result = event
                self._queue.put(event)
        except BaseException as exc:  # train_events catches Exception; this is a last resort
            logger.exception("training thread crashed")
            event = Failed(f"internal error: {type(exc).__name__}: {exc}")
            self.result = event
            self._queue.put(event)

    # --- steering
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def paused(self) -> bool:
        return self.control.paused

    # --- reading
    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when none came within timeout (or the run is over)."""
        if self._done_reading:
            return None
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(event, TERMINAL_EVENTS):
            self._done_reading = True
        return event

    def __iter__(self) -> Iterator[Event]:
        while not self._done_reading:
            event = self.get(timeout=_POLL)
            if event is not None:
                yield event
            elif not self._thread.is_alive() and self._queue.empty():
                return

    async def _aiter(self) -> AsyncIterator[Event]:
        while not self._done_reading:
            event = await asyncio.to_thread(self.get, _POLL)
            if event is not None:
                yield event
            elif not self._thread.is_alive() and self._queue.empty():
                return

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._aiter()


def start_training(
    config: TrainConfig,
    resume: str | Path | None = None,
    control: Control | None = None,
    overwrite: bool = False,
) -> TrainingRun:
    """Start a TrainingRun in its thread and return it (``overwrite``: see train_events)."""
    return TrainingRun(config, resume, control, overwrite).start()
