"""Shared helpers for the cnn-tui pilot tests: an app over a fake engine, and waiting on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fake_engine import FakeEngine

from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.widgets.header import StatusHeader, status_text

SIZE = (100, 32)


def make_app(fake: FakeEngine | None = None, **options: Any) -> tuple[CnnTuiApp, FakeEngine]:
    """The app over ``fake`` (a fresh FakeEngine by default), training tiny for two epochs."""
    fake = fake or FakeEngine()
    config = options.pop("config", make_config("fast", model="tiny", epochs=2))
    app = CnnTuiApp(
        AppOptions(config=config, seed=7, color_mode="truecolor", **options),
        engine_factory=lambda data_dir, log_file: fake,
    )
    return app, fake


async def wait_for(
    pilot: Any, condition: Callable[[], object], what: str = "condition", timeout: float = 10.0
) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def ready(pilot: Any) -> None:
    """Wait until the model has loaded and the first inspector requests are answered."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: app.main.train.state == "idle" and app.main.train.layer_name is not None,
        what="the model to load",
    )
    await wait_for(pilot, lambda: not app.link.pending, what="the first inspector requests")
    await pilot.pause()  # the answers reach the Train tab after the screen resolved them


def ops(fake: FakeEngine) -> list[str]:
    """The ops sent to ``fake``, in order."""
    return [op for op, _ in fake.sent]


def header(app: CnnTuiApp) -> str:
    """The status header's text."""
    return status_text(app.main.query_one(StatusHeader).status).plain
