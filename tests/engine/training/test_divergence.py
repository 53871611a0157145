"""Issue 12 point 8: a loss that runs away, even while finite, stops the run with one line
(exit 2), and the last good checkpoint is kept as it was."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.training.events import Failed, Finished, StepLogged
from engine.training.loop import train_events
from engine.training.watch import DIVERGE_FACTOR, StepWatch

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_finite_runaway_loss_fails_with_one_line_and_writes_no_checkpoint(tiny_config) -> None:
    config = tiny_config(optimizer="adam", lr=1e6, epochs=3, train_subset=512)
    events = list(train_events(config))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason == "diverged", failed
    assert "training diverged: the loss rose to" in failed.message  # finite, not NaN
    assert "lower --lr" in failed.message and "\n" not in failed.message
    assert not any(isinstance(e, Finished) for e in events)
    assert not (Path(config.run_dir) / "checkpoint.pt").exists()
    assert "no checkpoint had been written yet" in failed.message
    # the event says where, as the message does (the app's header shows it)
    assert failed.epoch >= 1 and failed.step >= 1
    assert f"at epoch {failed.epoch}, step {failed.step} " in failed.message


def test_cli_lr_1e6_exits_2_and_keeps_the_last_good_checkpoint(tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "run"
    small = ["--model", "c4-p-f16", "--train-subset", "512", "--test-subset", "100"]
    small += ["--threads", "1", "--optimizer", "adam"]
    assert main(["train", *small, "--epochs", "1", "--run-dir", str(run_dir)]) == 0
    before = folder_bytes(run_dir)
    capsys.readouterr()
    resume = ["train", "--resume", str(run_dir / "checkpoint.pt"), "--epochs", "3"]
    assert main([*resume, "--lr", "1e6", "--schedule", "constant"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error: training diverged") and "\n" not in err, err
    assert f"the last good checkpoint is {run_dir / 'checkpoint.pt'}" in err
    assert "completed" not in captured.out
    assert folder_bytes(run_dir) == before  # checkpoint, metrics, history untouched


def test_the_watch_limit_is_far_above_the_start_and_chance() -> None:
    watch = StepWatch()
    assert watch.limit == pytest.approx(DIVERGE_FACTOR * math.log(10))  # before any step
    watch.start = 2.4  # a fresh run starts near chance, ln(10) = 2.30
    assert not watch.beyond(2.4 * 10) and watch.beyond(2.4 * DIVERGE_FACTOR * 1.01)
    assert watch.beyond(math.nan) and watch.beyond(math.inf) and watch.beyond(1e10)
    resumed = StepWatch()
    resumed.start = 0.03  # a resumed, trained model: the limit stays above chance
    assert resumed.limit == pytest.approx(DIVERGE_FACTOR * math.log(10))
    broken = StepWatch()
    broken.start = math.nan
    assert broken.limit == pytest.approx(DIVERGE_FACTOR * math.log(10))


def test_an_ordinary_run_is_not_called_diverged(tiny_config) -> None:
    events = list(train_events(tiny_config(lr=0.05, epochs=2, train_subset=512)))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert not any(isinstance(e, StepLogged) for e in events)  # log_every is 0 by default
