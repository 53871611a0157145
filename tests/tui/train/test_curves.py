"""Curves that read right: each line named, the label smoothing said, five y ticks from 100x30
up, an x axis in epochs with fractional ticks, and v showing the learning-rate schedule."""

from __future__ import annotations

import re

import pytest
from textual_plotext import PlotextPlot

from engine.training.config import make_config
from engine.training.lr_plan import lr_after
from tui.train.curve_plot import epoch_ticks, value_ticks
from tui.train.training_pane import MIN_CHART_ROWS

LARGE = [(100, 30), (120, 40), (200, 60)]
TICK_ROW = re.compile(r"^\s*(-?[\d.]+(?:e[-+]\d+)?)\s*[┤┌└├]")  # a y tick label at the axis


def y_tick_labels(plot: PlotextPlot) -> list[str]:
    """The y tick labels the plot shows on screen."""
    return [m.group(1) for line in plot.render().plain.splitlines() if (m := TICK_ROW.match(line))]


def x_tick_labels(plot: PlotextPlot) -> list[str]:
    return plot.render().plain.splitlines()[-1].split()


@pytest.mark.parametrize("size", LARGE)
async def test_every_chart_has_five_y_ticks_and_epoch_ticks_from_100x30(
    size, make_app, fake_engine_class, wait_for, ready
) -> None:
    config = make_config("fast", model="tiny", epochs=1)  # label smoothing 0.1
    app, fake = make_app(fake_engine_class(steps_per_epoch=12), config=config)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "finished", "the run")
        pane = app.main.train.training
        pane.redraw()
        await pilot.pause()
        shown = [p for p in pane.query(PlotextPlot) if p.display]
        assert shown and len(shown) == len(pane.shown_views())
        for plot in shown:
            assert plot.size.height >= MIN_CHART_ROWS
            labels = y_tick_labels(plot)
            assert len(labels) == 5, plot.render().plain
            assert len(set(labels)) == 5
            xs = x_tick_labels(plot)
            assert xs[0] == "0" and xs[-1] == "1" and "0.5" in xs  # epochs, with fractions
        # each line named, and the train loss said to include the label smoothing
        assert "━ train" in str(pane.border_title) and "● test" in str(pane.border_title)
        assert "smoothing 0.1" in str(pane.border_subtitle)
        assert "label smoothing 0.1" in str(pane.tooltip)


async def test_v_shows_the_planned_learning_rate_schedule(
    make_app, fake_engine_class, wait_for, ready
) -> None:
    config = make_config("fast", model="tiny", epochs=1)  # OneCycle up to lr 0.015
    app, fake = make_app(fake_engine_class(steps_per_epoch=12), config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "finished", "the run")
        pane = app.main.train.training
        assert pane.arrangement == "single"  # one chart at a time in a 35-column pane
        for _ in range(3):
            if pane.view == "lr":
                break
            await pilot.press("v")
        assert pane.shown_views() == ("lr",)
        await pilot.pause()
        plot = pane.query_one("#loss-plot", PlotextPlot)
        assert "learning rate (onecycle)" in plot.render().plain
        labels = [float(v) for v in y_tick_labels(plot)]
        assert len(labels) == 5
        assert min(labels) <= lr_after(config, 12, 0) and max(labels) >= config.lr  # the plan
        assert "planned lr" in str(pane.border_title)
        # the engine's reported learning rates are drawn with it
        assert pane.curves.lr and all(lr == config.lr for _, lr in pane.curves.lr)
        await pilot.press("v")
        assert pane.shown_views() == ("loss",)


async def test_a_tall_pane_stacks_loss_and_accuracy_and_v_swaps_in_the_lr(
    make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        pane = app.main.train.training
        assert pane.arrangement == "stacked" and pane.shown_views() == ("loss", "accuracy")
        await pilot.press("v")
        assert pane.shown_views() == ("lr", "accuracy")
        # before any run: the next run's planned schedule
        assert pane.y_labels["lr"] and float(pane.y_labels["lr"][-1]) >= 0.015


@pytest.mark.parametrize(
    ("epochs", "width", "ticks"),
    [
        (1, 40, [0, 0.25, 0.5, 0.75, 1]),
        (1, 20, [0, 0.5, 1]),
        (2, 40, [0, 0.5, 1, 1.5, 2]),
        (15, 40, [0, 2, 4, 6, 8, 10, 12, 14]),
        (15, 26, [0, 5, 10, 15]),
    ],
)
def test_epoch_ticks_are_as_fine_as_the_width_allows(epochs, width, ticks) -> None:
    assert epoch_ticks(epochs, width)[0] == ticks


def test_value_ticks_are_five_distinct_labels() -> None:
    for low, high in ((0.0, 2.3), (0.12, 0.13), (90.0, 100.0), (0.0, 0.0006), (1.0, 1.0)):
        ticks, labels = value_ticks(low, high)
        assert len(ticks) == 5 and len(set(labels)) == 5
