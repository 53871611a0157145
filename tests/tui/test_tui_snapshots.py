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


def test_draw_canvas_80x24(snap_compare, fake_engine_class) -> None:
    """Issue 14: the drawing canvas (p) with a stroke drawn by keyboard, its prediction."""

    async def draw(pilot) -> None:
        await settled(pilot)
        await pilot.press("p")
        await until(pilot, lambda: pilot.app.focused is not None
                    and pilot.app.focused.id == "draw-canvas")  # fmt: skip
        await pilot.press("enter", *["up"] * 5, *["right"] * 4, *["down"] * 9, "enter")
        await until(pilot, lambda: not pilot.app.link.pending)
        await pilot.pause(0.2)
        pilot.app.clear_notifications()

    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(80, 24), run_before=draw)


def test_attribution_overlays_100x30(snap_compare, eval_engine_class) -> None:
    """Issue 14: the digit view's overlays, true and predicted class with colour bars."""

    async def overlays(pilot) -> None:
        await settled(pilot)
        await pilot.press("3")
        pane = pilot.app.main.query_one("EvaluatePane")
        await until(pilot, lambda: pane.evaluation is not None)
        pane.explain(0, 7)  # digit 0: a 7 the fake engine predicts as 8
        await until(pilot, lambda: len(pane.digit) == 3 and not pilot.app.link.pending)
        await pilot.pause(0.2)
        pilot.app.clear_notifications()

    app = snapshot_app(eval_engine_class)
    assert snap_compare(app, terminal_size=(100, 30), run_before=overlays)


async def _layer_story(pilot, presses: int, name: str) -> None:
    """Issue 14: select ``name`` (``presses`` j's) and wait for its story."""
    await settled(pilot)
    await pilot.press(*["j"] * presses)
    await until(pilot, lambda: pilot.app.main.train.layer_name == name)
    inspector = pilot.app.main.train.inspector
    await until(pilot, lambda: (inspector.state.story or {}).get("layer") == name)
    await settled(pilot)


def test_layer_story_relu_80x24(snap_compare, fake_engine_class) -> None:
    async def relu(pilot) -> None:
        await _layer_story(pilot, 1, "relu1")

    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(80, 24), run_before=relu)


def test_layer_story_pooling_100x30(snap_compare, fake_engine_class) -> None:
    async def pool(pilot) -> None:
        await _layer_story(pilot, 2, "pool1")

    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(100, 30), run_before=pool)


def test_layer_story_flatten_100x30(snap_compare, fake_engine_class) -> None:
    async def flatten(pilot) -> None:
        await _layer_story(pilot, 6, "flatten")

    assert snap_compare(
        snapshot_app(fake_engine_class), terminal_size=(100, 30), run_before=flatten
    )


def test_dense_templates_120x40(snap_compare, fake_engine_class) -> None:
    from fake_layer_stories import mlp_engine

    async def templates(pilot) -> None:
        await _layer_story(pilot, 1, "fc1")

    engine = mlp_engine(fake_engine_class)
    app = snapshot_app(engine, engine(steps_per_epoch=6))
    assert snap_compare(app, terminal_size=(120, 40), run_before=templates)


def test_cell_explainer_80x24(snap_compare, fake_engine_class) -> None:
    async def explain(pilot) -> None:
        await _layer_story(pilot, 3, "conv2")
        await pilot.press("b")
        panel = pilot.app.main.train.inspector.query_one("#inspector-explain")
        await until(pilot, lambda: "layer output" in panel.plain)
        await pilot.press("right_curly_bracket")
        await settled(pilot)

    assert snap_compare(snapshot_app(fake_engine_class), terminal_size=(80, 24), run_before=explain)


def test_actmax_class_grid_100x30(snap_compare, eval_engine_class) -> None:
    """The Evaluate tab's act-max grid: ten classes titled with p(K), one colour bar."""

    async def actmax(pilot) -> None:
        await settled(pilot)
        await pilot.press("3")
        pane = pilot.app.main.query_one("EvaluatePane")
        await until(pilot, lambda: pane.evaluation is not None)
        await pilot.press("a")
        await until(pilot, lambda: pane.state.actmax.done and not pilot.app.link.pending)
        await pilot.pause()

    assert snap_compare(snapshot_app(eval_engine_class), terminal_size=(100, 30), run_before=actmax)
