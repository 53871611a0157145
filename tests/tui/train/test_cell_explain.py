"""Pilot tests: a conv cell explained like the Conv lab does (strongest cell first, row and
column named, patch × kernel = products per input channel, the sums plus bias = output)."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import DataTable

from tui.train.cell_explain_text import cell_text, short_number
from tui.train.explain_panel import CellExplainPanel
from tui.train.inspector import Inspector
from tui.train.keys import train_keys
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (200, 60)]


def _explains(fake) -> list[dict]:
    return [kwargs for op, kwargs in fake.sent if op == "explain"]


def _strongest(fake, layer: str, channel: int, index: int = 0) -> tuple[int, int]:
    maps = fake.op_activations(layer, index)["maps"][channel]
    return tuple(int(v) for v in np.unravel_index(int(maps.argmax()), maps.shape))


async def _explaining(pilot, wait_for, words: str) -> CellExplainPanel:
    panel = pilot.app.main.query_one(Inspector).query_one(CellExplainPanel)
    await wait_for(pilot, lambda: words in panel.plain, what=words)
    return panel


@pytest.mark.parametrize("size", SIZES)
async def test_b_starts_at_the_strongest_cell_and_shows_the_products(
    size, make_app, wait_for, ready
) -> None:
    assert {"inspect('next_input')", "inspect('previous_input')"} <= {
        key.action for key in train_keys()
    }
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        inspector = app.main.query_one(Inspector)
        await pilot.press("b")
        row, col = _strongest(fake, "conv1", 0)
        panel = await _explaining(pilot, wait_for, f"row {row}, col {col} (strongest)")
        assert _explains(fake)[-1] == {"index": 0, "layer": "conv1", "channel": 0, "i": None,
                                       "j": None}  # fmt: skip
        reply = fake.op_explain("conv1", 0, 0)
        text = panel.plain
        assert "captured" not in text
        assert "patch" in text and "× kernel" in text and "= products" in text
        products = reply["products"][0]
        for value in products[0]:  # the first row of products, as the lab prints them
            assert short_number(value, 5) in text.splitlines()[2]
        s0 = float(products.sum())
        assert f"Σ products = s0 = {s0:.3f}" in text
        total = s0 + reply["bias"]
        assert f"+ bias 0.010 = {total:.3f}" in text and f"layer output {total:.3f}" in text
        assert all(len(line) <= panel.size.width for line in text.splitlines())
        assert "…" not in text  # nothing cut at 80 columns either
        maps = inspector.query_one("#activations", HeatmapGrid)
        assert maps.model.highlight == (0, (row, col, row + 1, col + 1))
        # below 110 columns the layer table gives the inspector its room, focus kept
        assert app.main.query_one("#left").display == (size[0] >= 110)
        assert app.focused is inspector
        await pilot.press("J", "L")  # a fixed cell from there
        panel = await _explaining(pilot, wait_for, f"row {row + 1}, col {col + 1} ·")
        assert _explains(fake)[-1] == {"index": 0, "layer": "conv1", "channel": 0,
                                       "i": row + 1, "j": col + 1}  # fmt: skip
        assert "strongest" not in panel.plain
        await pilot.press("b")  # off: the table and its focus come back
        await wait_for(pilot, lambda: app.main.query_one("#left").display, what="the table")
        assert isinstance(app.focused, DataTable) and not panel.display


@pytest.mark.parametrize("size", SIZES)
async def test_curly_brackets_pick_the_input_channel_without_asking_again(
    size, make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("j", "j", "j")
        await wait_for(pilot, lambda: app.main.train.layer_name == "conv2", what="conv2")
        await pilot.press("b")
        await _explaining(pilot, wait_for, "input ch 0 of 8")
        asked = len(_explains(fake))
        await pilot.press("right_curly_bracket", "right_curly_bracket")
        panel = await _explaining(pilot, wait_for, "input ch 2 of 8")
        reply = fake.op_explain("conv2", 0, 0)
        s2 = float(reply["products"][2].sum())
        assert f"Σ products = s2 = {s2:.3f}" in panel.plain
        for c, s_c in enumerate(reply["contributions"]):  # each channel's sum fits
            assert f"s{c} {float(s_c):.3f}" in panel.plain
        await pilot.press("left_curly_bracket", "left_curly_bracket", "left_curly_bracket")
        await _explaining(pilot, wait_for, "input ch 7 of 8")  # wraps
        assert len(_explains(fake)) == asked
        await pilot.press("right_square_bracket")  # another map: its own strongest cell
        row, col = _strongest(fake, "conv2", 1)
        await _explaining(pilot, wait_for, f"conv2 map 1 · row {row}, col {col} (strongest)")
        await pilot.press("l")  # another digit: asked again, still the strongest
        await wait_for(pilot, lambda: _explains(fake)[-1]["index"] == 1, what="digit 1")
        assert _explains(fake)[-1]["i"] is None


async def test_a_reply_for_another_layer_or_cell_is_never_shown(
    app_size, make_app, wait_for, ready
) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        inspector = app.main.query_one(Inspector)
        await pilot.press("b")
        panel = await _explaining(pilot, wait_for, "(strongest)")
        shown = panel.plain
        inspector.set_explanation(fake.op_explain("conv2", 0, 0))  # late, another layer
        inspector.set_explanation(fake.op_explain("conv1", 0, 0, 3, 3))  # a fixed cell's
        await pilot.pause()
        assert panel.plain == shown
        await pilot.press("j")  # another layer: explain mode ends
        await wait_for(pilot, lambda: not inspector.explaining, what="explain mode off")
        inspector.set_explanation(fake.op_explain("conv1", 0, 0))
        await pilot.pause()
        assert not panel.display


@pytest.mark.parametrize(("kernel", "width"), [(3, 40), (5, 78)])
def test_patch_kernel_products_fit_the_inspector(kernel: int, width: int) -> None:
    """3x3 kernels fit the inspector beside the table at 80x24; 5x5 ones its full width."""
    rng = np.random.default_rng(kernel)
    patch = rng.normal(size=(2, kernel, kernel)) * 2
    weights = rng.normal(size=(2, kernel, kernel)) * 0.3
    products = patch * weights
    payload = {"layer": "conv2", "out_channel": 3, "row": 12, "col": 7, "strongest": True,
               "channels": [0, 1], "patch": patch, "kernel": weights, "products": products,
               "contributions": products.sum(axis=(1, 2)), "bias": -0.2,
               "total": products.sum() - 0.2, "captured": products.sum() - 0.2}  # fmt: skip
    lines = cell_text(payload, 1, width).plain.splitlines()
    assert lines[0].startswith("conv2 map 3 · row 12, col 7 (strongest)")
    if width < 60:  # the input channel on a line of its own
        assert lines.pop(1) == "input ch 1 of 2"
    assert "× kernel" in lines[1] and "= products" in lines[1]  # side by side
    assert lines[2 + kernel] == f"Σ products = s1 = {products[1].sum():.3f}"
    assert all(len(line) <= width for line in lines)
    text = "\n".join(lines)
    assert f"= {payload['total']:.3f}" in text and f"layer output {payload['total']:.3f}" in text
