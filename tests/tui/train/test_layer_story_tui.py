"""Pilot tests: every layer explained in place (the inspector's story of a layer without kernels,
dense weights as 28x28 templates or a matrix filling the kernels area)."""

from __future__ import annotations

import numpy as np
import pytest
from fake_layer_stories import mlp_engine

from tui.train.inspector import Inspector
from tui.train.layer_story_view import LayerStoryView
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (200, 60)]


def _stories(fake) -> list[dict]:
    return [kwargs for op, kwargs in fake.sent if op == "layer_story"]


def _parts(app) -> tuple[Inspector, LayerStoryView, HeatmapGrid, HeatmapGrid]:
    inspector = app.main.query_one(Inspector)
    return (
        inspector,
        inspector.query_one(LayerStoryView),
        inspector.query_one("#story-before", HeatmapGrid),
        inspector.query_one("#story-after", HeatmapGrid),
    )


async def _select(pilot, wait_for, name: str, presses: int) -> None:
    app = pilot.app
    for _ in range(presses):
        await pilot.press("j")
    await wait_for(pilot, lambda: app.main.train.layer_name == name, what=name)
    inspector = app.main.query_one(Inspector)
    story = inspector.query_one(LayerStoryView)

    def shown() -> bool:
        return bool(inspector.state.story and inspector.state.story["layer"] == name and story.view)

    await wait_for(pilot, shown, what=f"{name}'s story")


@pytest.mark.parametrize("size", SIZES)
async def test_relu_shows_negatives_zeroed_before_and_after(
    size, make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await _select(pilot, wait_for, "relu1", 1)
        inspector, story, before, after = _parts(app)
        expected = fake.op_layer_story("relu1", 0)
        assert _stories(fake)[-1] == {"layer": "relu1", "index": 0}
        assert story.display and story.line_text.startswith("ReLU sets negative values to 0")
        assert f"{expected['zeroed']:,} of {expected['before'].size:,}" in story.line_text
        # the kernels area is the story's: no "no kernels in a ReLU layer"
        assert not inspector.query_one("#kernels", HeatmapGrid).display
        assert before.region.area and after.region.area  # both drawn
        assert before.model.cmap == "diverging" and after.model.cmap == "sequential"
        channel = expected["channel"]
        negatives = int((expected["before"][channel] < 0).sum())
        assert f"{negatives:,} of 784 values below 0 in this map" in story.detail_text
        assert before.model.caption == f"before · ch {channel}"
        await pilot.press("right_square_bracket")  # the next map, before and after
        await wait_for(pilot, lambda: before.model.caption == f"before · ch {channel + 1}")
        assert after.model.caption == f"after · ch {channel + 1}"
        await pilot.press("l")  # another digit: asked again, drawn when it comes
        await wait_for(pilot, lambda: inspector.state.story.get("index") == 1, what="digit 1")
        assert _stories(fake)[-1] == {"layer": "relu1", "index": 1}
        fresh = fake.op_layer_story("relu1", 1)
        assert f"{fresh['zeroed']:,} of" in story.line_text


@pytest.mark.parametrize("size", SIZES)
async def test_pooling_shows_the_window_and_the_value_it_keeps(
    size, make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await _select(pilot, wait_for, "pool1", 2)
        _, story, before, after = _parts(app)
        expected = fake.op_layer_story("pool1", 0)
        c, i, j = expected["cell"]
        assert story.line_text.startswith("MaxPool2d keeps the max of each 2x2 window")
        kept = f"{expected['kept']:.3f}".rstrip("0")
        assert f"→ max {kept} = output {kept}" in story.detail_text
        assert f"out ch {c}, row {i}, col {j} ← rows" in story.detail_text
        assert f"[{kept}]" in story.detail_text  # the kept value marked in the window
        rows, cols = expected["rows"], expected["cols"]
        assert before.model.highlight == (0, (rows[0], cols[0], rows[-1] + 1, cols[-1] + 1))
        assert after.model.highlight == (0, (i, j, i + 1, j + 1))


@pytest.mark.parametrize("size", SIZES)
async def test_flatten_shows_the_index_of_a_cell(size, make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await _select(pilot, wait_for, "flatten", 6)
        _, story, before, after = _parts(app)
        expected = fake.op_layer_story("flatten", 0)
        c, y, x = expected["cell"]
        assert story.line_text.startswith("Flatten: 16×7×7 → one vector of 784")
        assert f"({c}, {y}, {x}) → {c}·49 + {y}·7 + {x} = {c * 49 + y * 7 + x}" in (
            story.detail_text
        )
        # the vector laid out 28 to a row, the cell's value outlined at its index
        assert after.model.caption == "after 784" and after.model.codes.shape[1:] == (28, 28)
        index = c * 49 + y * 7 + x
        assert after.model.highlight == (0, (index // 28, index % 28, index // 28 + 1,
                                             index % 28 + 1))  # fmt: skip
        assert before.model.highlight == (0, (y, x, y + 1, x + 1))


async def test_a_late_story_of_another_layer_is_never_shown(
    app_size, make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await _select(pilot, wait_for, "relu1", 1)
        inspector, story, _, _ = _parts(app)
        stale = fake.op_layer_story("relu1", 0)
        await _select(pilot, wait_for, "pool1", 1)
        inspector.set_story(stale)  # relu1's reply arriving after the move
        await pilot.pause()
        assert story.line_text.startswith("MaxPool2d")
        got_story = app.main.train.replies["story"]  # the tab's check: another digit's story
        got_story(fake.op_layer_story("pool1", 5), {"layer": "pool1", "index": 5})
        assert inspector.state.story["index"] == 0


@pytest.mark.parametrize("size", SIZES)
async def test_conv_layers_keep_their_kernels_under_the_line(
    size, make_app, wait_for, ready
) -> None:
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        inspector, story, before, _ = _parts(app)
        await wait_for(pilot, lambda: story.view is not None, what="conv1's story")
        assert story.line_text.startswith("Conv2d: each of 8 maps")
        assert story.display == (size[1] > 24)  # a short screen keeps the room for kernels
        assert inspector.query_one("#kernels", HeatmapGrid).display
        assert not story.query_one("#story-maps").display and before.region.area == 0


@pytest.mark.parametrize("size", SIZES)
async def test_dense_layer_fed_by_the_image_draws_each_unit_as_a_template(
    size, make_app, fake_engine_class, wait_for, ready
) -> None:
    app, fake = make_app(mlp_engine(fake_engine_class)())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: app.main.train.layer_name == "fc1")
        kernels = app.main.query_one(Inspector).query_one("#kernels", HeatmapGrid)
        await wait_for(pilot, lambda: kernels.count == 24, what="24 templates")
        assert kernels.model.codes.shape[1:3] == (28, 28)
        assert kernels.model.cmap == "diverging"
        assert "each unit's 28×28 template" in kernels.model.caption
        weights = fake.op_kernels("fc1")["weights"]
        assert np.argmax(weights[0]) == np.argmax(kernels.model.codes[0])  # unit 0's row


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (200, 60)])
async def test_a_dense_matrix_fills_the_kernels_area(size, make_app, wait_for, ready) -> None:
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await _select(pilot, wait_for, "fc1", 7)
        kernels = app.main.query_one(Inspector).query_one("#kernels", HeatmapGrid)
        await wait_for(pilot, lambda: kernels.count == 1, what="the weight matrix")
        await pilot.pause()
        layout = kernels.layout_info
        rows = (layout.map_h + 1) // 2
        assert rows >= kernels.size.height - 2  # every line but the header (not a strip)
        assert layout.map_w >= kernels.size.width - 1
