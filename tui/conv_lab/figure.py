"""The Conv lab's figure: input, filter, output and pooled panels side by side, each map
enlarged by the largest whole factor that fits the room, from a ``ConvLabState`` (rich Text;
no Textual). Each kind of panel has its own colour scale (``engine.convlab.display``): inputs
grey over their own range, kernels and outputs (pooled too) diverging about 0."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from rich.style import Style
from rich.text import Text

from engine.convlab import display
from engine.convlab.explain import CellExplanation
from engine.convlab.inputs import LabFilter, LabInput
from engine.convlab.lab import LabResult
from engine.render.colormap import COLORMAPS
from tui.conv_lab.draw import Panel, draw_map, title_width, wrap_words
from tui.conv_lab.state import ConvLabState

GAP = "  "
BOLD = Style(bold=True)
MAX_FACTOR = 16  # terminal pixels per value at most (an 8x8 map 128 pixels wide)
MIN_FILTER_FACTOR = 2  # a 3x3 kernel at one pixel per value would be 2 rows tall
TITLE_CAP = 24  # a panel is at least as wide as its title, up to this many cells


@dataclass
class MapSpec:
    """One map to draw: title, values, whether it is a filter (drawn at least
    ``MIN_FILTER_FACTOR`` pixels per value), the step-mode box and the numbers shown instead."""

    title: str
    values: np.ndarray
    is_filter: bool = False
    box: tuple[int, int, int, int] | None = None
    shown: np.ndarray | None = None
    kind: str = "input"  # whose colour scale: "input", "kernel" or "output"

    def factor(self, base: int) -> int:
        return max(MIN_FILTER_FACTOR, base) if self.is_filter else base

    def heatmap_size(self, base: int, narrow: bool) -> tuple[int, int, int]:
        """(width, title lines, map lines) of the heatmap panel at ``base`` pixels per value,
        as draw_map draws it (half-block lines under the title ``"<title> HxW"``)."""
        h, w = self.values.shape
        factor = self.factor(base)
        label = f"{self.title} {h}x{w}"
        width = title_width(label, w * factor, narrow, TITLE_CAP)
        return width, len(wrap_words(label, width)), math.ceil(h * factor / 2)


@dataclass
class Figure:
    """The packed panels as Text, the factor used and where the step-mode box is drawn."""

    text: Text
    factor: int
    width: int  # cells
    height: int  # lines
    box_region: tuple[int, int, int, int] | None = None  # (x, y, width, height) in cells
    scales: dict[str, display.PanelScale] = field(default_factory=dict)  # by panel kind


def figure(state: ConvLabState, mode: str, width: int, height: int | None = None) -> Text:
    """Input, filters, output and pooled maps side by side (wrapping at ``width``)."""
    return lab_figure(state, mode, width, height).text


def lab_figure(state: ConvLabState, mode: str, width: int, height: int | None = None) -> Figure:
    """The figure, heatmaps enlarged by the largest whole factor whose packed panels fit
    ``width`` x ``height`` cells (``height`` None: the enlargement small maps get by default).
    Numbers are not enlarged: a figure wider or taller than the room is scrolled."""
    exp = state.explanation if state.step_mode else None
    specs = map_specs(state.lab_input, state.filters, state.result, exp, state.show_values)
    if not specs:
        return Figure(Text("nothing to draw", style="italic"), 1, 15, 1)
    narrow = False
    if height is None:
        side = max(max(s.values.shape) for s in specs if not s.is_filter) if specs else 1
        factor = display.map_factor(side)
    else:
        factor, narrow = fit_factor(specs, width, height)
    scales = panel_scales(specs)
    # every map shares mode and view; its kind picks its colour scale
    draw = partial(draw_map, mode=mode, numbers=state.show_values, narrow=narrow)
    panels = []
    for s in specs:
        scale = scales[s.kind]
        lut = COLORMAPS[scale.cmap]
        options = {"factor": s.factor(factor), "box": s.box, "shown": s.shown}
        panels.append(draw(s.title, s.values, lo=scale.lo, hi=scale.hi, lut=lut, **options))
    text, places = pack_panels(panels, width)
    box_region = _box_region(specs, panels, places, factor, state.show_values)
    used_w = max((x + p.width for p, (x, _) in zip(panels, places, strict=True)), default=0)
    return Figure(text, factor, used_w, len(text.plain.split("\n")), box_region, scales)


def panel_scales(specs: Sequence[MapSpec]) -> dict[str, display.PanelScale]:
    """The colour scale of each kind of panel drawn, from the values those panels draw
    (an input padded with zeros in step mode includes them), in the colour bars' order."""
    kinds = [kind for kind in display.SCALE_LABELS if any(s.kind == kind for s in specs)]
    return {
        kind: display.panel_scale(kind, [s.values for s in specs if s.kind == kind])
        for kind in kinds
    }


