"""The header tells the truth at 80x24, 100x30, 120x40 and 200x60: each state has its own word
and colour (idle/untrained, training, paused, stopped, finished, failed, diverged), a stopped
run shows where it stopped, the device is the engine's (never "auto"), a newly set-up model
shows nothing of the previous run, and nothing says "t: train" or samples/s when untrue."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Static

from tui.train.training_pane import TrainingPane
from tui.widgets.header import STATE_STYLES, StatusHeader, status_text

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
DIVERGED = "training diverged: the loss rose to 1e+12 at epoch 1, step 3 (lr 1); lower --lr"


def shown(app: Any) -> str:
    """The header as it reads on screen, at the terminal's width."""
    return app.main.query_one(StatusHeader).text()


def unclipped(app: Any) -> str:
    """The header with room for every part (what it would show on the widest screen)."""
    return status_text(app.main.query_one(StatusHeader).status, width=400).plain


def state_style(app: Any) -> str:
    """The style the header gives its state word."""
    header = app.main.query_one(StatusHeader)
    text = status_text(header.status, header.size.width)
    start = text.plain.index(f" {header.status.state}") + 1
    return next(str(s.style) for s in text.spans if s.start == start)


def pane_message(app: Any) -> str:
    """The training pane's message, "" when hidden."""
    label = app.main.query_one("#train-message", Static)
    return str(label.content) if label.display else ""


@pytest.mark.parametrize("size", SIZES)
async def test_new_model_shows_idle_untrained_on_the_engines_device(size, make_app, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        text = shown(app)
        assert " │ idle" in text and "untrained" in text and "cpu float32" in text
        assert "auto" not in unclipped(app) and "epoch" not in text
        assert state_style(app) == STATE_STYLES["idle"]
        assert "t: train" in pane_message(app)


@pytest.mark.parametrize("size", SIZES)
async def test_gpu_device_and_checkpoint_show_the_engines_device(
    size, tmp_path, fake_engine_class, make_app, ready
) -> None:
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"x")
    fake = fake_engine_class()
    fake.device = "cuda:0 (H200)"
    app, fake = make_app(fake, checkpoint=str(checkpoint))
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        text = shown(app)
        # The GPU's name where there is room; the device itself at every size.
        assert ("cuda:0 (H200) float32" if size[0] >= 100 else "cuda:0") in text
        assert "auto" not in unclipped(app)
        assert "untrained" not in unclipped(app)  # a checkpoint holds trained weights


@pytest.mark.parametrize("size", SIZES)
async def test_training_paused_and_stopped_where_it_stopped(
    size, fake_engine_class, make_app, wait_for, ready
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=400, step_delay=0.01))
    train = app.main.train
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: "epoch 1/2 step" in shown(app), "training progress")
        text = shown(app)
        assert " │ training" in text and "untrained" not in unclipped(app)
        assert state_style(app) == STATE_STYLES["training"]
        assert "samples/s" in unclipped(app)
        if size[0] >= 100:
            assert "1,234 samples/s" in text
        assert "t: train" not in pane_message(app)  # a run is in progress
        await pilot.press("space")
        await wait_for(pilot, lambda: train.state == "paused", "paused")
        assert " │ paused" in shown(app) and "samples/s" not in unclipped(app)
        assert f"epoch 1/2 step {fake.weights_version}/400" in shown(app)  # where it paused
        assert state_style(app) == STATE_STYLES["paused"]
        assert "t: train" not in pane_message(app)
        await pilot.press("t")
        await wait_for(pilot, lambda: train.state == "stopped", "the stopped run")
        await pilot.pause()
        text = shown(app)
        assert " │ stopped" in text and "finished" not in unclipped(app)
        assert f"epoch 1/2 step {fake.weights_version}/400" in text  # where it stopped
        assert "samples/s" not in unclipped(app)
        assert state_style(app) == STATE_STYLES["stopped"]
        assert f"stopped at epoch 1 step {fake.weights_version}/400" in pane_message(app)


@pytest.mark.parametrize("size", SIZES)
async def test_finished_then_a_new_model_leaves_nothing_stale(
    size, fake_engine_class, make_app, wait_for, ready
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=5))
    train = app.main.train
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        pane = app.main.query_one(TrainingPane)
        await pilot.press("t")
        await wait_for(pilot, lambda: train.state == "finished", "the run")
        text = shown(app)
        assert " │ finished" in text and "epoch 2/2 step 5/5" in text
        assert "test acc 95.00%" in unclipped(app) and "samples/s" not in unclipped(app)
        assert state_style(app) == STATE_STYLES["finished"]
        assert pane.curves.test_acc
        await pilot.press("c")
        app.screen.query_one("#model", Input).value = "lenet5"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: train.loaded_model == "lenet5", "the new model")
        await pilot.pause()
        text, everything = shown(app), unclipped(app)
        assert "lenet5" in text and " │ idle" in text and "untrained" in text
        for stale in ("finished", "epoch", "step", "test acc", "samples/s"):
            assert stale not in everything, stale
        assert not pane.curves.train_loss and not pane.curves.test_acc
        message = pane_message(app)
        assert "previous run finished · acc 95.00%" in message and fake.run_dir in message
        tooltip = str(app.main.query_one("#train-message").tooltip)
        assert "t: train" in tooltip and "Previous run" in tooltip


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("problem", "word"), [(DIVERGED, "diverged"), ("internal error: boom", "failed")]
)
async def test_failed_and_diverged_runs_have_their_own_word(
    size, problem, word, fake_engine_class, make_app, wait_for, ready
) -> None:
    app, fake = make_app(fake_engine_class(fail_training=problem))
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == word, word)
        assert f" │ {word}" in shown(app) and "samples/s" not in unclipped(app)
        assert state_style(app) == STATE_STYLES[word]


def test_every_state_has_its_own_colour() -> None:
    words = ("idle", "training", "paused", "stopped", "finished", "failed", "diverged")
    assert len({STATE_STYLES[word] for word in words}) == len(words)


async def test_setting_up_the_next_run_while_training_does_not_say_press_t(
    fake_engine_class, make_app, wait_for, ready
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=400, step_delay=0.01))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "training", "training")
        app.clear_notifications()
        await pilot.press("c")
        app.screen.query_one("#epochs", Input).value = "1"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app._notifications, "the announcement")
        messages = " ".join(n.message for n in app._notifications)
        assert "Next run" in messages and "Press t to train" not in messages
        assert "after this run ends" in messages
        assert "t: train" not in pane_message(app)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "stopped", "the stopped run")
