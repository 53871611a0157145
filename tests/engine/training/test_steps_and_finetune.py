"""A run folder's per-step curve (steps.jsonl) and fine-tuning from a checkpoint's weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.training.control import Control
from engine.training.events import Finished
from engine.training.history import load_history, load_snapshot
from engine.training.loop import train_events
from engine.training.run_paths import RUN_FILES
from engine.training.step_records import STEPS_FILE, append_steps, read_steps

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_one_epoch_run_records_a_line_of_steps(tiny_trained_run: Path) -> None:
    steps = read_steps(tiny_trained_run)
    (epoch,) = [json.loads(line) for line in (tiny_trained_run / "metrics.jsonl").open()]
    assert [r["step"] for r in steps] == list(range(1, epoch["global_step"] + 1))
    assert [r["x"] for r in steps] == [s / epoch["global_step"] for s in range(1, 5)]
    # each record is the mean over its steps: their mean is the epoch's (equal batches)
    mean = sum(r["train_loss"] for r in steps) / len(steps)
    assert mean == pytest.approx(epoch["train_loss"], rel=1e-5)
    assert all(r["lr"] == 0.01 for r in steps)
    summary = load_history(tiny_trained_run).summary()
    assert summary["steps"]["x"] == [r["x"] for r in steps]
    assert STEPS_FILE in RUN_FILES  # replaced and cleaned up with the other run files


def test_a_stopped_and_resumed_run_records_every_step_once(tiny_config) -> None:
    config = tiny_config(epochs=2)
    control = Control()
    control.between_steps = lambda state: state.global_step == 3 and control.stop()
    events = list(train_events(config, control))
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    run = Path(config.run_dir)
    assert [r["step"] for r in read_steps(run)] == [1, 2, 3]
    assert isinstance(list(train_events(config, resume=run / "checkpoint.pt"))[-1], Finished)
    steps = read_steps(run)
    assert [r["step"] for r in steps] == list(range(1, 9))
    assert [r["x"] for r in steps] == [s / 4 for s in range(1, 9)]


def test_reading_skips_broken_lines_and_keeps_the_later_of_a_step(tmp_path: Path) -> None:
    append_steps(tmp_path, [{"step": 1, "x": 0.5, "train_loss": float("nan"), "lr": 0.1}])
    with (tmp_path / STEPS_FILE).open("a") as handle:
        handle.write('{"step": 2, "x": 1.0, "train_lo\n')  # cut short by a kill
    append_steps(tmp_path, [{"step": 1, "x": 0.5, "train_loss": 0.7, "lr": 0.1}])
    assert read_steps(tmp_path) == [{"step": 1, "x": 0.5, "train_loss": 0.7, "lr": 0.1}]
    assert read_steps(tmp_path / "missing") == []


def test_fine_tuning_starts_a_new_run_from_the_checkpoints_weights(
    tiny_trained_run: Path, tiny_config, tmp_path: Path
) -> None:
    source = Path(shutil.copytree(tiny_trained_run, tmp_path / "source"))
    config = tiny_config("tuned", weights=str(source / "checkpoint.pt"))
    events = list(train_events(config))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    tuned = Path(config.run_dir)
    # the new run's initial weights (epoch 0) are the source run's final ones
    start, trained = load_snapshot(tuned, 0), load_snapshot(source, 1)
    assert start.keys() == trained.keys()
    for name in start:
        np.testing.assert_array_equal(start[name], trained[name])
    # a fresh optimizer and schedule: the run counts its own steps from 0, in its own folder
    (epoch,) = [json.loads(line) for line in (tuned / "metrics.jsonl").open()]
    assert epoch["epoch"] == 1 and epoch["global_step"] == 4
    assert (source / "metrics.jsonl").read_text() == (
        tiny_trained_run / "metrics.jsonl"
    ).read_text()


def test_fine_tuning_from_weights_that_do_not_fit_says_so(
    tiny_trained_run: Path, tiny_config
) -> None:
    config = tiny_config(model="c4-p-f10", weights=str(tiny_trained_run / "checkpoint.pt"))
    (event,) = [e for e in train_events(config) if e.kind == "failed"]
    assert "does not fit model" in event.message and "\n" not in event.message


def test_a_stop_between_two_marks_records_the_step_it_stopped_at() -> None:
    import torch

    from engine.training.running_sums import RunningSums
    from engine.training.step_records import StepLog

    class Where:  # the TrainState fields StepLog reads
        epoch, step_in_epoch, global_step, lr = 0, 0, 0, 0.1

    log, state, sums = StepLog(200), Where(), RunningSums(torch.device("cpu"))
    assert log.every == 4
    for step in range(1, 7):
        state.step_in_epoch = state.global_step = step
        sums.add(torch.tensor(0.5), torch.tensor(8), 8, 0.0)
        log.after_step(state, sums, 8)
    log.mark(state, sums)  # the stop: step 6 is not a multiple of 4
    log.mark(state, sums)  # marking the same step twice records it once
    assert [r["step"] for r in log.drain()] == [4, 6]
