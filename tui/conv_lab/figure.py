"""The Conv lab's figure: input, filter, output and pooled panels side by side, the colour bar
and the step-mode explanation, from a ``ConvLabState`` (rich Text; no Textual)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

from engine.convlab import display
from engine.convlab.explain import CellExplanation
from engine.convlab.inputs import LabFilter, LabInput
from engine.convlab.lab import LabResult
from engine.render.colormap import DIVERGING, SEQUENTIAL
from tui.conv_lab.draw import Panel, ascii_shade, draw_map, lut_rgb
from tui.conv_lab.state import ConvLabState

GAP = "  "


def figure(state: ConvLabState, mode: str, width: int) -> Text:
    """Input, filters, output and pooled maps side by side, then the colour bar."""
    panels = lab_panels(
        state.lab_input,
        state.filters,
        state.result,
        state.explanation if state.step_mode else None,
        mode,
        state.show_values,
    )
    if not panels:
        return Text("nothing to draw", style="italic")
    out = pack_panels(panels, width)
    lo, hi, diverging = display.shared_range(
        scale_arrays(state.lab_input, state.filters, state.result)
    )
    out.append("\n\n")
    out.append_text(colour_bar(lo, hi, diverging, mode, min(40, width - 30)))
    return out


def explain_text(state: ConvLabState) -> Text:
    """The step-mode explanation of the cell under the cursor (empty outside step mode)."""
    if state.step_mode and state.explanation is not None:
        return Text("\n".join(display.explanation_lines(state.explanation)))
    if state.step_mode:
        return Text("step mode: no output to step through", style="italic")
    return Text()


def scale_arrays(
    lab_input: LabInput | None, filters: Sequence[LabFilter], result: LabResult | None
) -> list[np.ndarray]:
    """Every array drawn, so they can share one colour scale."""
    arrays: list[np.ndarray] = []
    if lab_input is not None:
        arrays.append(lab_input.values)
    arrays += [f.weights for f in filters]
    if result is not None:
        arrays.append(result.output)
        if result.pooled is not None:
            arrays.append(result.pooled)
    return arrays


def lab_panels(
    lab_input: LabInput | None,
    filters: Sequence[LabFilter],
    result: LabResult | None,
    exp: CellExplanation | None,
    mode: str,
    values_view: bool,
) -> list[Panel]:
    """Input (padded in step mode), filters, outputs and pooled outputs, one panel per map."""
    lo, hi, diverging = display.shared_range(scale_arrays(lab_input, filters, result))
    lut = DIVERGING if diverging else SEQUENTIAL
    # every map shares one colour scale, mode and view; only title, data, size and box differ
    draw = partial(draw_map, lo=lo, hi=hi, lut=lut, mode=mode, numbers=values_view)
    panels: list[Panel] = []
    base_factor = 1
    if lab_input is not None:
        base_factor, panels = _input_panels(lab_input, result, exp, values_view, draw)
    for index, lab_filter in enumerate(filters):
        name = lab_filter.name if len(lab_filter.name) <= 14 else "custom"
        panels.append(draw(f"{index}: {name}", lab_filter.weights, factor=max(2, base_factor)))
    if result is not None:
        panels += _result_panels(result, exp, draw, base_factor)
    return panels


def _input_panels(
    lab_input: LabInput,
    result: LabResult | None,
    exp: CellExplanation | None,
    values_view: bool,
    draw: Callable[..., Panel],
) -> tuple[int, list[Panel]]:
    """The input's channels (padded and with the window outlined in step mode) and the
    enlargement factor the outputs reuse."""
    vol = lab_input.values
    ph, pw = result.padding if (result and exp) else (0, 0)
    factor = display.map_factor(max(vol.shape[1:]) + 2 * max(ph, pw))
    panels: list[Panel] = []
    for c in range(vol.shape[0]):
        data = np.pad(vol[c], ((ph, ph), (pw, pw)))
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
        panels.append(draw(title, data, factor=factor, box=box, shown=shown))
    return factor, panels


def _result_panels(
    result: LabResult, exp: CellExplanation | None, draw: Callable[..., Panel], factor: int
) -> list[Panel]:
    """The output maps (the step-mode cell outlined), then the pooled maps."""
    panels: list[Panel] = []
    for k in range(result.output.shape[0]):
        box = None
        if exp is not None and exp.out_channel == k:
            box = (exp.row, exp.col, exp.row + 1, exp.col + 1)
        panels.append(draw(f"output {k}", result.output[k], factor=factor, box=box))
    if result.pooled is not None:
        for k in range(result.pooled.shape[0]):
            panels.append(draw(f"{result.pool} pool {k}", result.pooled[k], factor=factor))
    return panels


def pack_panels(panels: Sequence[Panel], width: int) -> Text:
    """Panels left to right, wrapping to a new row of panels when ``width`` is reached."""
    rows: list[list[Panel]] = []
    used = 0
    for panel in panels:
        if rows and used + len(GAP) + panel.width <= width:
            rows[-1].append(panel)
            used += len(GAP) + panel.width
        else:
            rows.append([panel])
            used = panel.width
    out = Text()
    for index, row in enumerate(rows):
        if index:
            out.append("\n\n")
        title_line = Text()
        for n, panel in enumerate(row):
            if n:
                title_line.append(GAP)
            title_line.append(panel.title.ljust(panel.width), Style(bold=True))
        out.append_text(title_line)
        height = max(len(p.lines) for p in row)
        for r in range(height):
            out.append("\n")
            for n, panel in enumerate(row):
                if n:
                    out.append(GAP)
                if r < len(panel.lines):
                    line = panel.lines[r]
                    out.append_text(line)
                    out.append(" " * max(0, panel.width - line.cell_len))
                else:
                    out.append(" " * panel.width)
    return out


def colour_bar(lo: float, hi: float, diverging: bool, mode: str, width: int = 40) -> Text:
    """``lo <gradient> hi`` with the scale's kind: the one colour bar of the figure."""
    width = max(8, width)
    lut = DIVERGING if diverging else SEQUENTIAL
    bar = Text(f"{display.format_number(lo, 3)} ")
    for n in range(width):
        value = n / (width - 1)
        if mode == "ascii":
            bar.append(ascii_shade(value))
        else:
            bar.append(" ", Style(bgcolor=Color.from_rgb(*lut_rgb(lut, value))))
    bar.append(f" {display.format_number(hi, 3)}")
    kind = "diverging, 0 in the middle" if diverging else "sequential"
    bar.append(f"   one colour scale for input, filters and outputs ({kind})", Style(dim=True))
    return bar
