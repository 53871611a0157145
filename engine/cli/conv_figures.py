"""What ``python -m engine conv`` draws: heatmaps (the input grey over its own range, kernels
and outputs diverging about 0, each kind with its own legend), the values as numbers, and the
stages of the fixed-filter network."""

from __future__ import annotations

import math

import numpy as np

from engine.convlab import display, inputs, network
from engine.convlab.lab import LabResult
from engine.render import terminal as render
from engine.render.colormap import COLORMAPS, DIVERGING, SEQUENTIAL

# ---------------------------------------------------------------------------------------------
# Heatmaps with one shared colour scale


def shared_scale(arrays: list[np.ndarray]) -> tuple[float, float, np.ndarray]:
    """(lo, hi, colour map): symmetric diverging when any value is negative, else sequential."""
    lo, hi, diverging = display.shared_range(arrays)
    return lo, hi, DIVERGING if diverging else SEQUENTIAL


def draw_maps(
    maps: list[tuple[str, np.ndarray, int]],
    mode: str,
    width: int,
    legend_title: str = "shared colour scale",
) -> list[str]:
    """Titled maps side by side with one colour scale, then its legend."""
    lo, hi, cmap = shared_scale([m for _, m, _ in maps])
    values = [display.upscale(display.to_unit(m, lo, hi), factor) for _, m, factor in maps]
    grid = render.render_grid(values, [t for t, _, _ in maps], cmap, mode, width)
    bar = render.legend(lo, hi, cmap, mode, min(40, max(10, width - 2)))
    return [*grid, "", f"{legend_title}:", *bar]


def scaled_maps(
    maps: list[tuple[str, np.ndarray, int]],
    scale: display.PanelScale,
    mode: str,
    width: int,
) -> list[str]:
    """Titled maps side by side on ``scale``, then its legend named by the scale's label."""
    lut = COLORMAPS[scale.cmap]
    values = [display.upscale(display.to_unit(m, scale.lo, scale.hi), f) for _, m, f in maps]
    grid = render.render_grid(values, [t for t, _, _ in maps], lut, mode, width)
    grid_width = max(render.visible_width(line) for line in grid)
    label = f"{scale.label} scale:"
    bar_width = min(40, max(12, len(label), grid_width))
    bar = render.legend(scale.lo, scale.hi, lut, mode, min(bar_width, max(10, width - 2)))
    return [*grid, label, *bar]


def heatmap_figure(result: LabResult, mode: str, width: int) -> list[str]:
    """Input, kernels and outputs (pooled too), each kind on its own colour scale with its
    legend under it: the input grey over its own range, kernels and outputs diverging about 0;
    the kinds side by side when they fit ``width``, else one under the other."""
    blocks = []
    for kind, maps in heatmap_groups(result).items():
        scale = display.panel_scale(kind, [m for _, m, _ in maps])
        blocks.append(scaled_maps(maps, scale, mode, width))
    return ["", *side_by_side(blocks, width)]


def side_by_side(blocks: list[list[str]], width: int, gap: int = 4) -> list[str]:
    """Blocks of lines next to each other (top aligned) when together they fit ``width``
    columns, else one under the other with a blank line between."""
    widths = [max((render.visible_width(line) for line in block), default=0) for block in blocks]
    if sum(widths) + gap * (len(blocks) - 1) > width:
        stacked: list[str] = []
        for index, block in enumerate(blocks):
            stacked += ([""] if index else []) + block
        return stacked
    height = max(len(block) for block in blocks)
    lines = []
    for row in range(height):
        cells = []
        for block, cell_width in zip(blocks, widths, strict=True):
            line = block[row] if row < len(block) else ""
            cells.append(line + " " * (cell_width - render.visible_width(line)))
        lines.append((" " * gap).join(cells).rstrip())
    return lines


