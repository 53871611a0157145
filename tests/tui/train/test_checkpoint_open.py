"""cnn-tui --checkpoint RUN/checkpoint.pt: the run's curves, test accuracy and kernel history
from its folder, and t asking whether to continue, fine-tune or start fresh."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.training.step_records import read_steps
from tui.train.run_choice import RunChoiceScreen

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


@pytest.fixture
def saved_run(tiny_trained_run: Path, tmp_path: Path) -> Path:
    """A copy of the session's finished one-epoch run (its folder)."""
    return Path(shutil.copytree(tiny_trained_run, tmp_path / "saved-run"))


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


async def open_checkpoint(pilot, wait_for, ready) -> None:
    await ready(pilot)
    await wait_for(pilot, lambda: pilot.app.main.train.opened.saved is not None, "the saved run")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_a_checkpoint_opens_with_its_curves_accuracy_and_history(
    saved_run: Path, size, make_app, wait_for, ready, header
) -> None:
    app, fake = make_app(checkpoint=str(saved_run / "checkpoint.pt"))
    async with app.run_test(size=size) as pilot:
        await open_checkpoint(pilot, wait_for, ready)
        pane = app.main.train.training
        (epoch,) = metrics(saved_run)
        steps = read_steps(saved_run)
        # the run folder's curves: one train point per step record, the test point of epoch 1
        assert len(steps) >= 2 and len(pane.curves.train_loss) == len(steps)
        assert [x for x, _ in pane.curves.train_loss] == [r["x"] for r in steps]
        assert pane.curves.test_acc == [(1.0, pytest.approx(100 * epoch["test_acc"]))]
        assert pane.curves.test_loss == [(1.0, pytest.approx(epoch["test_loss"]))]
        assert f"test acc {100 * epoch['test_acc']:.2f}%" in header(app)
        assert "epoch 1/1" in header(app)
        assert pane.query_one("#run-bar").percentage == 1.0
        # its kernel history: the snapshots of the folder, stepped with e
        assert app.main.train.opened.saved.snapshots == (0, 1)
        assert app.main.train.snapshots.run_dir == str(saved_run)
        message = str(pane.query_one("#train-message").content)
        assert "t: continue, fine-tune or start fresh" in message


def test_the_run_folder_opens_as_its_checkpoint(saved_run: Path) -> None:
    from tui import __main__ as cli

    args = cli.build_parser().parse_args(["--checkpoint", str(saved_run)])
    assert cli.check_paths(args) is None
    options = cli.options_from_args(args)
    assert options.checkpoint == str((saved_run / "checkpoint.pt").resolve())


async def choose(pilot, wait_for, key: str) -> list[str]:
    """Press t, then ``key`` in the dialog; returns the dialog's three choices as shown."""
    app = pilot.app
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, RunChoiceScreen), "the run choice")
    choices = app.screen.query_one("#run-choices")
    shown = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
    await pilot.press(key)
    await wait_for(pilot, lambda: app.screen is app.main, "the dialog to close")
    return shown


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_t_continues_the_run_from_its_checkpoint(
    saved_run: Path, size, make_app, wait_for, ready, sent
) -> None:
    checkpoint = str(saved_run / "checkpoint.pt")
    app, fake = make_app(checkpoint=checkpoint)
    async with app.run_test(size=size) as pilot:
        await open_checkpoint(pilot, wait_for, ready)
        await choose(pilot, wait_for, "c")
        await wait_for(pilot, lambda: sent(fake, "train"), "the train request")
        (request,) = sent(fake, "train")
        config = request["config"]
        stored = json.loads((saved_run / "config.json").read_text())
        assert request["resume"] == checkpoint  # resumed: same folder, optimizer and schedule
        assert config["run_dir"] is None and config["weights"] is None
        assert config["model"] == stored["model"] and config["lr"] == stored["lr"]
        # a finished one-epoch run continues for the next run's epochs (2) beyond its one
        assert config["epochs"] == 1 + app.main.train.next_config.epochs


