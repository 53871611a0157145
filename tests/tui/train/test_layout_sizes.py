"""The Train tab at 80x24, 100x30, 120x40 and 200x60: the layer table's four columns and its
pinned totals row for small and big models, the footer's ? and q, maps that fill their area,
and grids that fit again after another layer (or explain mode) was in view."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from tui.train.layer_table import LayerTable
from tui.widgets.footer import FittedFooter
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


def row(name: str, kind: str, out: tuple, params: int = 0, macs: int = 0) -> dict[str, Any]:
    """A summary row (as engine.inspect.summary writes it); the input shape is not shown."""
    return {"name": name, "type": kind, "input_shape": [-1, 1, 28, 28],
            "output_shape": [-1, *out], "kernel_size": None, "params": params,
            "trainable": params > 0, "macs": macs}  # fmt: skip


# The engine's own summaries (python -m engine summary --model NAME --json), shortened.
MODELS: dict[str, list[dict[str, Any]]] = {
    "fast-net": [
        row("conv1", "Conv2d", (8, 28, 28), 80, 62720),
        row("relu1", "ReLU", (8, 28, 28)),
        row("pool1", "MaxPool2d", (8, 14, 14)),
        row("conv2", "Conv2d", (16, 14, 14), 1152, 225792),
        row("bn1", "BatchNorm2d", (16, 14, 14), 32, 32),
        row("relu2", "ReLU", (16, 14, 14)),
        row("pool2", "MaxPool2d", (16, 7, 7)),
        row("conv3", "Conv2d", (32, 7, 7), 4608, 225792),
        row("bn2", "BatchNorm2d", (32, 7, 7), 64, 64),
        row("relu3", "ReLU", (32, 7, 7)),
        row("flatten", "Flatten", (1568,)),
        row("fc1", "Linear", (128,), 200704, 200704),
        row("bn3", "BatchNorm1d", (128,), 256, 256),
        row("relu4", "ReLU", (128,)),
        row("fc2", "Linear", (10,), 1290, 1290),
    ],
    "lenet5": [
        row("conv1", "Conv2d", (6, 28, 28), 156, 122304),
        row("relu1", "ReLU", (6, 28, 28)),
        row("pool1", "MaxPool2d", (6, 14, 14)),
        row("conv2", "Conv2d", (16, 10, 10), 2416, 241600),
        row("relu2", "ReLU", (16, 10, 10)),
        row("pool2", "MaxPool2d", (16, 5, 5)),
        row("flatten", "Flatten", (400,)),
        row("fc1", "Linear", (120,), 48120, 48120),
        row("fc2", "Linear", (84,), 10164, 10164),
        row("fc3", "Linear", (10,), 850, 850),
    ],
    "alexnet": [
        row("features.0", "Conv2d", (64, 55, 55), 23296, 70470400),
        row("features.1", "ReLU", (64, 55, 55)),
        row("features.2", "MaxPool2d", (64, 27, 27)),
        row("features.3", "Conv2d", (192, 27, 27), 307392, 224088768),
        row("features.5", "MaxPool2d", (192, 13, 13)),
        row("features.6", "Conv2d", (384, 13, 13), 663936, 112205184),
        row("features.8", "Conv2d", (256, 13, 13), 884992, 149563648),
        row("features.10", "Conv2d", (256, 13, 13), 590080, 99723520),
        row("features.12", "MaxPool2d", (256, 6, 6)),
        row("avgpool", "AdaptiveAvgPool2d", (256, 6, 6)),
        row("classifier.0", "Dropout", (9216,)),
        row("classifier.1", "Linear", (4096,), 37752832, 37752832),
        row("classifier.2", "ReLU", (4096,)),
        row("classifier.4", "Linear", (4096,), 16781312, 16781312),
        row("classifier.6", "Linear", (1000,), 4097000, 4097000),
    ],
    "c128-p-c256-f1024": [  # a spec with long output shapes
        row("conv1", "Conv2d", (128, 28, 28), 1280, 1003520),
        row("relu1", "ReLU", (128, 28, 28)),
        row("pool1", "MaxPool2d", (128, 14, 14)),
        row("conv2", "Conv2d", (256, 14, 14), 295168, 57802752),
        row("relu2", "ReLU", (256, 14, 14)),
        row("flatten", "Flatten", (50176,)),
        row("fc1", "Linear", (1024,), 51381248, 51381248),
        row("fc2", "Linear", (10,), 10250, 10250),
    ],
}


@pytest.fixture
def summary_engine(fake_engine_class):
    """A FakeEngine whose ``load`` answers with the summary of ``layers``."""

    class SummaryEngine(fake_engine_class):
        def __init__(self, layers: list[dict[str, Any]]) -> None:
            super().__init__()
            self.layers = layers

        def op_load(self, model=None, checkpoint=None, weights=None) -> dict[str, Any]:
            payload = super().op_load(model, checkpoint, weights)
            total = sum(layer["params"] for layer in self.layers)
            payload["summary"] = {
                **payload["summary"],
                "layers": self.layers,
                "total_params": total,
                "trainable_params": total,
                "total_macs": sum(layer["macs"] for layer in self.layers),
            }
            payload["layers"] = [layer["name"] for layer in self.layers]
            return payload

    return SummaryEngine


def table_lines(table: LayerTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def compact_forms(value: int) -> tuple[str, ...]:
    """How a count may read in the table: exact (1,152) or compact (1.15k)."""
    from tui.train.formatting import format_count, format_macs

    return format_count(value), format_macs(value)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("model", list(MODELS))
async def test_layer_table_shows_four_columns_and_its_totals(
    size, model, make_app, summary_engine, wait_for
):
    layers = MODELS[model]
    app, _ = make_app(summary_engine(layers))
    async with app.run_test(size=size) as pilot:
        table = app.main.train
        await wait_for(pilot, lambda: table.built and table.table.layer_rows, "the table")
        await pilot.pause()
        table = app.main.query_one(LayerTable)
        keys = [str(key.value) for key in table.columns]
        assert {"name", "output", "params", "macs"} <= set(keys)
        widths = sum(column.get_render_width(table) for column in table.columns.values())
        assert widths <= table.scrollable_content_region.width  # no column cut at the edge
        lines = table_lines(table)
        assert "params" in lines[0] and "MACs" in lines[0]
        first = lines[1]
        assert first.split()[0] == layers[0]["name"]
        assert any(form in first for form in compact_forms(layers[0]["params"]))
        assert any(form in first for form in compact_forms(layers[0]["macs"]))
        totals = [line for line in lines if line.split()[:1] == ["total"]]
        assert totals, f"the totals row is not in view: {lines}"
        total_macs = sum(layer["macs"] for layer in layers)
        assert any(form in totals[0] for form in compact_forms(total_macs))
        # Moving to the last layer keeps both it and the totals row in view.
        for _ in layers:
            await pilot.press("j")
        await pilot.pause()
        lines = table_lines(table)
        assert any(line.split()[:1] == ["total"] for line in lines)
        assert any(line.split()[:1] == [layers[-1]["name"][:5]] or
                   layers[-1]["name"][-3:] in line.split()[0] for line in lines[1:-1])  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
async def test_footer_keeps_help_and_quit_in_view(size, make_app, ready):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.pause()
        footer = app.main.query_one(FittedFooter)
        keys = {key.key_display: key for key in footer.query(FooterKey)}
        palette = next(key for key in footer.query(FooterKey) if key.has_class("-command-palette"))
        for display in ("?", "q"):
            assert display in keys, f"{display} is not in the footer at {size}"
            assert keys[display].region.right <= palette.region.x  # not cut or hidden


async def test_the_footer_and_keys_come_back_after_the_terminal_was_too_small(
    make_app, ready, wait_for
):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        footer = app.main.query_one(FittedFooter)
        shown = {key.action for key in footer.query(FooterKey)}
        await pilot.resize_terminal(60, 20)  # the too-small notice hides the workbench
        await pilot.pause()
        await pilot.resize_terminal(100, 30)
        await wait_for(pilot, lambda: {k.action for k in footer.query(FooterKey)} == shown)
        assert app.main.focused is not None  # the tab's keys work again
        assert "inspect('next_page')" in {k.action for k in footer.query(FooterKey)}


async def select(pilot, wait_for, name: str) -> tuple[HeatmapGrid, HeatmapGrid]:
    """Move the table to layer ``name``; its kernels and maps drawn."""
    app = pilot.app
    tab = app.main.train
    names = [layer["name"] for layer in tab.table.layer_rows]
    step = names.index(name) - names.index(tab.layer_name)
    await pilot.press(*(["j"] * step if step > 0 else ["k"] * -step))
    inspector = tab.inspector
    kernels = inspector.query_one("#kernels", HeatmapGrid)
    maps = inspector.query_one("#activations", HeatmapGrid)
    await wait_for(pilot, lambda: inspector.layer_name == name and maps.count, name)
    await wait_for(pilot, lambda: not app.link.pending, "the replies")
    await pilot.pause()
    await pilot.pause()
    return kernels, maps


def rows_used(grid: HeatmapGrid) -> int:
    """Lines of the grid that its page's maps (and their titles) take."""
    layout = grid.layout_info
    bottom = max(y for _, _, y in layout.placements)
    return bottom + (layout.map_h + 1) // 2 + int(layout.titles)


