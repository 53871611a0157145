"""The app without colour (--ascii, NO_COLOR) draws maps with the CLI's shading ramp
(engine.render.ascii_ramp): the same characters for the same values, the sign of signed maps
kept, a 28x28 map about twice as wide as tall in characters, and legends naming the ramp's ends."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from textual.app import App, ComposeResult

from engine.render.ascii_ramp import (
    DIVERGING_SHADES,
    NEGATIVE_SHADES,
    POSITIVE_SHADES,
    SEQUENTIAL_SHADES,
)
from engine.render.colormap import DIVERGING, SEQUENTIAL
from engine.render.maps import quantize, scale_maps
from engine.render.terminal import heatmap_lines
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.widgets.colorbar import ColorBar
from tui.widgets.halfblock import codes_from_values, map_rows
from tui.widgets.heatmap import HeatmapGrid
from tui.widgets.palette import get_palette

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


def drawn(values: np.ndarray, cmap: str) -> list[str]:
    """The app's ASCII rows of one map (tui.widgets.halfblock + palette)."""
    palette = get_palette("ascii", cmap)
    rows = map_rows(palette.keys(codes_from_values(values)), palette)
    return ["".join(segment.text for segment in row) for row in rows]


@pytest.mark.parametrize(
    ("cmap", "lut", "ramp"),
    [("sequential", SEQUENTIAL, SEQUENTIAL_SHADES), ("diverging", DIVERGING, DIVERGING_SHADES)],
)
def test_the_app_draws_the_clis_characters(cmap: str, lut: np.ndarray, ramp: str) -> None:
    # values at the middle of each shade's bin: no rounding can tip them into another shade
    centres = (np.arange(len(ramp)) + 0.5) / len(ramp)
    values = np.repeat(centres, 3)[None].repeat(4, axis=0)
    assert drawn(values, cmap) == heatmap_lines(values, lut, "ascii")
    assert drawn(values, cmap)[0] == "".join(ch * 3 for ch in ramp)  # every shade, in order


def test_a_signed_map_and_its_negative_differ_in_the_app() -> None:
    base = np.random.default_rng(3).uniform(0.3, 1.0, size=(8, 8))
    scaled = scale_maps(np.stack([-base, base]), symmetric=True).values
    negative = set("".join(drawn(scaled[0], "diverging"))) - {" "}
    positive = set("".join(drawn(scaled[1], "diverging"))) - {" "}
    assert negative <= set(NEGATIVE_SHADES) and positive <= set(POSITIVE_SHADES)
    assert negative and positive


class GridApp(App):
    def __init__(self, cmap: str) -> None:
        super().__init__()
        self.cmap = cmap

    def compose(self) -> ComposeResult:
        yield HeatmapGrid(color_mode="ascii", id="grid")
        yield ColorBar(color_mode="ascii", id="bar")


def grid_text(grid: HeatmapGrid) -> list[str]:
    return [grid.render_line(y).text for y in range(grid.size.height)]


@pytest.mark.parametrize("fill", [False, True], ids=["as-is", "filling-the-area"])
async def test_a_28x28_map_is_twice_as_wide_as_tall_in_characters(fill: bool) -> None:
    app = GridApp("sequential")
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(HeatmapGrid)
        grid.model.fill = fill
        grid.set_maps(np.ones((1, 28, 28), np.float32), titles=["digit"])
        await pilot.pause()
        rows = [line for line in grid_text(grid) if "@" in line]
        width, height = max(line.count("@") for line in rows), len(rows)
        assert height >= 14 and width / height == pytest.approx(2.0, rel=0.1)


async def test_the_ascii_colour_bar_names_the_ramp_its_ends_and_zero() -> None:
    app = GridApp("diverging")
    async with app.run_test(size=(60, 10)) as pilot:
        bar = app.query_one(ColorBar)
        bar.set_scale(-0.39, 0.39, "diverging", "shared scale")
        await pilot.pause()
        assert bar.render_line(0).text.startswith("-0.39 [Xx=~-] 0 [.:+*#] 0.39 shared scale")
        bar.set_scale(0.0, 3.5, "sequential", "")
        await pilot.pause()
        assert bar.render_line(0).text.startswith("0 [ .:-=+*#%@] 3.5")


# ------------------------------------------------------------------ the app itself, NO_COLOR


@pytest.fixture
def signed_engine_class(eval_engine_class: type) -> type:
    """The eval engine whose conv outputs are signed (a conv before its ReLU)."""

    class SignedEngine(eval_engine_class):
        def _maps(self, layer: str, index: int) -> dict[str, Any]:
            payload = super()._maps(layer, index)
            maps = np.asarray(payload["maps"], np.float32) / 255.0 - 0.3  # below 0 around
            if maps.shape[1] > 1:
                payload["maps"], payload["ranges"] = quantize(maps)
            return payload

    return SignedEngine


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_monochrome_app_keeps_sign_and_ramp(
    size, signed_engine_class, wait_for, monkeypatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    fake = signed_engine_class()
    options = AppOptions(config=make_config("fast", model="tiny"), seed=7)
    app = CnnTuiApp(options, engine_factory=lambda data_dir, log_file: fake)
    async with app.run_test(size=size) as pilot:
        main = app.main.train
        await wait_for(pilot, lambda: main.state == "idle" and main.layer_name == "conv1", "load")
        maps = main.query_one("#activations", HeatmapGrid)
        bar = main.query_one("#activations-scale", ColorBar)
        await wait_for(pilot, lambda: maps.count > 0 and bar.visible_scale, "feature maps")
        assert maps.color_mode == "ascii" and bar.cmap == "diverging"
        text = "\n".join(grid_text(maps))
        assert set(text) & set(NEGATIVE_SHADES) and set(text) & set(POSITIVE_SHADES)
        assert not set(text) & set("%@")  # no sequential shade on a signed map
        # brackets and the 0 where they fit (the blank between the signs is 0)
        ramp = re.compile(r"-\S+ \[?Xx=~-\]?( 0)? \[?\.:\+\*#\]? \S+")
        assert ramp.match(bar.render_line(0).text)
        kernels_bar = main.query_one("#kernels-scale", ColorBar)
        assert ramp.match(kernels_bar.render_line(0).text)
