"""Comparing runs from inside the app: C lists the run folders, the ticked ones open in the
compare view with one line per run (per step, so a one-epoch run is a line), the legend off the
plots and the x axis in epochs; escape goes back to the workbench as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import SelectionList
from textual_plotext import PlotextPlot

from engine.training.step_records import read_steps
from tui.compare.picker import ComparePicker, run_folders
from tui.compare.runs import CompareScreen, step_points

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


@pytest.fixture
def compare_fake(eval_engine_class: type) -> type:
    class CompareFake(eval_engine_class):
        def op_compare_runs(self, dirs) -> dict:
            from engine.training.compare import compare_runs

            return {"runs": compare_runs(dirs)}

    return CompareFake


@pytest.fixture
def runs_root(tiny_trained_run: Path, tmp_path: Path, monkeypatch) -> Path:
    """A working directory whose runs/ holds two copies of a one-epoch run, and a folder that
    holds no run."""
    root = tmp_path / "runs"
    for name in ("first", "second"):
        shutil.copytree(tiny_trained_run, root / name)
    (root / "not-a-run").mkdir()
    monkeypatch.chdir(tmp_path)
    return root


def test_the_picker_lists_the_run_folders_only(runs_root: Path) -> None:
    assert {f.name for f in run_folders([Path("runs")])} == {"first", "second"}


@pytest.mark.parametrize("size", SIZES)
async def test_c_compares_ticked_runs_and_escape_returns_to_the_model_in_view(
    runs_root: Path, size, compare_fake, make_app, wait_for, ready, sent, header
) -> None:
    app, fake = make_app(compare_fake())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("j")  # a place in the workbench to come back to
        layer, model, before = app.main.train.layer_name, header(app), len(sent(fake, "load"))
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, ComparePicker), "the picker")
        listed = app.screen.query_one(SelectionList)
        assert {Path(listed.get_option_at_index(i).value).name for i in range(2)} == {
            "first",
            "second",
        }
        assert listed.option_count == 2
        await pilot.press("space", "down", "space", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        screen = app.screen
        await wait_for(pilot, lambda: screen.runs, "the runs")
        asked = sent(fake, "compare_runs")[-1]["dirs"]
        assert sorted(Path(d).name for d in asked) == ["first", "second"]
        await pilot.pause()
        steps = read_steps(runs_root / "first")
        for run in screen.runs:  # every run is a line: one point per step record
            assert len(step_points(run, "train_loss", 1.0)) == len(steps) >= 2
        legend = str(screen.query_one("#compare-legend").content)
        assert "first" in legend and "second" in legend
        for plot in screen.query(PlotextPlot):
            drawn = plot.render().plain
            assert "first" not in drawn and "second" not in drawn  # the legend is off the data
            xs = drawn.splitlines()[-1].split()  # epochs, with fractions for one epoch
            assert xs[0] == "0" and xs[-1] == "1" and "0.5" in xs
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main, "the workbench")
        assert app.main.train.layer_name == layer and header(app) == model
        assert len(sent(fake, "load")) == before  # the same model, not a new one


async def test_escape_from_the_picker_changes_nothing(
    runs_root: Path, compare_fake, make_app, wait_for, ready, sent
) -> None:
    app, fake = make_app(compare_fake())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, ComparePicker), "the picker")
        await pilot.press("escape")
        assert app.screen is app.main and sent(fake, "compare_runs") == []


async def test_compare_from_the_command_line_returns_to_the_first_runs_model(
    runs_root: Path,
) -> None:
    from tui import __main__ as cli

    args = cli.build_parser().parse_args(["--compare", "runs/first", "runs/second"])
    assert cli.check_paths(args) is None
    options = cli.options_from_args(args)
    # behind the compare view (escape): the first run's trained model, not an untrained one
    assert options.checkpoint == str((runs_root / "first" / "checkpoint.pt").resolve())
    args = cli.build_parser().parse_args(["--compare", "runs/first", "--model", "lenet5"])
    assert cli.options_from_args(args).checkpoint is None
