"""The Conv lab's colours (issue 14, point 6): the input on a grey scale over its own range,
kernels and outputs on a diverging scale centred on 0, each kind with its own colour bar
showing its own range, in the heatmaps, the numbers view and step mode; the figure uses most
of the tab at 80x24 and 200x60."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text

from engine.convlab import display
from engine.render.colormap import CENTER, DIVERGING
from engine.render.terminal import format_value
from tui.conv_lab.canvas import LabCanvas
from tui.conv_lab.figure import GAP, lab_figure, map_specs
from tui.conv_lab.pane import ConvLab
from tui.conv_lab.state import INPUT_CHOICES, ConvLabState

CONSOLE = Console(color_system="truecolor", width=400)


def computed(input_name: str, filters: tuple[str, ...] | None = None, **settings) -> ConvLabState:
    state = ConvLabState()
    state.input_index = INPUT_CHOICES.index(input_name)
    if filters is not None:
        state.custom = filters
        state.filter_index = len(state.filter_choices) - 1
    for name, value in settings.items():
        setattr(state, name, value)
    assert state.compute() == ""
    state.clamp_cursor()
    return state


def cell_colours(line: Text, x: int) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """(foreground, background) RGB of the cell at ``x`` of a figure line."""
    style = line.get_style_at_offset(CONSOLE, x)
    fg = tuple(style.color.get_truecolor()) if style.color else None
    bg = tuple(style.bgcolor.get_truecolor()) if style.bgcolor else None
    return fg, bg


def input_pixels(state: ConvLabState, width: int = 200, height: int = 60):
    """(value, rgb) of every terminal pixel of the first input panel as drawn (half blocks:
    a cell's foreground is its top pixel, its background its bottom pixel)."""
    drawn = lab_figure(state, "truecolor", width, height)
    spec = map_specs(state.lab_input, state.filters, state.result, None, False)[0]
    factor = spec.factor(drawn.factor)
    lines = drawn.text.split("\n")
    h, w = spec.values.shape
    pairs = []
    for row in range(h * factor // 2):
        for x in range(w * factor):
            top, bottom = cell_colours(lines[1 + row], x)
            pairs.append((spec.values[2 * row // factor, x // factor], top))
            pairs.append((spec.values[(2 * row + 1) // factor, x // factor], bottom))
    return pairs


@pytest.mark.parametrize("input_name", ["digit", "volume", "squares8"])
def test_the_input_is_grey_and_brighter_where_larger(input_name):
    pairs = input_pixels(computed(input_name))
    assert all(rgb[0] == rgb[1] == rgb[2] for _, rgb in pairs)  # grey, never salmon
    by_value = sorted(pairs, key=lambda pair: pair[0])
    brightness = [rgb[0] for _, rgb in by_value]
    assert brightness == sorted(brightness)  # monotonic in the value
    assert brightness[0] == 0 and brightness[-1] == 255  # its own range: black to white


def test_the_volume_input_no_longer_vanishes():
    """Each of its three channels spans black to white on its own grey scale."""
    state = computed("volume")
    scale = lab_figure(state, "truecolor", 200, 60).scales["input"]
    values = state.lab_input.values
    assert (scale.lo, scale.hi) == (values.min(), values.max()) and scale.cmap == "gray"


@pytest.mark.parametrize(
    "kernel",
    ["custom:0,1,0;1,1,1;0,1,0", "custom:0,0,0;0,5,0;0,0,-1", "custom:1,0,-1;2,0,-2;1,0,-1"],
)
def test_a_kernels_zero_is_the_diverging_maps_centre(kernel):
    """Even a kernel with no negative weight (whose old shared scale was sequential)."""
    state = computed("squares8", (kernel,))
    drawn = lab_figure(state, "truecolor", 200, 60)
    specs = map_specs(state.lab_input, state.filters, state.result, None, False)
    index = next(i for i, s in enumerate(specs) if s.kind == "kernel")
    scale = drawn.scales["kernel"]
    assert scale.cmap == "diverging" and scale.lo == -scale.hi
    weights = specs[index].values
    unit = display.to_unit(weights, scale.lo, scale.hi)
    assert np.all(unit[weights == 0] == 0.5)
    centre = tuple(int(v) for v in DIVERGING[CENTER])
    widths = [s.heatmap_size(drawn.factor, False)[0] for s in specs[:index]]
    x0 = sum(widths) + len(GAP) * index  # the panels before it, packed on one row
    assert drawn.text.plain.split("\n")[0][x0:].startswith(specs[index].title)
    factor = specs[index].factor(drawn.factor)
    line = drawn.text.split("\n")[1]  # the kernel's first row (top pixels)
    for col in np.flatnonzero(weights[0] == 0):
        assert cell_colours(line, x0 + col * factor)[0] == centre


def test_outputs_and_pooled_share_a_scale_symmetric_about_zero():
    state = computed("digit", pool="max")
    scales = lab_figure(state, "truecolor", 200, 60).scales
    magnitude = float(np.abs(state.result.output).max())
    assert (scales["output"].lo, scales["output"].hi) == (-magnitude, magnitude)
    assert scales["output"].cmap == "diverging" and scales["input"].cmap == "gray"
    assert (scales["kernel"].lo, scales["kernel"].hi) == (-1.0, 1.0)  # the vertical filter


def test_numbers_view_cells_follow_the_same_rule():
    state = computed("squares8", show_values=True)
    drawn = lab_figure(state, "truecolor", 200, 60)
    line = drawn.text.split("\n")[1]  # the input's first row of numbers
    backgrounds = {cell_colours(line, x)[1] for x in range(8)}
    assert all(bg is not None and bg[0] == bg[1] == bg[2] for bg in backgrounds)


async def open_lab(pilot, wait_for) -> ConvLab:
    app = pilot.app
    await pilot.press("2")
    await wait_for(pilot, lambda: bool(app.main.query(ConvLab)), "the Conv lab")
    lab = app.main.query_one(ConvLab)
    await wait_for(pilot, lambda: lab.query_one(LabCanvas).drawn is not None, "the figure")
    await pilot.pause()
    return lab


def expected_texts(scale: display.PanelScale) -> tuple[str, str, str]:
    return format_value(scale.lo), format_value((scale.lo + scale.hi) / 2), format_value(scale.hi)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_each_colour_bar_shows_its_own_panels_range(size, make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        lab = await open_lab(pilot, wait_for)
        for keys in (("n",), ("w", "right")):  # a digit, then step mode (padded input too)
            await pilot.press(*keys)
            await pilot.pause()
            state = lab.state
            magnitude = float(np.abs(state.result.output).max())
            bars = {
                kind: lab.query_one(f"#conv-bar-{kind}") for kind in ("input", "kernel", "output")
            }
            assert bars["input"].texts() == ("0", "0.5", "1") and bars["input"].cmap == "gray"
            assert bars["kernel"].texts() == ("-1", "0", "1")
            assert bars["kernel"].cmap == bars["output"].cmap == "diverging"
            out = expected_texts(display.PanelScale(-magnitude, magnitude, "diverging", ""))
            assert bars["output"].texts() == out
            for bar in bars.values():  # on screen, each with its own label
                assert bar.region.width >= 12 and bar.region.y < size[1] - 1
                assert bar.label in bar.render_line(0).text  # its label fits too


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_figure_uses_most_of_the_tab(size, make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        lab = await open_lab(pilot, wait_for)
        canvas = lab.query_one(LabCanvas)
        assert canvas.size.height >= size[1] - 10 and canvas.size.width == size[0]
        for keys in ((), ("n",), ("i", "i", "i")):  # squares, a digit, the 3-channel volume
            await pilot.press(*keys)
            await pilot.pause()
            drawn, room = canvas.drawn, canvas.size
            assert drawn.width <= room.width and drawn.height <= room.height
            used = max(drawn.width / room.width, drawn.height / room.height)
            assert used >= 0.85, (keys, drawn.width, drawn.height, room)