def heatmap_groups(result: LabResult) -> dict[str, list[tuple[str, np.ndarray, int]]]:
    """The maps drawn, (title, values, factor), by panel kind (input, kernel, output)."""
    vol = result.input.values
    factor = display.map_factor(max(vol.shape[1:]))
    filter_factor = max(factor, math.ceil(6 / max(result.weights.shape[2:])))
    if vol.shape[0] == 1:
        inputs_drawn = [("input", vol[0], factor)]
    else:
        inputs_drawn = [(f"input c{c}", vol[c], factor) for c in range(vol.shape[0])]
    kernels = [
        (f.name if len(f.name) <= 12 else "custom", f.weights, filter_factor)
        for f in result.filters
    ]
    several = len(result.filters) > 1
    maps: list[tuple[str, np.ndarray, int]] = [
        (f"out {k}" if several else "output", result.output[k], factor)
        for k in range(result.output.shape[0])
    ]
    if result.pooled is not None:
        maps += [
            (f"{result.pool} {k}" if several else f"{result.pool} pool", result.pooled[k], factor)
            for k in range(result.pooled.shape[0])
        ]
    return {"input": inputs_drawn, "kernel": kernels, "output": maps}


# ---------------------------------------------------------------------------------------------
# Numbers


def input_value_lines(lab_input: inputs.LabInput) -> list[str]:
    """The input's values; a digit as its 0-255 pixels, as the tutorials print it."""
    if lab_input.pixels is not None:
        return [
            f"input {lab_input.name} (label {lab_input.label}): pixel values 0-255 "
            "(the convolution uses value / 255)",
            *display.grid_lines(lab_input.pixels, width=3),
        ]
    lines = []
    vol = lab_input.values
    for c in range(vol.shape[0]):
        title = f"input {lab_input.name}" + (f" channel {c}" if vol.shape[0] > 1 else "")
        lines += [f"{title} ({vol.shape[1]}x{vol.shape[2]}):", *display.grid_lines(vol[c])]
    return lines


def value_lines(result: LabResult) -> list[str]:
    lines = ["", *input_value_lines(result.input)]
    for index, lab_filter in enumerate(result.filters):
        lines += [
            "",
            f"filter {index}: {lab_filter.name} ({lab_filter.shape_text}):",
            *display.grid_lines(lab_filter.weights),
        ]
    for k in range(result.output.shape[0]):
        _, h, w = result.output.shape
        lines += [
            "",
            f"output {k} ({result.filters[k].name}), {h}x{w}:",
            *display.grid_lines(result.output[k]),
        ]
    if result.pooled is not None:
        for k in range(result.pooled.shape[0]):
            _, h, w = result.pooled.shape
            lines += [
                "",
                f"{result.pool} pooled output {k}, {h}x{w}:",
                *display.grid_lines(result.pooled[k]),
            ]
    return [*lines, ""]


# ---------------------------------------------------------------------------------------------
# The fixed-filter network


def network_lines(
    lab_input: inputs.LabInput, stages: list[network.Stage], mode: str, width: int, values: bool
) -> list[str]:
    lines = [
        f"fixed-filter network on {lab_input.name}: {lab_input.description}",
        "conv (four 4x4 edge filters, no bias) -> ReLU -> max pool; each stage has its own "
        "colour scale",
    ]
    for stage in stages:
        lines += ["", f"{stage.name}: {stage.description}"]
        maps = stage.maps
        if values:
            if stage.name == "input" and lab_input.pixels is not None:
                lines += input_value_lines(lab_input)[1:]
                continue
            for c in range(maps.shape[0]):
                lines += [f"channel {c}:", *display.grid_lines(maps[c])]
            continue
        if stage.name == "conv":
            weights = network.fixed_filter_weights()[:, 0]
            lines += draw_maps(
                [(name, weights[c], 2) for c, name in enumerate(network.FIXED_FILTERS)],
                mode,
                width,
                "filter colour scale",
            )
            lines.append("")
        factor = display.map_factor(max(maps.shape[1:]))
        titles = (
            [f"{stage.name} {c}" for c in range(maps.shape[0])]
            if maps.shape[0] > 1
            else [stage.name]
        )
        lines += draw_maps(
            [(t, maps[c], factor) for c, t in enumerate(titles)],
            mode,
            width,
            f"{stage.name} colour scale",
        )
    return lines