async def test_t_fine_tunes_into_a_new_folder_from_the_weights(
    saved_run: Path, make_app, wait_for, ready, sent
) -> None:
    checkpoint = str(saved_run / "checkpoint.pt")
    app, fake = make_app(checkpoint=checkpoint)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_checkpoint(pilot, wait_for, ready)
        await choose(pilot, wait_for, "f")
        await wait_for(pilot, lambda: sent(fake, "train"), "the train request")
        (request,) = sent(fake, "train")
        stored = json.loads((saved_run / "config.json").read_text())
        assert request["resume"] is None  # a fresh optimizer and schedule
        assert request["config"]["weights"] == checkpoint
        assert request["config"]["model"] == stored["model"]
        assert request["config"]["run_dir"] != str(saved_run)


async def test_t_starts_fresh_with_new_weights_and_esc_cancels(
    saved_run: Path, make_app, wait_for, ready, sent
) -> None:
    app, fake = make_app(checkpoint=str(saved_run / "checkpoint.pt"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_checkpoint(pilot, wait_for, ready)
        shown = await choose(pilot, wait_for, "escape")
        assert [text.split()[:2] for text in shown] == [
            ["c", "Continue"],
            ["f", "Fine-tune:"],
            ["n", "Start"],
        ]
        await pilot.pause(0.1)
        assert sent(fake, "train") == []  # esc: nothing trains
        await choose(pilot, wait_for, "n")
        await wait_for(pilot, lambda: sent(fake, "train"), "the train request")
        (request,) = sent(fake, "train")
        assert request["resume"] is None and request["config"]["weights"] is None
        await wait_for(pilot, lambda: app.main.train.state == "finished", "the fresh run")
        await pilot.press("t")  # the run in view is now the fresh one: t trains again
        await wait_for(pilot, lambda: len(sent(fake, "train")) == 2, "a second run")
        assert app.screen is app.main


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_a_run_stopped_mid_epoch_opens_as_stopped_where_it_stopped(
    saved_run: Path, size, make_app, wait_for, ready, header
) -> None:
    index = json.loads((saved_run / "history" / "index.json").read_text())
    index["config"]["epochs"] = 2  # planned two epochs
    (saved_run / "history" / "index.json").write_text(json.dumps(index))
    last = read_steps(saved_run)[-1]  # epoch 1 had 4 steps; it stopped at step 2 of epoch 2
    with (saved_run / "steps.jsonl").open("a") as handle:
        handle.write(json.dumps({**last, "step": last["step"] + 2, "x": 1.5}) + "\n")
    app, fake = make_app(checkpoint=str(saved_run / "checkpoint.pt"))
    async with app.run_test(size=size) as pilot:
        await open_checkpoint(pilot, wait_for, ready)
        await wait_for(pilot, lambda: "stopped" in header(app), "the stopped state")
        assert "epoch 2/2 step 2/4" in header(app)
        assert app.main.train.run.state == "idle"  # t still asks what to train


async def test_a_finished_checkpoint_opens_as_finished(
    saved_run: Path, make_app, wait_for, ready, header
) -> None:
    app, fake = make_app(checkpoint=str(saved_run / "checkpoint.pt"))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_checkpoint(pilot, wait_for, ready)
        await wait_for(pilot, lambda: "finished" in header(app), "the finished state")
        assert "idle" not in header(app) and "epoch 1/1" in header(app)


async def test_the_saved_line_keeps_the_paths_end_and_the_notice_all_of_it(
    make_app, fake_engine_class, wait_for, ready
) -> None:
    deep = "/tmp/" + "/".join(f"a-rather-long-folder-{n}" for n in range(4)) + "/fast-net-3"
    app, fake = make_app(fake_engine_class(steps_per_epoch=4, run_dir=deep))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "finished", "the finished run")
        pane = app.main.train.training
        line = str(pane.query_one("#train-message").content).splitlines()[-1]
        notices = [n.message for n in app._notifications if "Checkpoint saved" in n.message]
        full = notices[-1].removeprefix("Checkpoint saved to ")
        assert line.startswith("saved ") and len(line) <= pane.size.width - 4
        assert full.endswith(line.removeprefix("saved ").lstrip("…"))  # the path's end
        assert full == f"{deep}/last.pt" and "fast-net-3/last.pt" in line