async def test_maps_grow_to_fill_a_big_terminal(make_app, ready, wait_for):
    app, _ = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        _, maps = await select(pilot, wait_for, "pool2")  # 16 maps of 7x7
        layout = maps.layout_info
        assert layout.zoom >= 2 and layout.page_count == 1
        assert rows_used(maps) >= maps.size.height // 2
        _, maps = await select(pilot, wait_for, "conv1")  # 8 maps of 28x28
        layout = maps.layout_info
        assert layout.page_count == 1 and layout.map_w > 14  # not halved to fit
        assert rows_used(maps) >= maps.size.height // 2


@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
async def test_grids_fit_again_after_another_layer(size, make_app, ready, wait_for):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        kernels, maps = await select(pilot, wait_for, "conv1")
        first = (kernels.size.height, len(maps.visible_indices), maps.page_count)
        await select(pilot, wait_for, "conv2")  # more kernels: a taller kernels area
        assert kernels.size.height > first[0]
        kernels, maps = await select(pilot, wait_for, "conv1")
        assert (kernels.size.height, len(maps.visible_indices), maps.page_count) == first
        await pilot.press("b")  # explain mode and back
        await pilot.pause()
        await pilot.press("b")
        await wait_for(pilot, lambda: not app.link.pending, "the replies")
        await pilot.pause()
        assert (kernels.size.height, len(maps.visible_indices), maps.page_count) == first
