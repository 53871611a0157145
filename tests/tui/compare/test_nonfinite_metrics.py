"""Metrics that are not numbers (a diverged run's ``Infinity`` and ``NaN`` in metrics.jsonl)
are skipped by the history readers, the compare view and the live training curves."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine.training.compare import compare_runs
from engine.training.config import make_config
from engine.training.events import EpochEnd, Progress, Started
from engine.training.history import load_history
from tui.app import AppOptions, CnnTuiApp
from tui.compare.runs import curve_points, format_seconds, percent, table_row
from tui.train.training_pane import Curves, TrainingPane

BAD_VALUES = ["Infinity", "-Infinity", "NaN", '"0.5"', "true", "null"]


def diverged_run(folder: Path, bad: str) -> Path:
    """A trainer-written run folder whose epoch 2 logs ``bad`` for every metric."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": "mlp"}))
    good = '{"epoch": 1, "train_loss": 0.9, "train_acc": 0.87, "test_loss": 0.41, '
    good += '"test_acc": 0.908, "seconds": 1.0, "elapsed": 1.0}'
    fields = ("train_loss", "train_acc", "test_loss", "test_acc", "seconds", "elapsed")
    diverged = "{" + ", ".join(f'"{key}": {bad}' for key in fields) + ', "epoch": 2}'
    odd = '{"epoch": "x", "test_acc": 0.5}'  # an entry that cannot be placed on the x axis
    (folder / "metrics.jsonl").write_text("\n".join([good, diverged, odd]) + "\n")
    return folder


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_the_history_readers_skip_values_that_are_not_numbers(tmp_path: Path, bad: str) -> None:
    run = diverged_run(tmp_path / "run", bad)
    history = load_history(run)
    assert history.epoch_numbers == [1, 2]
    assert history.curve("train_loss") == [0.9, None]
    assert history.best_acc == 0.908 and history.final_acc is None
    assert math.isfinite(history.seconds)
    (summary,) = compare_runs([run])
    assert json.dumps(summary, allow_nan=False)  # plain JSON: nothing that is not a number


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, None, "1", True])
def test_the_compare_table_and_curves_skip_values_that_are_not_numbers(value) -> None:
    run = {
        "name": "r",
        "model": "mlp",
        "epoch": [1, 2, 3],
        "curves": {"train_loss": [0.5, value, 0.25]},
        "final_acc": value,
        "best_acc": value,
        "seconds": value,
    }
    assert curve_points(run, "train_loss", 1.0) == ([1, 3], [0.5, 0.25])
    assert percent(value) == "-" and format_seconds(value) == "-"
    assert table_row(run)[4:] == ("-", "-", "-")


async def test_the_compare_view_shows_a_run_with_infinity(
    tmp_path: Path, app_size, wait_for, eval_engine_class
) -> None:
    from textual.widgets import DataTable

    from tui.compare.runs import CompareScreen

    good = diverged_run(tmp_path / "good", "0.5")
    bad = diverged_run(tmp_path / "bad", "Infinity")

    class CompareFake(eval_engine_class):
        def op_compare_runs(self, dirs) -> dict:
            return {"runs": compare_runs(dirs)}

    fake = CompareFake()
    options = AppOptions(config=make_config("fast", model="tiny"), compare=(str(good), str(bad)))
    app = CnnTuiApp(options, engine_factory=lambda *_: fake)
    async with app.run_test(size=app_size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        screen = app.screen
        await wait_for(pilot, lambda: screen.runs, "the runs")
        await pilot.pause(0.2)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(1)][4:6] == ["-", "90.80%"]


def test_live_curves_skip_and_count_values_that_are_not_numbers() -> None:
    curves = Curves()
    curves.add_step(0.1, 2.0, 0.5)
    curves.add_step(0.2, math.inf, 0.5)
    curves.add_step(0.3, math.nan, 0.5)
    curves.add_step(0.4, 1.0, math.nan)
    curves.add_epoch(1.0, math.inf, 0.1)
    assert [x for x, _ in curves.train_loss] == [0.1]
    assert all(math.isfinite(y) for _, y in curves.train_loss + curves.test_loss)
    assert curves.test_acc == [(1.0, 10.0)] and curves.test_loss == []
    assert curves.skipped == 4


async def test_the_training_pane_draws_a_diverging_run(app_size) -> None:
    from textual.app import App, ComposeResult

    class PaneApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TrainingPane(id="pane")

    app = PaneApp()
    async with app.run_test(size=app_size) as pilot:
        pane = app.query_one(TrainingPane)
        pane.start(Started("run", "tiny", "cpu", epochs=2, steps_per_epoch=10))
        for step, loss in enumerate([2.0, 1e13, math.inf, math.nan], start=1):
            pane.progress(Progress(1, step, 10, step, loss, 0.1, 0.001, 100.0, 1.0))
        pane.epoch_end(EpochEnd(1, math.inf, 0.1, math.inf, 0.1, 1.0))
        pane.redraw()
        await pilot.pause()
        assert "3 non-finite not drawn" in str(pane.border_subtitle)
