"""``python -m engine conv``: convolution by hand on the lab's inputs, drawn in the terminal."""

from __future__ import annotations

import argparse

from engine.cli.arg_types import MAX_COLUMNS, columns_int
from engine.cli.conv_figures import heatmap_figure, network_lines, value_lines
from engine.convlab import arithmetic, display, explain, inputs, lab, network
from engine.convlab.inputs import ConvError
from engine.convlab.lab import LabResult
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
        "torch.nn.functional.conv2d) and draw input (grey, its own range), filters and "
        "outputs (diverging about 0), each kind with its own colour scale and legend.",
        epilog=EXAMPLE,
    )
    input_names = ", ".join(inputs.INPUTS)
    parser.add_argument(
        "--input",
        default="squares8",
        metavar="NAME",
        help=f"input: {input_names} (default squares8)",
    )
    parser.add_argument(
        "--filter",
        dest="filters",
        action="append",
        metavar="NAME",
        help="filter (repeat for several output channels): "
        f"{', '.join([*inputs.FILTERS, *inputs.FILTER_GROUPS])}, or "
        "custom:1,0,-1;1,0,-1;1,0,-1 (default vertical)",
    )
    parser.add_argument(
        "--padding",
        default="valid",
        metavar="P",
        help="valid, same (odd kernels) or a number of zeros (default valid)",
    )
    parser.add_argument("--stride", type=int, default=1, help="stride (default 1)")
    parser.add_argument("--pool", choices=arithmetic.POOL_MODES, help="pool the output: max or avg")
    parser.add_argument(
        "--pool-size", type=int, default=2, metavar="N", help="pooling window (default 2)"
    )
    parser.add_argument(
        "--pool-stride",
        type=int,
        metavar="N",
        help="pooling stride (default: the pool size)",
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
        type=columns_int,
        metavar="COLS",
        help=f"columns to draw in, 1 to {MAX_COLUMNS} (default: the terminal's width)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(list_lines()))
        return 0
    width = args.width or render.terminal_width()
    mode = render.output_color_mode(args.ascii)
    if args.network:
        lab_input = inputs.load_input(args.input, args.data_dir)
        stages = network.fixed_filter_network(
            lab_input.values, args.padding, args.pool_size, args.pool_stride
        )
        print("\n".join(network_lines(lab_input, stages, mode, width, args.values)))
        return 0
    result = lab.run_lab(
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
        exp = explain.explain_cell(
            result.input.values, result.weights, None, args.padding, result.stride, k, i, j
        )
        lines += ["", *display.explanation_lines(exp)]
    print("\n".join(lines))
    return 0


def list_lines() -> list[str]:
    lines = ["inputs:"]
    lines += [f"  {name:<12} {text}" for name, text in inputs.INPUTS.items()]
    lines.append("filters:")
    for name, (text, weights) in inputs.FILTERS.items():
        lines.append(f"  {name:<12} {weights.shape[0]}x{weights.shape[1]}  {text}")
    for name, members in inputs.FILTER_GROUPS.items():
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
