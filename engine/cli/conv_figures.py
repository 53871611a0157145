"""What ``python -m engine conv`` draws: heatmaps on one shared colour scale, the values as
numbers, and the stages of the fixed-filter network."""

from __future__ import annotations

import math

import numpy as np

from engine.convlab import display, inputs, network
from engine.convlab.lab import LabResult
from engine.render import terminal as render
from engine.render.colormap import DIVERGING, SEQUENTIAL

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


def heatmap_figure(result: LabResult, mode: str, width: int) -> list[str]:
    vol = result.input.values
    factor = display.map_factor(max(vol.shape[1:]))
    filter_factor = max(factor, math.ceil(6 / max(result.weights.shape[2:])))
    maps: list[tuple[str, np.ndarray, int]] = []
    if vol.shape[0] == 1:
        maps.append(("input", vol[0], factor))
    else:
        maps += [(f"input c{c}", vol[c], factor) for c in range(vol.shape[0])]
    maps += [
        (f.name if len(f.name) <= 12 else "custom", f.weights, filter_factor)
        for f in result.filters
    ]
    several = len(result.filters) > 1
    maps += [
        (f"out {k}" if several else "output", result.output[k], factor)
        for k in range(result.output.shape[0])
    ]
    if result.pooled is not None:
        maps += [
            (f"{result.pool} {k}" if several else f"{result.pool} pool", result.pooled[k], factor)
            for k in range(result.pooled.shape[0])
        ]
    return ["", *draw_maps(maps, mode, width)]


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
