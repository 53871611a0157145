"""Issue 13 point 8: all ten class probabilities show at every terminal size from 80x24 (only 8 did
at 80x24), with the "random weights" note of an untrained model on top, and the digit keeps
enough rows to be seen."""

from __future__ import annotations

from typing import Any

import pytest

from tui.train.probabilities import Probabilities
from tui.train.sample_panel import MIN_DIGIT_ROWS, RANDOM_WEIGHTS, SamplePanel
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


@pytest.fixture
def untrained_fake(fake_engine_class: type) -> type:
    """The fake engine whose samples say the model's weights are random (the engine's flag)."""

    class UntrainedFake(fake_engine_class):  # type: ignore[misc, valid-type]
        def op_sample(self, index: int, split: str = "test") -> dict[str, Any]:
            return {**super().op_sample(index, split), "random_weights": True}

    return UntrainedFake


def screen_rows(app: Any, widget: Any) -> list[str]:
    """The widget's rows as it draws them in the region it has on the screen (which must lie
    inside its panel and the terminal: nothing cut off below)."""
    region, panel = widget.region, app.main.query_one(SamplePanel).region
    width, height = app.size
    assert region.height == widget.size.height and panel.contains_region(region)
    assert region.bottom <= height and region.right <= width
    return [widget.render_line(y).text for y in range(widget.size.height)]


def class_rows(rows: list[str]) -> dict[str, str]:
    """class name -> its row, for rows that start with a class name and end with a percent."""
    found = {}
    for row in rows:
        parts = row.split()
        if parts and parts[-1].endswith("%") and parts[0].isdigit():
            found[parts[0]] = row
    return found


async def check_ten(app: Any, pilot: Any, wait_for: Any, note: bool) -> None:
    probs = app.main.query_one(Probabilities)
    await wait_for(pilot, lambda: probs.probs.size == 10, "the probabilities")
    if note:
        await wait_for(pilot, lambda: probs.note == RANDOM_WEIGHTS, "the note")
    await pilot.pause()
    rows = screen_rows(app, probs)
    assert sorted(class_rows(rows)) == [str(i) for i in range(10)], rows
    assert (rows[0].strip() == RANDOM_WEIGHTS) is note
    digit = app.main.query_one(SamplePanel).query_one("#digit", HeatmapGrid)
    assert digit.size.height >= MIN_DIGIT_ROWS


@pytest.mark.parametrize("size", SIZES)
async def test_ten_probabilities_show_at_every_size(make_app, ready, wait_for, size) -> None:
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await check_ten(app, pilot, wait_for, note=False)


@pytest.mark.parametrize("size", SIZES)
async def test_ten_probabilities_and_the_random_weights_note(
    make_app, ready, wait_for, untrained_fake, size
) -> None:
    app, _ = make_app(untrained_fake())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await check_ten(app, pilot, wait_for, note=True)


async def test_ten_probabilities_after_a_resize_down_to_80x24(make_app, ready, wait_for) -> None:
    app, _ = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        await check_ten(app, pilot, wait_for, note=False)
