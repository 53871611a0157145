"""Pilot tests of the cnn-tui app: every key and pane against a fake engine, the command line,
the link's request bookkeeping, and (slow) a short real training run in the child process."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_engine import FakeEngine, mnist_test_digits
from rich.console import Console
from textual.widgets import Input, Select, Static, TabbedContent

from engine.config import make_config
from engine.events import Progress
from engine.protocol import Reply
from tui import __main__ as cli
from tui.app import AppOptions, CnnTuiApp
from tui.commands import WorkbenchCommands, all_keys
from tui.link import EngineLost, EngineProgress, EngineReply, Link
from tui.screens import HelpScreen, QuitScreen, RunConfigScreen
from tui.widgets import Inspector, LayerTable
from tui.widgets.header import Status, StatusHeader, status_text
from tui.widgets.training_pane import TrainingPane

REPO = Path(__file__).resolve().parents[1]
SIZE = (100, 32)


def make_app(fake: FakeEngine | None = None, **options) -> tuple[CnnTuiApp, FakeEngine]:
    fake = fake or FakeEngine()
    config = options.pop("config", make_config("fast", model="tiny", epochs=2))
    app = CnnTuiApp(AppOptions(config=config, seed=7, color_mode="truecolor", **options),
                    engine_factory=lambda data_dir, log_file: fake)
    return app, fake


async def wait_for(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def ready(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.main.state == "idle" and app.main.layer_name is not None,
                   what="the model to load")
    await wait_for(pilot, lambda: not app.link.pending, what="the first inspector requests")


def ops(fake: FakeEngine) -> list[str]:
    return [op for op, _ in fake.sent]


def header(app: CnnTuiApp) -> str:
    return status_text(app.main.query_one(StatusHeader).status).plain


# --------------------------------------------------------------------- start-up


async def test_opens_model_and_fills_every_pane() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = app.main
        assert ops(fake)[0] == "load" and fake.sent[0][1] == {"model": "tiny"}
        assert {"kernels", "activations", "sample"} <= set(ops(fake))
        assert main.layer_name == "conv1" and main.sample_index == 0
        assert "tiny" in header(app) and "idle" in header(app)
        table = main.query_one(LayerTable)
        assert table.row_count >= 8  # eight layers (and a totals row)
        assert main.query_one(TrainingPane).display
        assert main.query_one(Inspector).display
        assert not main.query_one("#too-small").display


async def test_checkpoint_opens_for_inspection_and_corrupt_one_shows_error(tmp_path) -> None:
    good = tmp_path / "run.pt"
    good.write_bytes(b"x")
    app, fake = make_app(checkpoint=str(good))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert fake.sent[0] == ("load", {"checkpoint": str(good)})
        assert app.main.next_config.model == "tiny"
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"x")
    app, fake = make_app(checkpoint=str(bad))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main.state == "idle", what="the failed load")
        messages = [n.message for n in app._notifications]
        assert any("not a cnn-tui checkpoint" in m for m in messages)
        assert app.main.loaded_model is None
        await pilot.press("question_mark")  # still usable
        assert isinstance(app.screen, HelpScreen)


async def test_image_option_inspects_the_picture(tmp_path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(b"png")
    app, fake = make_app(image=str(picture), model="tiny")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.main.sample_index == -1, what="the image sample")
        assert ("image", {"path": str(picture)}) in fake.sent


# --------------------------------------------------------------------------- keys


async def test_layer_keys_move_through_the_table() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = app.main
        for key, expected in (("j", "relu1"), ("down", "pool1"), ("k", "relu1"),
                              ("up", "conv1"), ("up", "conv1")):
            await pilot.press(key)
            await wait_for(pilot, lambda e=expected: main.layer_name == e, what=expected)
        await pilot.press("j", "j", "j")
        await wait_for(pilot, lambda: main.layer_name == "conv2")
        await wait_for(pilot, lambda: not app.link.pending)
        assert ("kernels", {"layer": "conv2"}) in fake.sent
        assert ("activations", {"layer": "conv2", "index": 0}) in fake.sent
        # Arrows move layers even when the inspector has the focus.
        main.query_one(Inspector).focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: main.layer_name == "relu2")
        assert ("kernels", {"layer": "relu2"}) not in fake.sent


async def test_sample_keys_random_and_misclassified() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = app.main
        await pilot.press("l", "right")
        assert main.sample_index == 2
        await pilot.press("h", "left", "left")
        assert main.sample_index == 9999  # wraps around the test split
        await pilot.press("r")
        first = main.sample_index
        assert first not in (9999, 2)
        await pilot.press("m")
        await wait_for(pilot, lambda: main.sample_index % 7 == 0 and main.sample_index > first,
                       what="the next misclassified digit")
        await wait_for(pilot, lambda: not app.link.pending)
        assert ("sample", {"index": main.sample_index}) in fake.sent
        assert ("activations", {"layer": "conv1", "index": main.sample_index}) in fake.sent


async def test_inspector_keys_reach_the_inspector(monkeypatch) -> None:
    app, fake = make_app()
    calls: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        inspector = app.main.query_one(Inspector)
        inspector_keys = [k for k in all_keys() if k.group == "Inspector"]
        assert {k.action for k in inspector_keys} >= {
            "inspect('next_page')", "inspect('previous_page')", "inspect('toggle_scale')",
            "inspect('next_channel')", "inspect('previous_channel')", "inspect('toggle_mean')",
            "inspect('toggle_many')"}
        for key in inspector_keys:
            name = key.action.split("'")[1]
            if name == "toggle_many":
                continue
            original = getattr(inspector, name)
            monkeypatch.setattr(inspector, name,
                                lambda n=name, o=original: (calls.append(n), o())[1])
            await pilot.press(key.keys.split(",")[0])
            assert calls[-1] == name
        await pilot.press("d")  # several digits: the app asks for activations_many
        await wait_for(pilot, lambda: "activations_many" in ops(fake), what="activations_many")
        assert ("activations_many", {"layer": "conv1", "indices": [0, 1, 2, 3, 4, 5]}) in fake.sent


async def test_tab_moves_focus_and_number_keys_switch_tabs() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert isinstance(app.focused, LayerTable)
        await pilot.press("tab")
        assert not isinstance(app.focused, LayerTable)
        tabs = app.main.query_one(TabbedContent)
        if app.main.tabs:  # the conv lab joined
            await pilot.press("2")
            assert tabs.active == app.main.tabs[0][0]
            await pilot.press("j")  # layer keys do nothing outside the first tab
            assert app.main.layer_name == "conv1"
        await pilot.press("1")
        assert tabs.active == "train"


async def test_help_screen_lists_every_key() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-keys", Static).content)
        text = console.export_text()
        for key in app.screen.shown_keys:
            assert key.display in text and key.help[:40] in text.replace("\n", " ")
        assert "j / down" in text and "? " in text and "[ " in text
        await pilot.press("escape")
        assert app.screen is app.main


async def test_training_start_pause_resume_stop_and_curves() -> None:
    app, fake = make_app(FakeEngine(steps_per_epoch=400, step_delay=0.01))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = app.main
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
        await wait_for(pilot, lambda: main.state == "finished", what="the stopped run")
        assert "pause" in ops(fake) and "resume" in ops(fake) and "stop" in ops(fake)
        messages = " ".join(n.message for n in app._notifications)
        assert "last.pt" in messages


async def test_full_run_reports_test_accuracy_per_epoch() -> None:
    app, fake = make_app(FakeEngine(steps_per_epoch=5))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "finished", what="the run")
        curves = app.main.query_one(TrainingPane).curves
        assert [x for x, _ in curves.test_acc] == [1.0, 2.0]
        assert "test acc 95.00%" in header(app)
        await pilot.press("t")  # a second run starts from scratch
        await wait_for(pilot, lambda: app.main.state == "finished"
                       and ops(fake).count("train") == 2, what="the second run")


async def test_failed_run_shows_message_and_app_stays_usable() -> None:
    fake = FakeEngine(fail_training="the loss became NaN at step 3; lower the learning rate")
    app, fake = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "failed", what="the failure")
        assert "failed" in header(app)
        assert any("NaN" in n.message for n in app._notifications)
        assert "NaN" in str(app.main.query_one("#train-message", Static).content)
        await pilot.press("j")
        await wait_for(pilot, lambda: app.main.layer_name == "relu1")


async def test_t_restarts_an_engine_that_died() -> None:
    engines = [FakeEngine(), FakeEngine(steps_per_epoch=3)]
    first, second = engines
    app = CnnTuiApp(AppOptions(config=make_config("fast", model="tiny", epochs=1), seed=1),
                    engine_factory=lambda data_dir, log_file: engines.pop(0))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        first.closed = True  # the child died
        app.main.post_message(EngineLost("the engine process stopped: killed by SIGKILL"))
        await wait_for(pilot, lambda: app.main.state == "failed", what="the failure")
        assert any("Press t to restart" in n.message for n in app._notifications)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "finished", what="the run after restart")
        assert ops(second)[0] == "load" and "train" in ops(second)
        assert "train" not in ops(first)


async def test_save_key_before_and_during_training() -> None:
    app, fake = make_app(FakeEngine(steps_per_epoch=200, step_delay=0.01))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: any("nothing to save" in n.message
                                          for n in app._notifications), what="the refusal")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "training")
        await pilot.press("s")
        await wait_for(pilot, lambda: any("manual.pt" in n.message for n in app._notifications),
                       what="the saved path")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "finished")


async def test_config_form_fills_recipe_defaults_and_applies() -> None:
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
        error = str(form.query_one("#config-error", Static).content)
        assert "epochs must be a whole number" in error
        form.query_one("#epochs", Input).value = "1"
        form.query_one("#device", Select).value = "cpu"
        await pilot.press("ctrl+s")
        assert app.screen is app.main
        config = app.main.next_config
        assert (config.model, config.recipe, config.epochs, config.optimizer, config.device) == (
            "lenet5", "seed-lenet5", 1, "sgd", "cpu")
        await wait_for(pilot, lambda: app.main.loaded_model == "lenet5", what="the new model")
        await pilot.press("c", "escape")
        assert app.main.next_config is config


async def test_bad_spec_in_the_form_shows_error_and_keeps_previous() -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        app.screen.query_one("#model", Input).value = "c8-zz"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("bad spec" in n.message for n in app._notifications),
                       what="the spec error")
        assert app.main.next_config.model == "tiny"
        assert app.main.loaded_model == "tiny"
        await pilot.press("t")  # still trains the previous model
        await wait_for(pilot, lambda: app.main.state == "finished")


async def test_training_another_model_loads_it_first() -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        app.screen.query_one("#model", Input).value = "c8-p-c16-p-f10"
        await pilot.press("ctrl+s")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "finished")
        sent = ops(fake)
        last_load = len(sent) - 1 - sent[::-1].index("load")
        assert fake.sent[last_load] == ("load", {"model": "c8-p-c16-p-f10"})
        assert sent.index("train") > last_load


async def test_quit_when_idle_and_while_training() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
    assert fake.closed

    app, fake = make_app(FakeEngine(steps_per_epoch=500, step_delay=0.01))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state == "training")
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        assert app.screen is app.main and app.main.state == "training"
        await pilot.press("q", "y")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert "stop" in ops(fake) and fake.closed


async def test_too_small_terminal_shows_notice() -> None:
    app, fake = make_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await ready(pilot)
        assert app.main.query_one("#too-small").display
        assert not app.main.query_one("#tabs").display
        await pilot.resize_terminal(80, 24)
        assert not app.main.query_one("#too-small").display
        assert app.main.query_one("#tabs").display


async def test_command_palette_offers_the_actions() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        provider = WorkbenchCommands(app.main)
        hits = [hit async for hit in provider.search("misclass")]
        assert hits and "Misclassified" in str(hits[0].match_display)
        discovered = [hit async for hit in provider.discover()]
        assert {str(h.display) for h in discovered} >= {"Train/stop", "Save", "Next layer"}
        hit = next(h for h in discovered if str(h.display) == "Next layer")
        await hit.command()
        await wait_for(pilot, lambda: app.main.layer_name == "relu1")


# ------------------------------------------------------------------------ pieces


def test_link_keeps_one_request_per_purpose_and_the_newest_ask() -> None:
    fake = FakeEngine()
    link = Link(factory=lambda data_dir, log_file: fake)
    link.start()
    link.want("load", "load", model="tiny")
    assert link.busy("load")
    first = link.want("kernels", "kernels", layer="conv1")
    link.want("kernels", "kernels", layer="relu1")
    link.want("kernels", "kernels", layer="conv2")
    assert first is None and [kw for op, kw in fake.sent if op == "kernels"] == [
        {"layer": "conv1"}]
    replies = [fake.poll(0), fake.poll(0)]
    assert link.resolve(replies[0])[0] == "load"
    assert link.resolve(replies[1]) == ("kernels", {"layer": "conv1"})
    assert [kw for op, kw in fake.sent if op == "kernels"] == [{"layer": "conv1"},
                                                               {"layer": "conv2"}]
    assert link.resolve(Reply(999, "sample", True, {}))[0] is None


def test_link_reports_a_dead_child_once_and_restarts() -> None:
    class Dead(FakeEngine):
        def send(self, op, **kwargs):
            raise OSError("[Errno 32] Broken pipe")

    engines = [Dead(), FakeEngine()]
    told: list[str] = []
    link = Link(factory=lambda data_dir, log_file: engines.pop(0), on_lost=told.append)
    link.start()
    assert link.request("kernels", "kernels", layer="conv1") is None
    link.stop()
    assert link.train(make_config("fast")) is None
    assert len(told) == 1 and "Broken pipe" in told[0] and not link.alive
    link.start()  # a fresh child
    assert link.alive and link.request("load", "load", model="tiny") is not None


def test_progress_messages_merge() -> None:
    def progress(step: int) -> Progress:
        return Progress(epoch=0, step=step, steps_per_epoch=10, global_step=step, loss=1.0,
                        acc=0.5, lr=0.1, samples_per_sec=1.0, elapsed=0.0)

    older, newer = EngineProgress(progress(1)), EngineProgress(progress(2))
    assert older.can_replace(newer)
    assert not older.can_replace(EngineReply(Reply(1, "sample", True, {})))


def test_header_drops_speed_before_accuracy_when_narrow() -> None:
    status = Status(model="fast-net", device="cpu", state="training", epoch=1, epochs=2,
                    step=10, steps=235, samples_per_sec=2310.0, test_acc=0.9812)
    wide = status_text(status, 200).plain
    assert all(part in wide for part in ("fast-net", "cpu", "training", "epoch 1/2 step 10/235",
                                         "2,310 samples/s", "test acc 98.12%"))
    narrow = status_text(status, 80).plain
    assert "test acc 98.12%" in narrow and "samples/s" not in narrow
    assert len(narrow) <= 80


def test_fake_engine_digits_are_mnist() -> None:
    images, labels = mnist_test_digits()
    assert images.shape == (10000, 28, 28) and labels[0] == 7


# -------------------------------------------------------------------- command line


@pytest.mark.parametrize("argv, message", [
    (["--checkpoint", "/nonexistent.pt"], "--checkpoint /nonexistent.pt: no such file"),
    (["--image", "/nonexistent.png"], "--image /nonexistent.png: no such file"),
    (["--data-dir", "/nonexistent"], "--data-dir /nonexistent: no such folder"),
    (["--device", "gpu"], "--device gpu: use auto, cpu, cuda or cuda:N"),
    (["--recipe", "slow"], "argument --recipe: invalid choice"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--epochs", "0"], "0 must be at least 1"),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cnn-tui: error:") and message in err


def test_options_from_arguments(tmp_path) -> None:
    args = cli.build_parser().parse_args(
        ["--recipe", "seed-lenet5", "--device", "cpu", "--run-dir", str(tmp_path / "r"),
         "--train-subset", "2048", "--epochs", "1", "--ascii"])
    options = cli.options_from_args(args)
    config = options.config
    assert (config.model, config.optimizer, config.epochs, config.train_subset) == (
        "lenet5", "sgd", 1, 2048)
    assert config.run_dir == str((tmp_path / "r").resolve()) and options.ascii
    args = cli.build_parser().parse_args(["--model", "c8-p-f10"])
    assert cli.options_from_args(args).config.model == "c8-p-f10"


def test_help_mentions_every_public_option() -> None:
    text = cli.build_parser().format_help()
    for option in ("--model", "--recipe", "--device", "--checkpoint", "--run-dir", "--data-dir",
                   "--image", "--weights", "--ascii"):
        assert option in text
    assert "--train-subset" not in text


# ------------------------------------------------------------- the real engine


ISOLATION_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys, time
    from engine.remote import prepare_for_spawn
    from tui.app import AppOptions, CnnTuiApp

    prepare_for_spawn()

    async def main():
        t0 = time.perf_counter()
        app = CnnTuiApp(AppOptions(color_mode="256"))
        async with app.run_test(size=(100, 32)) as pilot:
            first = time.perf_counter() - t0
            while app.main.loaded_model is None and time.perf_counter() - t0 < 120:
                await pilot.pause(0.05)
            await pilot.press("j")
            while app.link.pending and time.perf_counter() - t0 < 120:
                await pilot.pause(0.05)
            print(json.dumps({"loaded": app.main.loaded_model, "state": app.main.state,
                              "torch": "torch" in sys.modules, "first": first,
                              "layer": app.main.layer_name}))

    asyncio.run(main())
""")


