"""``python -m engine conv``: convolution by hand on the lab's inputs, drawn in the terminal."""

from __future__ import annotations

import argparse
import math

import numpy as np

from engine.convlab.lab import ConvError, LabResult
from engine.convlab import lab as convlab
from engine.render.colormap import DIVERGING, SEQUENTIAL
from engine.render import terminal as render
EXAMPLE = (
    "example: python -m engine conv --input digit:7 --filter sobel-x --padding same "
    "--stride 2 --pool max"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "conv",
        help="convolution lab: hand-made filters, padding, stride, pooling",
        description="Convolve a lab input with hand-made filters (cross-correlation, as "
        "torch.nn.functional.conv2d) and draw input, filters and output with one "
        "shared colour scale.",
        epilog=EXAMPLE,
    )
    inputs = ", ".join(convlab.INPUTS)
    parser.add_argument(
        "--input", default="squares8", metavar="NAME", help=f"input: {inputs} (default squares8)"
    )
    parser.add_argument(
        "--filter",
        dest="filters",
        action="append",
        metavar="NAME",
        help="filter (repeat for several output channels): "
        f"{', '.join([*convlab.FILTERS, *convlab.FILTER_GROUPS])}, or "
        "custom:1,0,-1;1,0,-1;1,0,-1 (default vertical)",
    )
    parser.add_argument(
        "--padding",
        default="valid",
        metavar="P",
        help="valid, same (odd kernels) or a number of zeros (default valid)",
    )
    parser.add_argument("--stride", type=int, default=1, help="stride (default 1)")
    parser.add_argument("--pool", choices=convlab.POOL_MODES, help="pool the output: max or avg")
    parser.add_argument(
        "--pool-size", type=int, default=2, metavar="N", help="pooling window (default 2)"
    )
    parser.add_argument(
        "--pool-stride", type=int, metavar="N", help="pooling stride (default: the pool size)"
    )
    parser.add_argument("--ascii", action="store_true", help="ASCII shading instead of colour")
    parser.add_argument(
        "--values", action="store_true", help="print numeric grids instead of heatmaps"
    )
    parser.add_argument(
        "--network",
        action="store_true",
        help="run the fixed-filter network (four edge filters, ReLU, max pool) "
        "on the input instead",
    )
    parser.add_argument(
        "--explain",
        metavar="[K,]I,J",
        help="also print the multiply-adds behind output cell (filter K, row I, col J)",
    )
    parser.add_argument("--list", action="store_true", help="list the inputs and filters")
    parser.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST IDX files")
    parser.add_argument(
        "--width",
        type=int,
        metavar="COLS",
        help="columns to draw in (default: the terminal's width)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(list_lines()))
        return 0
    width = args.width or render.terminal_width()
    mode = render.color_mode(args.ascii)
    if args.network:
        lab_input = convlab.load_input(args.input, args.data_dir)
        stages = convlab.fixed_filter_network(
            lab_input.values, args.padding, args.pool_size, args.pool_stride
        )
        print("\n".join(network_lines(lab_input, stages, mode, width, args.values)))
        return 0
    result = convlab.run_lab(
        args.input,
        args.filters or ["vertical"],
        args.padding,
        args.stride,
        args.pool,
        args.pool_size,
        args.pool_stride,
        args.data_dir,
    )
    lines = header_lines(result)
    lines += value_lines(result) if args.values else heatmap_figure(result, mode, width)
    lines += result.formula_lines()
    if args.explain:
        k, i, j = parse_cell(args.explain)
        exp = convlab.explain_cell(
            result.input.values, result.weights, None, args.padding, result.stride, k, i, j
        )
        lines += ["", *convlab.explanation_lines(exp)]
    print("\n".join(lines))
    return 0


def list_lines() -> list[str]:
    lines = ["inputs:"]
    lines += [f"  {name:<12} {text}" for name, text in convlab.INPUTS.items()]
    lines.append("filters:")
    for name, (text, weights) in convlab.FILTERS.items():
        lines.append(f"  {name:<12} {weights.shape[0]}x{weights.shape[1]}  {text}")
    for name, members in convlab.FILTER_GROUPS.items():
        lines.append(f"  {name:<12} group: {', '.join(members)}")
    lines.append("  custom:ROWS   numbers typed as rows, e.g. custom:1,0,-1;1,0,-1;1,0,-1")
    return lines


def parse_cell(text: str) -> tuple[int, int, int]:
    """'I,J' or 'K,I,J' as (K, I, J)."""
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) == 2:
        return 0, numbers[0], numbers[1]
    if len(numbers) == 3:
        return numbers[0], numbers[1], numbers[2]
    raise ConvError(f"--explain {text!r} is not a cell; give I,J or K,I,J such as 0,3,4")


