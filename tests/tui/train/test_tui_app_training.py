"""Pilot tests of cnn-tui runs: train, pause, stop, save, the run form, quit, real child."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.link import EngineLost
from tui.screens import QuitScreen, RunConfigScreen
from tui.train.training_pane import TrainingPane

REPO = Path(__file__).resolve().parents[3]


# --------------------------------------------------------------------- training


async def test_training_start_pause_resume_stop_and_curves(
    app_size, fake_engine_class, make_app, wait_for, ready, ops, header
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=400, step_delay=0.01))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        main = app.main.train
        await pilot.press("t")
        await wait_for(pilot, lambda: main.state == "training", what=f"training ({main.state})")
        await wait_for(pilot, lambda: len(main.query_one(TrainingPane).curves.train_loss) > 3)
        assert "epoch 1/2" in header(app) and "1,234 samples/s" in header(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: main.state == "paused", what="paused")
        await pilot.press("space")
        await wait_for(pilot, lambda: main.state == "training", what="resumed")
        # The inspector refreshes live, never with two requests of a kind in flight.
        kernels_before = ops(fake).count("kernels")
        await pilot.pause(0.8)
        assert ops(fake).count("kernels") > kernels_before
        await pilot.press("t")
        await wait_for(pilot, lambda: main.state == "stopped", what="the stopped run")
        assert "pause" in ops(fake) and "resume" in ops(fake) and "stop" in ops(fake)
        messages = " ".join(n.message for n in app._notifications)
        assert "last.pt" in messages


async def test_curves_hold_back_while_keys_move_through_layers(
    app_size, fake_engine_class, make_app, wait_for, ready
) -> None:
    import time

    from tui.train.training_pane import BUSY_REDRAW_S

    app, fake = make_app(fake_engine_class(steps_per_epoch=400, step_delay=0.01))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        pane = app.main.query_one(TrainingPane)
        await pilot.press("t")
        await wait_for(pilot, lambda: len(pane.curves.train_loss) > 3, what="some points")
        pressed = time.monotonic()
        await pilot.press("j")  # navigation: curve redraws wait a while
        assert pane.busy_until > pressed
        pane.busy_until = time.monotonic() + 60  # (a slow machine must not end the wait here)
        pane._drawn_at, pane._dirty = time.monotonic(), True
        pane._redraw_if_dirty()
        assert pane._dirty  # held back
        pane._drawn_at = time.monotonic() - BUSY_REDRAW_S - 0.1  # but never for long
        pane._redraw_if_dirty()
        assert not pane._dirty
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "stopped", what="the stopped run")


async def test_full_run_reports_test_accuracy_per_epoch(
    app_size, fake_engine_class, make_app, wait_for, ready, ops, header
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=5))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "finished", what="the run")
        curves = app.main.query_one(TrainingPane).curves
        assert [x for x, _ in curves.test_acc] == [1.0, 2.0]
        assert "test acc 95.00%" in header(app)
        await pilot.press("t")  # a second run starts from scratch
        await wait_for(
            pilot,
            lambda: app.main.train.state == "finished" and ops(fake).count("train") == 2,
            what="the second run",
        )


async def test_failed_run_shows_message_and_app_stays_usable(
    app_size, fake_engine_class, make_app, wait_for, ready, header
) -> None:
    fake = fake_engine_class(fail_training="the loss became NaN at step 3; lower the learning rate")
    app, fake = make_app(fake)
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "failed", what="the failure")
        assert "failed" in header(app)
        assert any("NaN" in n.message for n in app._notifications)
        assert "NaN" in str(app.main.query_one("#train-message", Static).content)
        await pilot.press("j")
        await wait_for(pilot, lambda: app.main.train.layer_name == "relu1")


async def test_t_restarts_an_engine_that_died(
    app_size, fake_engine_class, wait_for, ready, ops
) -> None:
    engines = [fake_engine_class(), fake_engine_class(steps_per_epoch=3)]
    first, second = engines
    app = CnnTuiApp(
        AppOptions(config=make_config("fast", model="tiny", epochs=1), seed=1),
        engine_factory=lambda data_dir, log_file: engines.pop(0),
    )
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        first.closed = True  # the child died
        app.main.post_message(EngineLost("the engine process stopped: killed by SIGKILL"))
        await wait_for(pilot, lambda: app.main.train.state == "failed", what="the failure")
        assert any("Press t to restart" in n.message for n in app._notifications)
        await pilot.press("t")
        await wait_for(
            pilot, lambda: app.main.train.state == "finished", what="the run after restart"
        )
        assert ops(second)[0] == "load" and "train" in ops(second)
        assert "train" not in ops(first)


async def test_save_key_before_and_during_training(
    app_size, fake_engine_class, make_app, wait_for, ready
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=200, step_delay=0.01))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await wait_for(
            pilot,
            lambda: any("nothing to save" in n.message for n in app._notifications),
            what="the refusal",
        )
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "training")
        await pilot.press("s")
        await wait_for(
            pilot,
            lambda: any("manual.pt" in n.message for n in app._notifications),
            what="the saved path",
        )
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "stopped")


async def test_config_form_fills_recipe_defaults_and_applies(make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, RunConfigScreen)
        form = app.screen
        assert form.query_one("#model", Input).value == "tiny"
        form.query_one("#recipe", Select).value = "seed-lenet5"
        await pilot.pause()
        assert form.query_one("#model", Input).value == "lenet5"
        assert form.query_one("#epochs", Input).value == "5"
        assert form.query_one("#lr", Input).value == "0.01"
        form.query_one("#epochs", Input).value = "x"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RunConfigScreen)
        error = str(form.query_one("#epochs-error", Static).content)
        assert "Epochs must be a whole number" in error
        form.query_one("#epochs", Input).value = "1"
        form.query_one("#device", Select).value = "cpu"
        await pilot.press("ctrl+s")
        assert app.screen is app.main
        config = app.main.train.next_config
        assert (config.model, config.recipe, config.epochs, config.optimizer, config.device) == (
            "lenet5",
            "seed-lenet5",
            1,
            "sgd",
            "cpu",
        )
        await wait_for(pilot, lambda: app.main.train.loaded_model == "lenet5", what="the new model")
        await pilot.press("c", "escape")
        assert app.main.train.next_config is config


async def test_bad_spec_in_the_form_shows_error_and_keeps_previous(
    make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        form = app.screen
        form.query_one("#model", Input).value = "c8-zz"
        await pilot.press("ctrl+s")  # the form says so under the field and stays open
        assert app.screen is form
        assert "bad model spec" in str(form.query_one("#model-error", Static).content)
        await pilot.press("escape")
        assert app.main.train.next_config.model == "tiny"
        assert app.main.train.loaded_model == "tiny"
        await pilot.press("t")  # still trains the previous model
        await wait_for(pilot, lambda: app.main.train.state == "finished")


async def test_training_another_model_loads_it_first(make_app, wait_for, ready, ops) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        app.screen.query_one("#model", Input).value = "c8-p-c16-p-f10"
        await pilot.press("ctrl+s")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "finished")
        sent = ops(fake)
        last_load = len(sent) - 1 - sent[::-1].index("load")
        assert fake.sent[last_load] == ("load", {"model": "c8-p-c16-p-f10"})
        assert sent.index("train") > last_load


async def test_quit_when_idle_and_while_training(
    app_size, fake_engine_class, make_app, wait_for, ready, ops
) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("q")
    assert fake.closed

    app, fake = make_app(fake_engine_class(steps_per_epoch=500, step_delay=0.01))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "training")
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        assert app.screen is app.main and app.main.train.state == "training"
        await pilot.press("q", "y")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert "stop" in ops(fake) and fake.closed


# ------------------------------------------------------------- the real engine


ISOLATION_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys, time
    from engine.process.remote import prepare_for_spawn
    from tui.app import AppOptions, CnnTuiApp

    prepare_for_spawn()

    async def main():
        t0 = time.perf_counter()
        app = CnnTuiApp(AppOptions(color_mode="256"))
        async with app.run_test(size=(100, 32)) as pilot:
            first = time.perf_counter() - t0
            while app.main.train.loaded_model is None and time.perf_counter() - t0 < 120:
                await pilot.pause(0.05)
            await pilot.press("j")
            while app.link.pending and time.perf_counter() - t0 < 120:
                await pilot.pause(0.05)
            print(json.dumps({"loaded": app.main.train.loaded_model, "state": app.main.train.state,
                              "torch": "torch" in sys.modules, "first": first,
                              "layer": app.main.train.layer_name}))

    asyncio.run(main())
""")