def state_scales(state: ConvLabState) -> dict[str, display.PanelScale]:
    """The colour scales of the state's panels (as ``lab_figure`` draws them)."""
    exp = state.explanation if state.step_mode else None
    specs = map_specs(state.lab_input, state.filters, state.result, exp, state.show_values)
    return panel_scales(specs)


def fit_factor(specs: Sequence[MapSpec], width: int, height: int) -> tuple[int, bool]:
    """The largest whole factor (1..MAX_FACTOR) whose heatmap panels, packed, fit ``width`` x
    ``height`` (first with titles on one line, then with narrow panels' titles wrapped), and
    whether titles wrap. When none fits, the factor that needs the fewest lines within the
    width (the figure then scrolls down; up to the 1 that still scrolls sideways)."""
    fallback = (1, False)
    fewest = None
    for factor in range(MAX_FACTOR, 0, -1):
        for narrow in (False, True):
            used_w, used_h = packed_size([s.heatmap_size(factor, narrow) for s in specs], width)
            if used_w > width:
                continue
            if used_h <= height:
                return factor, narrow
            if fewest is None or used_h < fewest:
                fewest, fallback = used_h, (factor, narrow)
    return fallback


def explain_text(state: ConvLabState) -> Text:
    """The step-mode explanation of the cell under the cursor (empty outside step mode)."""
    if state.step_mode and state.explanation is not None:
        return Text("\n".join(display.explanation_lines(state.explanation)))
    if state.step_mode:
        return Text("step mode: no output to step through", style="italic")
    return Text()


def map_specs(
    lab_input: LabInput | None,
    filters: Sequence[LabFilter],
    result: LabResult | None,
    exp: CellExplanation | None,
    values_view: bool,
) -> list[MapSpec]:
    """Input (padded in step mode), filters, outputs and pooled outputs, one spec per map."""
    specs: list[MapSpec] = []
    if lab_input is not None:
        specs += _input_specs(lab_input, result, exp, values_view)
    for index, lab_filter in enumerate(filters):
        name = lab_filter.name if len(lab_filter.name) <= 14 else "custom"
        specs.append(MapSpec(f"{index}: {name}", lab_filter.weights, is_filter=True, kind="kernel"))
    if result is not None:
        specs += _result_specs(result, exp)
    return specs


def _input_specs(
    lab_input: LabInput, result: LabResult | None, exp: CellExplanation | None, values_view: bool
) -> list[MapSpec]:
    """The input's channels, padded and with the window boxed in step mode."""
    vol = lab_input.values
    ph, pw = result.padding if (result and exp) else (0, 0)
    specs: list[MapSpec] = []
    for c in range(vol.shape[0]):
        box = None
        if exp is not None:
            box = (exp.rows[0] + ph, exp.cols[0] + pw, exp.rows[1] + ph, exp.cols[1] + pw)
        shown = None
        if values_view and lab_input.pixels is not None:
            shown = np.pad(lab_input.pixels.astype(np.float64), ((ph, ph), (pw, pw)))
        title = "input" if vol.shape[0] == 1 else f"input ch{c}"
        if shown is not None:
            title = "input pixels (/255)"
        if ph or pw:
            title = f"{title} + padding {ph}"
        specs.append(MapSpec(title, np.pad(vol[c], ((ph, ph), (pw, pw))), box=box, shown=shown))
    return specs


