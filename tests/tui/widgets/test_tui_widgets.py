"""Pilot tests of the inspector widgets on a small app fed synthetic engine payloads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.strip import Strip

from engine.render.maps import quantize
from tui.train.inspector import Inspector
from tui.train.layer_table import LayerTable
from tui.train.probabilities import Probabilities
from tui.train.views import kernel_view
from tui.widgets.colorbar import ColorBar
from tui.widgets.heatmap import HeatmapGrid

RNG = np.random.default_rng(7)


def layer(name: str, kind: str, out: list[int], params: int, macs: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "input_shape": [-1, 1, 28, 28],
        "output_shape": out,
        "kernel_size": [3, 3] if kind == "Conv2d" else None,
        "params": params,
        "trainable": params > 0,
        "macs": macs,
    }


SUMMARY = {
    "layers": [
        layer("conv1", "Conv2d", [-1, 8, 28, 28], 80, 56448),
        layer("relu1", "ReLU", [-1, 8, 28, 28], 0, 0),
        layer("conv2", "Conv2d", [-1, 16, 14, 14], 1168, 2_289_280),
        layer("flatten", "Flatten", [-1, 3136], 0, 0),
        layer("fc1", "Linear", [-1, 10], 31370, 31360),
    ],
    "total_params": 32618,
    "trainable_params": 32618,
    "total_macs": 2_377_088,
}


def kernels(name: str, out: int, inp: int) -> dict[str, Any]:
    weights = RNG.normal(size=(out, inp, 3, 3)).astype(np.float32)
    return {
        "layer": name,
        "weights": weights,
        "range": (float(weights.min()), float(weights.max())),
    }


def activations(name: str, shape: tuple[int, ...], index: int = 3) -> dict[str, Any]:
    raw = np.maximum(RNG.normal(size=shape), 0).astype(np.float32)
    raw *= np.arange(1, shape[0] + 1, dtype=np.float32).reshape(-1, *([1] * (len(shape) - 1)))
    maps, ranges = quantize(raw)
    return {
        "layer": name,
        "maps": maps,
        "ranges": ranges,
        "shape": shape,
        "index": index,
        "label": 7,
        "pred": 7,
    }


def sample(label: int = 7, pred: int = 2) -> dict[str, Any]:
    probs = np.full(10, 0.02, np.float32)
    probs[pred] = 0.82
    image = np.zeros((28, 28), np.uint8)
    image[5:23, 13:16] = 255
    return {"index": 3, "image": image, "label": label, "pred": pred, "probs": probs}


class WidgetsApp(App):
    CSS = "LayerTable { width: 40; }"

    def __init__(self, mode: str = "truecolor") -> None:
        super().__init__()
        self.mode = mode
        self.selected: list[tuple[str, dict]] = []
        self.many_toggles: list[tuple[str | None, bool]] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield LayerTable()
            yield Inspector(color_mode=self.mode)

    def on_layer_table_layer_selected(self, message: LayerTable.LayerSelected) -> None:
        self.selected.append((message.name, message.row))

    def on_inspector_many_toggled(self, message: Inspector.ManyToggled) -> None:
        self.many_toggles.append((message.layer, message.enabled))

    def show(self, index: int, kernel_payload=None, act_payload=None) -> Inspector:
        inspector = self.query_one(Inspector)
        inspector.set_layer(SUMMARY["layers"][index])
        inspector.set_kernels(kernel_payload)
        inspector.set_activations(act_payload)
        return inspector


async def started(app: WidgetsApp, pilot) -> tuple[LayerTable, Inspector]:
    table, inspector = app.query_one(LayerTable), app.query_one(Inspector)
    table.load_summary(SUMMARY)
    inspector.set_model({"name": "tiny"}, SUMMARY)
    inspector.set_sample(sample())
    await pilot.pause()
    return table, inspector


def lines(widget) -> list[Strip]:
    return [widget.render_line(y) for y in range(widget.size.height)]


def text_of(widget) -> str:
    return "\n".join(strip.text for strip in lines(widget))


def colours_in(strips: list[Strip]) -> set:
    return {
        (seg.style.color, seg.style.bgcolor)
        for strip in strips
        for seg in strip
        if seg.style is not None and (seg.style.color or seg.style.bgcolor)
    }


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_rows_appear_and_cursor_posts_layer_selected(size):
    app = WidgetsApp()
    async with app.run_test(size=size) as pilot:
        table, _ = await started(app, pilot)
        assert table.row_count == len(SUMMARY["layers"]) + 1
        assert app.selected[-1][0] == "conv1"
        params = list(table.columns).index("params")  # the type column comes and goes
        assert table.get_row_at(2)[params].plain.strip() in ("1,168", "1.17k")
        assert table.get_row_at(5)[params].plain.strip() in ("32,618", "32.6k")  # totals row
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert app.selected[-1][0] == "relu1" and table.selected_name == "relu1"
        await pilot.press("j", "j", "k")
        await pilot.pause()
        assert [name for name, _ in app.selected][-3:] == ["conv2", "flatten", "conv2"]
        assert app.selected[-1][1]["params"] == 1168


async def test_totals_row_is_not_selectable():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table, _ = await started(app, pilot)
        for _ in range(8):
            table.select_next()
        await pilot.pause()
        assert table.selected_name == "fc1"
        table.move_cursor(row=5)  # the totals row
        await pilot.pause()
        assert table.cursor_row == 4 and app.selected[-1][0] == "fc1"
        table.select_previous()
        await pilot.pause()
        assert app.selected[-1][0] == "flatten"


async def test_paging_changes_indicator_and_titles():
    app = WidgetsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        inspector = app.show(2, kernels("conv2", 16, 8), activations("conv2", (16, 14, 14)))
        await pilot.pause()
        grid = inspector.query_one("#activations", HeatmapGrid)
        assert grid.page_count > 1
        first_titles = grid.visible_titles
        assert "page 1/" in text_of(grid).splitlines()[0]
        grid.next_page()
        await pilot.pause()
        assert "page 2/" in text_of(grid).splitlines()[0]
        assert grid.visible_titles != first_titles
        assert grid.visible_titles[0] in text_of(grid)
        grid.previous_page()
        assert grid.page == 0 and not grid.previous_page()


async def test_scale_toggle_changes_colour_bar_range():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        payload = activations("conv1", (8, 28, 28))
        inspector = app.show(0, kernels("conv1", 8, 1), payload)
        await pilot.pause()
        bar = inspector.query_one("#activations-scale", ColorBar)
        assert bar.lo == pytest.approx(float(payload["ranges"][:, 0].min()))
        assert bar.hi == pytest.approx(float(payload["ranges"][:, 1].max()))
        shared_text = text_of(bar)
        assert "shared scale" in shared_text
        inspector.toggle_scale()
        await pilot.pause()
        assert bar.lo is None and bar.hi is None and "per-map scale" in text_of(bar)
        assert text_of(bar) != shared_text
        inspector.toggle_scale()
        await pilot.pause()
        assert bar.hi == pytest.approx(float(payload["ranges"][:, 1].max()))


async def test_channel_stepping_and_mean_change_the_drawn_kernels():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        payload = kernels("conv2", 16, 3)
        inspector = app.show(2, payload, activations("conv2", (16, 14, 14)))
        await pilot.pause()
        grid = inspector.query_one("#kernels", HeatmapGrid)
        first = grid.model.codes.copy()
        assert "in 1/3" in text_of(grid)
        inspector.next_channel()
        await pilot.pause()
        assert inspector.channel == 1 and "in 2/3" in text_of(grid)
        expected = kernel_view(payload, 1, False, True).maps
        assert np.array_equal(grid.model.codes, np.rint(expected * 255).astype(np.int16))
        assert not np.array_equal(grid.model.codes, first)
        inspector.previous_channel()
        inspector.previous_channel()
        await pilot.pause()
        assert inspector.channel == 2
        inspector.toggle_mean()
        await pilot.pause()
        assert "mean" in text_of(grid)


async def test_ascii_mode_emits_no_colour():
    app = WidgetsApp(mode="ascii")
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        inspector = app.show(0, kernels("conv1", 8, 1), activations("conv1", (8, 28, 28)))
        await pilot.pause()
        drawn = [w for w in inspector.query("HeatmapGrid, ColorBar")]
        assert all(colours_in(lines(w)) == set() for w in drawn)
        assert any(ch in text_of(inspector.query_one("#activations")) for ch in "#%@")
        inspector.set_color_mode("truecolor")
        await pilot.pause()
        assert colours_in(lines(inspector.query_one("#activations", HeatmapGrid)))


async def test_strips_are_cached_until_data_changes():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        inspector = app.show(0, kernels("conv1", 8, 1), activations("conv1", (8, 28, 28)))
        await pilot.pause()
        grid = inspector.query_one("#activations", HeatmapGrid)
        builds = grid.builds
        first = grid.render_line(3)
        assert grid.render_line(3) is first and grid.builds == builds
        inspector.set_activations(activations("conv1", (8, 28, 28)))
        assert grid.render_line(3) is not first and grid.builds == builds + 1


async def test_layer_without_weights_and_dense_layer():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        inspector = app.show(1, None, activations("relu1", (8, 28, 28)))
        await pilot.pause()
        title = str(inspector.query_one("#inspector-title").render())
        assert "no weights" in title
        kernels = inspector.query_one("#kernels", HeatmapGrid)
        story = inspector.query_one("#layer-story")  # issue 14: the layer's story, not kernels
        assert not kernels.display and story.display and story.line_text == "relu1: …"
        weights = RNG.normal(size=(10, 3136)).astype(np.float32)
        inspector = app.show(
            4,
            {"layer": "fc1", "weights": weights, "range": (-1, 1)},
            activations("fc1", (1, 1, 10)),
        )
        await pilot.pause()
        kgrid = inspector.query_one("#kernels", HeatmapGrid)
        agrid = inspector.query_one("#activations", HeatmapGrid)
        assert kgrid.display and kgrid.count == 1 and "weights 10×3136" in text_of(kgrid)
        assert agrid.layout_info.kind == "vector"


async def test_many_view_rows_per_digit():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        inspector = app.show(0, kernels("conv1", 8, 1), activations("conv1", (8, 28, 28)))
        inspector.toggle_many()
        await pilot.pause()
        assert app.many_toggles == [("conv1", True)]
        grid = inspector.query_one("#activations", HeatmapGrid)
        assert "loading" in text_of(grid)
        items = [activations("conv1", (8, 28, 28), index=i) for i in range(3)]
        items[1]["pred"] = 1
        inspector.set_many({"layer": "conv1", "items": items})
        await pilot.pause()
        assert grid.layout_info.kind == "table"
        text = text_of(grid)
        assert "7→7" in text and "7→1✗" in text
        inspector.toggle_many()
        await pilot.pause()
        assert app.many_toggles[-1] == ("conv1", False) and grid.layout_info.kind == "flow"


async def test_sample_probabilities_and_message():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        _, inspector = await started(app, pilot)
        probs = inspector.query_one(Probabilities)
        text = str(probs.as_text())
        assert len(text.splitlines()) == 10
        assert "T " in text.splitlines()[7] and "P" in text.splitlines()[2]
        assert "true 7 pred 2" in text_of(inspector.query_one("#digit"))
        inspector.set_message("loading…")
        await pilot.pause()
        note = inspector.query_one("#inspector-message")
        assert note.display and "loading" in str(note.render())
        inspector.set_message("")
        await pilot.pause()
        assert not note.display


async def test_colour_photo_and_thousand_classes():
    app = WidgetsApp()
    async with app.run_test(size=(160, 40)) as pilot:
        _, inspector = await started(app, pilot)
        image = np.zeros((3, 64, 64), np.uint8)
        image[0] = 200  # a red picture, channels first as AlexNet's sample reply has it
        probs = np.full(1000, 0.5 / 999, np.float32)
        probs[281] = 0.5
        names = [f"class {i}" for i in range(1000)]
        names[281] = "tabby cat"
        inspector.class_names = names
        inspector.set_sample(
            {"index": -1, "image": image, "label": -1, "pred": 281, "probs": probs}
        )
        await pilot.pause()
        digit = inspector.query_one("#digit", HeatmapGrid)
        assert digit.model.rgb and digit.count == 1
        assert text_of(digit).startswith("pred tabby cat")
        reds = {
            seg.style.bgcolor.triplet
            for strip in lines(digit)
            for seg in strip
            if seg.style is not None
            and seg.style.bgcolor is not None
            and seg.text == " " * len(seg.text)
            and seg.style.bgcolor.triplet is not None
            and seg.style.bgcolor.triplet.red > 150
        }
        assert reds
        probs_widget = inspector.query_one(Probabilities)
        rows = str(probs_widget.as_text()).splitlines()
        assert len(rows) == min(probs_widget.size.height, 1000) and "tabby cat" in rows[0]


async def test_kernels_area_keeps_its_height_for_a_layer_and_fits_another():
    app = WidgetsApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await started(app, pilot)
        inspector = app.show(3, kernels("conv2", 16, 8), activations("conv2", (16, 11, 11)))
        await pilot.pause()
        grid = inspector.query_one("#kernels", HeatmapGrid)
        tall = grid.size.height
        inspector.set_kernels(kernels("conv2", 16, 8))  # a live refresh of the same layer
        await pilot.pause()
        assert grid.size.height == tall
        inspector = app.show(0, kernels("conv1", 2, 1), activations("conv1", (8, 28, 28)))
        await pilot.pause()
        assert grid.count == 2 and 0 < grid.size.height < tall  # another layer fits anew
        inspector = app.show(1, None, activations("relu1", (8, 28, 28)))
        await pilot.pause()
        assert not grid.display and inspector.query_one("#layer-story").display


async def test_training_bars_are_full_at_epoch_end_though_progress_lagged() -> None:
    from textual.widgets import ProgressBar

    from engine.training.events import EpochEnd, Progress, Started
    from tui.train.training_pane import TrainingPane

    class PaneApp(App):
        def compose(self) -> ComposeResult:
            yield TrainingPane()

    async with PaneApp().run_test(size=(80, 30)) as pilot:
        pane = pilot.app.query_one(TrainingPane)
        pane.start(Started(run_dir="r", model="m", device="cpu", epochs=2, steps_per_epoch=10))
        # The engine's last Progress of the epoch came at step 7 (it sends a few per second).
        pane.progress(
            Progress(
                epoch=1,
                step=7,
                steps_per_epoch=10,
                global_step=7,
                loss=1.0,
                acc=0.5,
                lr=0.01,
                samples_per_sec=1.0,
                elapsed=1.0,
            )
        )
        ends = dict(train_loss=0.1, train_acc=0.9, test_loss=0.1, test_acc=0.9, seconds=1, lr=0.1)
        pane.epoch_end(EpochEnd(epoch=1, **ends))
        run_bar = pane.query_one("#run-bar", ProgressBar)
        assert (run_bar.progress, pane.query_one("#epoch-bar", ProgressBar).progress) == (10, 10)
        pane.epoch_end(EpochEnd(epoch=2, **ends))
        await pilot.pause()
        assert run_bar.percentage == 1.0
