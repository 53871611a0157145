"""Snapshot tests of the main screens (pytest-textual-snapshot), deterministic: a fake engine
with fixed data, a fixed colour mode and seed, no live timings on screen.

After an intended change of the look, review and accept with
``python -m pytest tests/tui/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp


def snapshot_app(engine_class: type, fake: Any = None) -> CnnTuiApp:
    fake = fake or engine_class(steps_per_epoch=6)
    config = make_config("fast", model="tiny", epochs=2, device="cpu")
    return CnnTuiApp(
        AppOptions(config=config, seed=3, color_mode="truecolor"),
        engine_factory=lambda data_dir, log_file: fake,
    )


async def until(pilot, condition, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the app did not settle"
        await pilot.pause(0.02)


async def settled(pilot) -> None:
    """The model is loaded and every inspector request answered; no toasts on screen."""
    app = pilot.app
    await until(
        pilot,
        lambda: (
            app.main.train.state in ("idle", "finished")
            and app.main.train.layer_name is not None
            and not app.link.pending
        ),
    )
    await pilot.pause(0.6)  # the training pane redraws its curves twice a second
    await until(pilot, lambda: not app.main.train.training._dirty)  # (later under load)
    app.clear_notifications()
    await pilot.pause()


def test_main_screen_80x24(snap_compare, fake_engine_class) -> None:
    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(80, 24), run_before=settled)


def test_main_screen_after_training_120x40(snap_compare, fake_engine_class) -> None:
    async def train(pilot) -> None:
        await settled(pilot)
        await pilot.press("j", "j", "j", "l")
        await pilot.press("t")
        await until(pilot, lambda: pilot.app.main.train.state == "finished")
        await settled(pilot)

    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(120, 40), run_before=train)


def test_dense_layer_160x50(snap_compare, fake_engine_class) -> None:
    async def last_layer(pilot) -> None:
        await settled(pilot)
        await pilot.press(*["j"] * 7)
        await until(pilot, lambda: pilot.app.main.train.layer_name == "fc1")
        await settled(pilot)

    assert snap_compare(
        snapshot_app(fake_engine_class), terminal_size=(160, 50), run_before=last_layer
    )


def test_help_screen(snap_compare, fake_engine_class) -> None:
    async def help_screen(pilot) -> None:
        await settled(pilot)
        await pilot.press("question_mark")

    assert snap_compare(
        snapshot_app(fake_engine_class), terminal_size=(80, 24), run_before=help_screen
    )


def test_run_config_form(snap_compare, fake_engine_class) -> None:
    async def form(pilot) -> None:
        await settled(pilot)
        await pilot.press("c")
        await pilot.pause()

    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(80, 24), run_before=form)


def test_quit_question_while_training(snap_compare, fake_engine_class) -> None:
    async def quit_question(pilot) -> None:
        await settled(pilot)
        await pilot.press("t")
        await until(
            pilot,
            lambda: (
                pilot.app.main.train.state == "training"
                and pilot.app.main.query_one("#header").status.step == 3
            ),
        )
        await pilot.pause(0.6)
        # under load the pane's twice-a-second redraw can lag the last step: wait for it
        await until(pilot, lambda: not pilot.app.main.train.training._dirty)
        pilot.app.clear_notifications()
        await pilot.press("q")

    fake = fake_engine_class(steps_per_epoch=10, stall_after=3)
    assert snap_compare(
        snapshot_app(fake_engine_class, fake), terminal_size=(80, 24), run_before=quit_question
    )


def test_too_small_notice(snap_compare, fake_engine_class) -> None:
    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(70, 20), run_before=settled)
