"""Pilot tests of the inspector's explain mode (a conv cell as multiply-adds) on a fake engine."""

from __future__ import annotations

from tui.train.explain_panel import CellExplainPanel
from tui.train.inspector import Inspector
from tui.train.keys import train_keys
from tui.widgets.heatmap import HeatmapGrid


def _explain_requests(fake) -> list[dict]:
    return [kwargs for op, kwargs in fake.sent if op == "explain"]


async def test_explain_key_toggles_mode_and_cell_keys_ask_again(make_app, wait_for, ready) -> None:
    assert any(k.action == "inspect('toggle_explain')" for k in train_keys())
    app, fake = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        inspector = app.main.query_one(Inspector)
        note = inspector.query_one("#inspector-explain", CellExplainPanel)
        digit = inspector.query_one("#digit", HeatmapGrid)
        maps = inspector.query_one("#activations", HeatmapGrid)
        assert not inspector.explaining and not note.display
        await pilot.press("b")
        await wait_for(pilot, lambda: "layer output" in note.plain, what="the explanation")
        assert inspector.explaining and note.display
        first = fake.op_explain("conv1", 0, 0)  # the strongest cell of map 0
        i, j = first["row"], first["col"]
        assert note.plain.startswith(f"conv1 map 0 · row {i}, col {j} (strongest)")
        assert digit.model.highlight == (0, first["input_box_clipped"])
        assert maps.model.highlight == (0, (i, j, i + 1, j + 1))
        await pilot.press("J", "L", "L", "right_square_bracket")
        await wait_for(pilot, lambda: f"conv1 map 1 · row {i + 1}, col {j + 2}" in note.plain)
        assert _explain_requests(fake)[-1] == {
            "index": 0,
            "layer": "conv1",
            "channel": 1,
            "i": i + 1,
            "j": j + 2,
        }
        assert maps.model.highlight == (1, (i + 1, j + 2, i + 2, j + 3))
        moved = fake.op_explain("conv1", 0, 1, i + 1, j + 2)
        assert digit.model.highlight == (0, moved["input_box_clipped"])
        await pilot.press("l")  # a new sample asks again for the same cell
        await wait_for(pilot, lambda: _explain_requests(fake)[-1]["index"] == 1, what="sample")
        await pilot.press("b")
        await pilot.pause()
        assert not inspector.explaining and not note.display
        assert digit.model.highlight is None and maps.model.highlight is None


async def test_explain_refuses_layers_without_kernels(app_size, make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: app.main.train.layer_name == "relu1")
        await pilot.press("b")
        await pilot.pause()
        assert not app.main.query_one(Inspector).explaining
        assert not _explain_requests(fake)
