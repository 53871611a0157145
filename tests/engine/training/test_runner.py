"""TrainingRun: training in a thread, read with for and async for, steered from outside."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started
from engine.training.runner import TrainingRun, start_training


@pytest.fixture
def small_config(tiny_config):
    """Few-step runs of two epochs (``tiny_config`` with ``epochs=2`` unless overridden)."""
    return lambda **overrides: tiny_config(**{"epochs": 2, **overrides})


def test_plain_for_reads_every_event_to_the_end(tmp_path, small_config):
    run = start_training(small_config())
    events = list(run)
    assert isinstance(events[0], Started)
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2]
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert run.result is events[-1]
    assert run.join(10) and not run.running
    assert list(run) == []  # a run is read once


async def test_async_for_reads_every_event_to_the_end(tmp_path, small_config):
    run = start_training(small_config())
    events = [event async for event in run]
    assert isinstance(events[0], Started)
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert len([e for e in events if isinstance(e, EpochEnd)]) == 2


async def test_async_reading_leaves_the_event_loop_free(tmp_path, small_config):
    ticks = 0
    stop = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    run = start_training(small_config(epochs=3, batch_size=16))
    async for _ in run:
        pass
    stop.set()
    await task
    assert ticks > 3


def test_pause_resume_stop(tmp_path, small_config):
    run = TrainingRun(small_config(epochs=500, batch_size=16))
    run.pause()
    assert run.paused
    run.start()
    seen = []
    for event in run:
        seen.append(event)
        if isinstance(event, Paused) and not any(isinstance(e, Resumed) for e in seen):
            time.sleep(0.1)
            run.resume()
        elif isinstance(event, (Resumed, Progress)) and len(seen) > 3 and not run.control.stopped:
            run.stop()
            stopped_at = time.monotonic()
    assert isinstance(seen[-1], Finished) and seen[-1].reason == "stopped"
    assert time.monotonic() - stopped_at < 5
    assert run.join(10)
    kinds = [type(e).__name__ for e in seen]
    assert kinds.index("Paused") < kinds.index("Resumed")


def test_failure_arrives_as_a_failed_event(tmp_path, small_config):
    run = start_training(small_config(model="c4-nonsense"))
    events = list(run)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "bad model spec" in events[0].message


def test_get_with_timeout(tmp_path, small_config):
    run = TrainingRun(small_config())
    assert run.get(timeout=0.01) is None  # not started: nothing comes
    run.start()
    first = run.get(timeout=60)
    assert isinstance(first, Started)
    run.stop()
    assert run.join(30)
    rest = list(run)
    assert isinstance(rest[-1], Finished)