def test_ui_process_never_imports_torch() -> None:
    """In a fresh process (other tests import torch): the real child loads the model."""
    result = subprocess.run([sys.executable, "-c", ISOLATION_SCRIPT], cwd=REPO,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["loaded"] == "fast-net" and report["state"] == "idle"
    assert report["layer"] and not report["torch"]


@pytest.mark.slow
async def test_real_training_run_on_a_subset(tmp_path) -> None:
    """The real child process trains on 8192 digits; the app shows it and saves a checkpoint."""
    from engine.remote import prepare_for_spawn

    prepare_for_spawn()
    # Two short epochs: long enough for a few Progress events (sent every 0.25 s).
    config = make_config("fast", epochs=2, train_subset=8192, test_subset=1000, device="cpu",
                         run_dir=str(tmp_path / "run"), batch_size=128)
    app = CnnTuiApp(AppOptions(config=config, color_mode="256",
                               log_file=str(tmp_path / "engine.log")))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.state == "idle", timeout=120,
                       what="the engine to load fast-net")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.state in ("finished", "failed"), timeout=240,
                       what="the run to finish")
        assert app.main.state == "finished", [n.message for n in app._notifications]
        pane = app.main.query_one(TrainingPane)
        assert pane.curves.train_loss and len(pane.curves.test_acc) == 2
        assert "test acc" in header(app)
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: not app.link.pending, timeout=60)
        assert app.main.layer_name not in (None, "conv1")
    assert list((tmp_path / "run").rglob("*.pt")), list((tmp_path / "run").rglob("*"))
