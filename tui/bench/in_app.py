"""In-app part of ``python -m tui.bench``: training throughput and key-to-frame latencies."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.training.config import TrainConfig
from engine.training.events import Failed, Finished, Progress, Started
from tui.bench.measure import Rate, headless_rate, mean

# As many downs as ups and lefts as rights, so the cursor wanders near the top of the table:
# an unbalanced cycle drifts to the last row, where j changes nothing and the "latency" would
# be the wait for some unrelated later frame.
KEYS = ("j", "j", "l", "k", "k", "h", "j", "l", "k", "h")


async def in_app(
    config: TrainConfig, key_interval: float, seconds: float, rounds: int = 3
) -> dict[str, Any]:
    """Train in the real app: ``rounds`` windows of ``seconds`` watching (the inspector
    refreshing live), each followed by as long of the headless trainer with the same config,
    give the throughputs; then ``seconds`` of key presses give the latencies."""
    from textual import events

    from tui.app import AppOptions, CnnTuiApp

    Path(config.run_dir or ".").mkdir(parents=True, exist_ok=True)
    app = CnnTuiApp(
        AppOptions(
            config=config,
            color_mode="256",
            log_file=str(Path(config.run_dir or ".") / "engine.log"),
        )
    )
    frames: list[float] = []
    original_display = app._display

    def display(screen, renderable) -> None:
        original_display(screen, renderable)
        if renderable is not None:
            render = getattr(renderable, "render_segments", None)
            if render is not None:  # headless skips encoding for the terminal: do it here
                render(app.console)
            frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    rate = Rate(config.batch_size)
    started: list[Started] = []
    ended: list[Any] = []
    original_pump = app.link.pump

    def pump(post, cancelled) -> None:  # runs in the app's worker thread
        def observe(message) -> None:
            event = getattr(message, "event", None)
            if isinstance(event, Progress):
                rate.add(event)
            elif isinstance(event, Started):
                started.append(event)
            elif isinstance(event, (Finished, Failed)):
                ended.append(event)
            post(message)

        original_pump(observe, cancelled)

    app.link.pump = pump  # type: ignore[method-assign]
    latencies: list[float] = []
    handled: list[float] = []

    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main.train  # the Train tab: its actions and run state
        for name in ("action_layer", "action_sample"):
            original = getattr(main, name)

            def wrapped(step: int, original=original) -> None:
                original(step)
                handled.append(time.perf_counter())

            setattr(main, name, wrapped)

        await wait(pilot, lambda: main.state == "idle", 120)
        await pilot.press("t")
        await wait(pilot, lambda: len(rate.events) > 3 or ended, 120)
        # Throughput: windows of watching the app train alternate with windows of the
        # headless trainer (the app's run paused meanwhile), so that both see the same load.
        app_rates, headless_rates = [], []
        for _ in range(rounds):
            window_start = time.perf_counter()
            await asyncio.sleep(seconds)
            app_rates.append(rate.samples_per_sec(window_start, time.perf_counter(), warmup=1))
            await pilot.press("space")
            await wait(pilot, lambda: main.state == "paused", 60)
            same = replace(
                config,
                threads=started[0].config.get("threads") or 0,
                run_dir=str(Path(config.run_dir or ".") / "headless"),
            )
            headless_rates.append(await asyncio.to_thread(headless_rate, same, seconds))
            await pilot.press("space")
            await wait(pilot, lambda: main.state == "training", 60)
            await asyncio.sleep(1.0)
        watch_end = time.perf_counter()
        index = 0
        while time.perf_counter() - watch_end < seconds and not ended:
            key = KEYS[index % len(KEYS)]
            index += 1
            handled.clear()
            posted = time.perf_counter()
            event = events.Key(key, key)  # as the terminal driver delivers a key press
            event.set_sender(app)
            app._driver.send_message(event)
            await wait_for_frame(frames, handled)
            after = [t for t in frames if handled and t >= handled[0]]
            if after:
                latencies.append(after[0] - posted)
            await asyncio.sleep(max(0.0, key_interval - (time.perf_counter() - posted)))
        complete = not ended
        if complete:
            await pilot.press("t")  # stop the run (it saves); the app closes the child on exit
        await wait(pilot, lambda: main.state in ("stopped", "finished", "failed"), 120)
    if not complete or not started:
        raise RuntimeError(
            "the run ended before the measurement did; raise --train-subset"
            + (f" ({ended[0]})" if ended else "")
        )
    return {
        "app_samples_per_s": mean(app_rates),
        "headless_samples_per_s": mean(headless_rates),
        "app_samples_per_s_keys": rate.samples_per_sec(watch_end),
        "latencies": latencies,
        "threads": started[0].config.get("threads"),
        "frames": len(frames),
        "torch_in_ui": "torch" in sys.modules,
    }


async def wait(pilot, condition, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


async def wait_for_frame(frames: list[float], handled: list[float], timeout: float = 1.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if handled and frames and frames[-1] >= handled[0]:
            return
        await asyncio.sleep(0.002)