def test_ui_process_never_imports_torch() -> None:
    """In a fresh process (other tests import torch): the real child loads the model."""
    result = subprocess.run(
        [sys.executable, "-c", ISOLATION_SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["loaded"] == "fast-net" and report["state"] == "idle"
    assert report["layer"] and not report["torch"]


@pytest.mark.slow
async def test_real_training_run_on_a_subset(tmp_path, wait_for, header) -> None:
    """The real child process trains on 8192 digits; the app shows it and saves a checkpoint."""
    from engine.process.remote import prepare_for_spawn

    prepare_for_spawn()
    # Two short epochs: long enough for a few Progress events (sent every 0.25 s).
    config = make_config(
        "fast",
        epochs=2,
        train_subset=8192,
        test_subset=1000,
        device="cpu",
        run_dir=str(tmp_path / "run"),
        batch_size=128,
    )
    app = CnnTuiApp(
        AppOptions(config=config, color_mode="256", log_file=str(tmp_path / "engine.log"))
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: app.main.train.state == "idle",
            timeout=120,
            what="the engine to load fast-net",
        )
        await pilot.press("t")
        await wait_for(
            pilot,
            lambda: app.main.train.state in ("finished", "failed"),
            timeout=240,
            what="the run to finish",
        )
        assert app.main.train.state == "finished", [n.message for n in app._notifications]
        pane = app.main.query_one(TrainingPane)
        assert pane.curves.train_loss and len(pane.curves.test_acc) == 2
        assert "test acc" in header(app)
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: not app.link.pending, timeout=60)
        assert app.main.train.layer_name not in (None, "conv1")
    assert list((tmp_path / "run").rglob("*.pt")), list((tmp_path / "run").rglob("*"))
