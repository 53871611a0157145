"""The Train tab's run control at its edges: t while a run starts, a bad spec at launch,
and a model the engine cannot train on MNIST (AlexNet)."""

from __future__ import annotations

import pytest

from engine.training.config import make_config
from tui.screens import QuitScreen

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


@pytest.fixture
def slow_start_engine(fake_engine_class):
    """A fake whose run sends Started only once ``let_start`` is set (a slow start-up)."""

    class SlowStart(fake_engine_class):
        let_start = False

        def _next_training_event(self):
            if self._training is not None and not self.let_start:
                return None
            return super()._next_training_event()

    return SlowStart


@pytest.fixture
def alexnet_engine(fake_engine_class):
    """A fake that opens alexnet as the engine does: photos in, ``trainable`` False."""

    class WithAlexNet(fake_engine_class):
        def op_load(self, model=None, checkpoint=None, weights=None):
            if model != "alexnet":
                return super().op_load(model, checkpoint, weights)
            payload = super().op_load("tiny")
            self.model = "alexnet"
            payload["info"].update(
                name="alexnet", input_shape=(3, 224, 224), trainable=False, weights="random init"
            )
            return payload

    return WithAlexNet


def pane_text(app) -> str:
    message = app.main.train.training.query_one("#train-message")
    content = message.content
    return content.plain if hasattr(content, "plain") else str(content)


@pytest.mark.parametrize("size", SIZES)
async def test_t_while_starting_stops_the_run_once_started(
    make_app, slow_start_engine, wait_for, ready, header, size
):
    app, fake = make_app(slow_start_engine(step_delay=0.05))
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        tab = app.main.train
        await pilot.press("t")
        await wait_for(pilot, lambda: tab.state == "starting", "starting")
        await pilot.press("t")  # t again before the run has started
        await pilot.pause()
        assert tab.state == "stopping"
        await wait_for(pilot, lambda: "stopping" in header(app), "the header to say stopping")
        assert [op for op, _ in fake.sent].count("train") == 1  # no second run asked for
        await pilot.press("t")  # the stop is queued: t only says so
        assert [op for op, _ in fake.sent].count("train") == 1
        fake.let_start = True
        await wait_for(pilot, lambda: tab.state == "stopped", "the run to stop")
        assert fake._training is None  # nothing keeps training behind the header
        await wait_for(pilot, lambda: "stopped" in header(app), "the header to say stopped")


async def test_q_while_starting_asks_and_quits_after_the_stop(
    make_app, slow_start_engine, wait_for, ready, app_size
):
    app, fake = make_app(slow_start_engine(step_delay=0.05))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        tab = app.main.train
        await pilot.press("t")
        await wait_for(pilot, lambda: tab.state == "starting", "starting")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)  # a run is on its way: ask first
        app.screen.dismiss(True)
        await pilot.pause()
        assert app.is_running  # waits for the run to start, stop and save
        fake.let_start = True
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")
    assert "stop" in [op for op, _ in fake.sent]


@pytest.mark.parametrize("size", SIZES)
async def test_t_with_a_bad_spec_at_launch_names_the_error(make_app, wait_for, header, size):
    spec = "c32-q-f10"
    app, fake = make_app(model=spec, config=make_config("fast", model=spec, epochs=1))
    async with app.run_test(size=size) as pilot:
        tab = app.main.train
        await wait_for(pilot, lambda: tab.built and tab.state == "idle", "the failed open")
        loads = [op for op, _ in fake.sent].count("load")
        await pilot.press("t")
        await pilot.pause()
        await wait_for(pilot, lambda: not app.link.pending, "nothing waiting")
        assert tab.state == "idle"
        assert "idle" in header(app)
        assert "Opening" not in pane_text(app)
        assert [op for op, _ in fake.sent].count("load") == loads  # no reopening a bad spec
        assert "train" not in [op for op, _ in fake.sent]
        notes = [n.message for n in app._notifications]
        assert any(spec in n and "press c to choose another model" in n for n in notes)
        said = notes[-1]  # what is wrong in one short line, not the spec grammar
        assert spec in said and "\n" not in said and len(said) < 100


@pytest.mark.parametrize("size", SIZES)
async def test_alexnet_cannot_train(make_app, alexnet_engine, wait_for, ready, header, size):
    config = make_config("fast", model="alexnet", epochs=1)  # as --model alexnet makes it
    app, fake = make_app(alexnet_engine(), model="alexnet", config=config)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        tab = app.main.train
        assert "t: train" not in pane_text(app)
        assert tab.check_action("toggle_training", ()) is not True
        await pilot.press("t")
        await pilot.pause()
        assert "train" not in [op for op, _ in fake.sent]
        assert tab.state == "idle" and "failed" not in header(app)
        notes = [n.message for n in app._notifications]
        assert any("alexnet" in n and "train" in n and "\n" not in n for n in notes)