def _result_specs(result: LabResult, exp: CellExplanation | None) -> list[MapSpec]:
    """The output maps (the step-mode cell boxed), then the pooled maps."""
    specs: list[MapSpec] = []
    for k in range(result.output.shape[0]):
        box = None
        if exp is not None and exp.out_channel == k:
            box = (exp.row, exp.col, exp.row + 1, exp.col + 1)
        specs.append(MapSpec(f"output {k}", result.output[k], box=box, kind="output"))
    if result.pooled is not None:  # the outputs' scale: a kept value keeps its colour
        for k in range(result.pooled.shape[0]):
            specs.append(MapSpec(f"{result.pool} pool {k}", result.pooled[k], kind="output"))
    return specs


def _box_region(
    specs: Sequence[MapSpec],
    panels: Sequence[Panel],
    places: Sequence[tuple[int, int]],
    factor: int,
    numbers: bool,
) -> tuple[int, int, int, int] | None:
    """Where the first boxed map's box lies in the figure, (x, y, width, height) in cells, so
    the canvas can scroll it into view."""
    for spec, panel, (x, y) in zip(specs, panels, places, strict=True):
        if spec.box is None:
            continue
        top, left, bottom, right = spec.box
        if numbers:  # one line per row; a cell is as wide as the widest number plus a space
            w = spec.values.shape[1]
            cell = (panel.lines[0].cell_len + 1) // max(1, w) if panel.lines else 1
            return x + left * cell, y + 1 + top, (right - left) * cell, bottom - top
        scale = spec.factor(factor)
        return (
            x + left * scale,
            y + 1 + top * scale // 2,
            (right - left) * scale,
            max(1, (bottom - top) * scale // 2),
        )
    return None


def _rows(widths: Sequence[int], width: int) -> list[list[int]]:
    """Panel indices per row: left to right, a new row when ``width`` is reached."""
    rows: list[list[int]] = []
    used = 0
    for index, panel_width in enumerate(widths):
        if rows and used + len(GAP) + panel_width <= width:
            rows[-1].append(index)
            used += len(GAP) + panel_width
        else:
            rows.append([index])
            used = panel_width
    return rows


def packed_size(sizes: Sequence[tuple[int, int, int]], width: int) -> tuple[int, int]:
    """(width, lines) of panels of ``sizes`` (width, title lines, map lines) packed by
    ``pack_panels``."""
    rows = _rows([size[0] for size in sizes], width)
    used_w = max(sum(sizes[i][0] for i in row) + len(GAP) * (len(row) - 1) for row in rows)
    used_h = sum(max(sizes[i][1] for i in row) + max(sizes[i][2] for i in row) for row in rows)
    return used_w, used_h + len(rows) - 1


def pack_panels(panels: Sequence[Panel], width: int) -> tuple[Text, list[tuple[int, int]]]:
    """Panels left to right, wrapping to a new row of panels when ``width`` is reached; with
    each panel's (x, y) in the Text (y: its title line)."""
    out = Text()
    places: list[tuple[int, int]] = [(0, 0)] * len(panels)
    y = 0
    for index, row in enumerate(_rows([p.width for p in panels], width)):
        if index:
            out.append("\n\n")
            y += 1
        titles = max(len(panels[i].title_lines) for i in row)
        x = 0
        for t in range(titles):
            if t:
                out.append("\n")
            x = 0
            for n, i in enumerate(row):
                if n:
                    out.append(GAP)
                    x += len(GAP)
                places[i] = (x, y + titles - 1)  # the line above the map
                lines = panels[i].title_lines
                out.append((lines[t] if t < len(lines) else "").ljust(panels[i].width), BOLD)
                x += panels[i].width
        y += titles - 1
        height = max(len(panels[i].lines) for i in row)
        for r in range(height):
            out.append("\n")
            for n, i in enumerate(row):
                panel = panels[i]
                if n:
                    out.append(GAP)
                if r < len(panel.lines):
                    line = panel.lines[r]
                    out.append_text(line)
                    out.append(" " * max(0, panel.width - line.cell_len))
                else:
                    out.append(" " * panel.width)
        y += 1 + height
    return out, places