def header_lines(result: LabResult) -> list[str]:
    lab_input = result.input
    lines = [f"input   {lab_input.name}: {lab_input.description} ({lab_input.shape_text})"]
    for index, lab_filter in enumerate(result.filters):
        lines.append(
            f"filter  {index}: {lab_filter.name} ({lab_filter.shape_text}) {lab_filter.description}"
        )
    ph, pw = result.padding
    pad = f"{ph}" if ph == pw else f"{ph} rows, {pw} cols"
    name = result.padding_name
    settings = (
        f"padding {name}" + ("" if name == pad else f" ({pad})") + f", stride {result.stride}"
    )
    if result.pool:
        settings += (
            f", {result.pool} pool {result.pool_size}x{result.pool_size} stride "
            f"{result.pool_stride}"
        )
    lines.append(settings)
    return lines


# ---------------------------------------------------------------------------------------------
# Heatmaps with one shared colour scale


def shared_scale(arrays: list[np.ndarray]) -> tuple[float, float, np.ndarray]:
    """(lo, hi, colour map): symmetric diverging when any value is negative, else sequential."""
    lo, hi, diverging = convlab.shared_range(arrays)
    return lo, hi, DIVERGING if diverging else SEQUENTIAL


def draw_maps(
    maps: list[tuple[str, np.ndarray, int]],
    mode: str,
    width: int,
    legend_title: str = "shared colour scale",
) -> list[str]:
    """Titled maps side by side with one colour scale, then its legend."""
    lo, hi, cmap = shared_scale([m for _, m, _ in maps])
    values = [convlab.upscale(convlab.to_unit(m, lo, hi), factor) for _, m, factor in maps]
    grid = render.render_grid(values, [t for t, _, _ in maps], cmap, mode, width)
    bar = render.legend(lo, hi, cmap, mode, min(40, max(10, width - 2)))
    return [*grid, "", f"{legend_title}:", *bar]


def heatmap_figure(result: LabResult, mode: str, width: int) -> list[str]:
    vol = result.input.values
    factor = convlab.map_factor(max(vol.shape[1:]))
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


def input_value_lines(lab_input: convlab.LabInput) -> list[str]:
    """The input's values; a digit as its 0-255 pixels, as the tutorials print it."""
    if lab_input.pixels is not None:
        return [
            f"input {lab_input.name} (label {lab_input.label}): pixel values 0-255 "
            "(the convolution uses value / 255)",
            *convlab.grid_lines(lab_input.pixels, width=3),
        ]
    lines = []
    vol = lab_input.values
    for c in range(vol.shape[0]):
        title = f"input {lab_input.name}" + (f" channel {c}" if vol.shape[0] > 1 else "")
        lines += [f"{title} ({vol.shape[1]}x{vol.shape[2]}):", *convlab.grid_lines(vol[c])]
    return lines


def value_lines(result: LabResult) -> list[str]:
    lines = ["", *input_value_lines(result.input)]
    for index, lab_filter in enumerate(result.filters):
        lines += [
            "",
            f"filter {index}: {lab_filter.name} ({lab_filter.shape_text}):",
            *convlab.grid_lines(lab_filter.weights),
        ]
    for k in range(result.output.shape[0]):
        _, h, w = result.output.shape
        lines += [
            "",
            f"output {k} ({result.filters[k].name}), {h}x{w}:",
            *convlab.grid_lines(result.output[k]),
        ]
    if result.pooled is not None:
        for k in range(result.pooled.shape[0]):
            _, h, w = result.pooled.shape
            lines += [
                "",
                f"{result.pool} pooled output {k}, {h}x{w}:",
                *convlab.grid_lines(result.pooled[k]),
            ]
    return [*lines, ""]


# ---------------------------------------------------------------------------------------------
# The fixed-filter network


def network_lines(
    lab_input: convlab.LabInput, stages: list[convlab.Stage], mode: str, width: int, values: bool
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
                lines += [f"channel {c}:", *convlab.grid_lines(maps[c])]
            continue
        if stage.name == "conv":
            weights = convlab.fixed_filter_weights()[:, 0]
            lines += draw_maps(
                [(name, weights[c], 2) for c, name in enumerate(convlab.FIXED_FILTERS)],
                mode,
                width,
                "filter colour scale",
            )
            lines.append("")
        factor = convlab.map_factor(max(maps.shape[1:]))
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
