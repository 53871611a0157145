"""Subcommands ``kernels`` and ``featuremaps``: a layer's weights or outputs as heatmaps.

Heatmaps use a shared colour scale by default, with a legend giving its numeric range: kernels
and signed feature maps through the diverging map centred on 0, other feature maps through the
sequential map. Without colour (--ascii, NO_COLOR) the shades of engine.render.ascii_ramp.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch
from torch import nn

from engine.cli.data_args import load_model
from engine.errors import DataError
from engine.inspect.activations import (
    capture_activations,
    denormalize,
    layer_kernels,
    load_image,
    predict,
)
from engine.inspect.layer_calls import resolve_layer
from engine.inspect.summary import summarize
from engine.models.registry import ModelInfo, kernel_layers
from engine.render.ascii_ramp import even_zoom
from engine.render.colormap import DIVERGING, GRAY, NONFINITE_NOTE, SEQUENTIAL
from engine.render.maps import count_nonfinite, downsample, scale_maps, upscale
from engine.render.terminal import (
    format_value,
    heatmap_lines,
    legend,
    output_color_mode,
    render_grid,
)
from engine.render.terminal import terminal_width as _terminal_width

DEFAULT_MAX = 32  # maps drawn at most unless --max says otherwise (0: all)


def _print_layers(model: nn.Module, info: ModelInfo, command: str) -> int:
    summary = summarize(model, info.input_shape)
    with_weights = set(kernel_layers(model))
    rows = [
        (
            layer.name,
            layer.type,
            str(layer.output_shape) if layer.output_shape else "--",
            f"{layer.params:,}",
        )
        for layer in summary.layers
        if command != "kernels" or layer.name in with_weights
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)] if rows else [0] * 4
    what = "layers with weights" if command == "kernels" else "layers"
    print(f"{what} of {info.name} (pass one as --layer NAME):")
    for row in rows:
        print(
            f"  {row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  "
            f"{row[2].rjust(widths[2])}  {row[3].rjust(widths[3])} params"
        )
    return 0


def _check_png(args: argparse.Namespace) -> None:
    from engine.cli.layer_png import check_png

    check_png(getattr(args, "png", None))


def _limit(count: int, maximum: int) -> int:
    return count if maximum == 0 else min(count, maximum)


def _grid_and_legend(
    maps: list[np.ndarray],
    titles: list[str],
    *,
    cmap: np.ndarray,
    mode: str,
    width: int,
    per_map: bool,
    symmetric: bool,
    zoom: int = 1,
) -> list[str]:
    """Scale maps (shared or per map), render them side by side and add a legend."""
    if not maps:
        return ["(no maps)"]
    scaled = scale_maps(np.stack(maps), shared=not per_map, symmetric=symmetric)
    values, ranges, shared = list(scaled.values), scaled.ranges, scaled.shared_range
    if per_map:
        titles = [
            f"{t} {format_value(lo)}..{format_value(hi)}"
            for t, (lo, hi) in zip(titles, ranges, strict=True)
        ]
    shown = [upscale(v, zoom) for v in values]
    lines = render_grid(shown, titles, cmap, mode, width, title_width=24 if per_map else 8)
    lines.append("")
    if per_map:
        lines += legend(0.0, 1.0, cmap, mode, min(40, width))[:1]
        lines.append("each map scaled to its own range, shown in its title")
    else:
        lo, hi = shared
        lines += legend(lo, hi, cmap, mode, min(40, width))
        lines.append(f"shared scale {format_value(lo)} .. {format_value(hi)}")
    nonfinite = count_nonfinite(np.stack(maps))
    if nonfinite:
        lines.append(f"{NONFINITE_NOTE}: {nonfinite} of {np.stack(maps).size} values")
    return lines


def cmd_kernels(args: argparse.Namespace) -> int:
    _check_png(args)
    model, info = load_model(args)
    if not args.layer:
        return _print_layers(model, info, "kernels")
    weights = layer_kernels(model, args.layer).numpy()
    out_ch, in_ch, kh, kw = weights.shape
    mode = output_color_mode(args.ascii)
    width = args.width or _terminal_width()
    count = _limit(out_ch, args.max)
    module_type = type(resolve_layer(model, args.layer)[2]).__name__
    header = f"{info.name} · {args.layer} ({module_type}) · weights {list(weights.shape)}"
    if kh * kw == 1:
        matrix = weights[:, :, 0, 0]
        if in_ch == math.prod(info.input_shape) and info.input_shape[0] == 1:
            _, height, side = info.input_shape
            maps = [matrix[i].reshape(height, side) for i in range(count)]
            print(f"{header} · each unit's {in_ch} input weights as a {height}x{side} picture")
            titles = [f"u{i}" for i in range(count)]
            zoom = 1
        else:
            max_rows = max(2, 2 * 24)
            maps = [downsample(matrix, max_rows, max(1, width - 2))]
            shape = maps[0].shape
            print(f"{header} · {out_ch}x{in_ch} matrix as {shape[0]}x{shape[1]} block means")
            titles = [f"{args.layer} (rows: outputs, columns: inputs)"]
            zoom = 1
    else:
        if args.in_channel >= in_ch:
            raise DataError(
                f"--in-channel {args.in_channel} is out of range; {args.layer} has {in_ch} "
                f"input channel(s): use 0-{in_ch - 1}"
            )
        if args.mean:
            maps = [weights[i].mean(axis=0) for i in range(count)]
            which = f"mean over {in_ch} input channels"
        else:
            maps = [weights[i, args.in_channel] for i in range(count)]
            which = f"input channel {args.in_channel} of {in_ch}"
        zoom = max(1, math.ceil(8 / max(kh, kw)))
        if mode == "ascii":  # two pixel rows per text row: never two kernel rows in one
            zoom = even_zoom(zoom)
        print(f"{header} · {count} of {out_ch} output channels · {which}")
        titles = [f"o{i}" for i in range(count)]
    lines = _grid_and_legend(
        maps,
        titles,
        cmap=DIVERGING,
        mode=mode,
        width=width,
        per_map=args.per_map,
        symmetric=True,
        zoom=zoom,
    )
    print("\n".join(lines))
    if getattr(args, "png", None):
        from engine.cli.layer_png import write_layer_png

        written = write_layer_png(
            args.png, maps, titles, cmap="diverging", per_map=args.per_map, title=header,
            caption=f"model {info.name} · layer {args.layer} · {info.weights}",
        )  # fmt: skip
        print(f"wrote {written}")
    return 0


def _category(info: ModelInfo, index: int) -> str:
    """A class as printed: its number, and its name when that is not the number."""
    names = tuple(info.classes)
    if 0 <= index < len(names) and names[index] != str(index):
        return f"{index} ({names[index]})"
    return str(index)


def _input_for(
    args: argparse.Namespace, model: nn.Module, info: ModelInfo
) -> tuple[torch.Tensor, str, str]:
    """(model input (1, C, H, W), description of the input, true label text): a picture
    file, or a test sample of the model's dataset resized and normalised for it."""
    if args.image:
        return load_image(args.image, info), f"image {args.image}", "unknown"
    from engine.process.workbench import Workbench

    index = 0 if args.sample is None else args.sample
    bench = Workbench(args.data_dir)
    bench.set_model(model, info)
    split = bench.split("test")
    if not 0 <= index < len(split):
        raise DataError(
            f"sample {index} is out of range; the test split has {len(split)} samples: "
            f"use --sample 0-{len(split) - 1}"
        )
    x, _, labels = bench.inputs([index])
    label = int(labels[0])
    shown = _category(info, label) if info.name != "alexnet" else str(label)
    return x.cpu(), f"test sample {index}", shown


def _output_maps(activation: torch.Tensor, width: int) -> tuple[list[np.ndarray], str]:
    """Maps to draw from one layer output (1, ...): channels of a conv output, else a vector."""
    array = activation[0].float().numpy() if activation.dim() > 1 else activation.float().numpy()
    if array.ndim == 3:
        return [array[i] for i in range(array.shape[0])], "channels"
    vector = array.reshape(-1)
    columns = max(1, min(len(vector), width - 2, 64))
    rows = math.ceil(len(vector) / columns)
    grid = np.full(rows * columns, np.nan, dtype=np.float32)
    grid[: len(vector)] = vector
    return [grid.reshape(rows, columns)], f"{len(vector)} values in rows of {columns}"


def cmd_featuremaps(args: argparse.Namespace) -> int:
    _check_png(args)
    model, info = load_model(args, with_data=True)
    if not args.layer:
        return _print_layers(model, info, "featuremaps")
    x, source, label = _input_for(args, model, info)
    activation = capture_activations(model, x, [args.layer])[args.layer]
    probs = predict(model, x)[0]
    pred = int(probs.argmax())
    mode = output_color_mode(args.ascii)
    width = args.width or _terminal_width()
    module_type = type(resolve_layer(model, args.layer)[2]).__name__
    print(
        f"{info.name} · {args.layer} ({module_type}) · output {list(activation.shape)} · "
        f"{info.weights}"
    )
    print(
        f"input: {source} · true label {label} · predicted {_category(info, pred)} "
        f"(p={float(probs[pred]):.2f})"
    )
    picture = denormalize(x, info).mean(axis=0)
    picture = downsample(picture, 56, min(56, max(8, width - 2)))
    print("\n".join(heatmap_lines(picture, GRAY, mode)))
    maps, kind = _output_maps(activation, width)
    if kind == "channels":
        count = _limit(len(maps), args.max)
        maps = [downsample(m, 2 * 40, max(8, width - 2)) for m in maps[:count]]
        print(f"{count} of {activation.shape[1]} feature maps")
        titles = [str(i) for i in range(count)]
    else:
        print(f"dense output: {kind}")
        titles = [args.layer]
    # Signed maps (a conv output before its ReLU) on the diverging scale centred on 0: 0 is
    # white (blank without colour) and the sign is kept; maps of one sign stay sequential.
    values = np.stack(maps)
    finite = values[np.isfinite(values)]
    has_sign = finite.size > 0 and finite.min() < 0 < finite.max()
    lines = _grid_and_legend(
        maps,
        titles,
        cmap=DIVERGING if has_sign else SEQUENTIAL,
        mode=mode,
        width=width,
        per_map=args.per_map,
        symmetric=has_sign,
    )
    print("\n".join(lines))
    if getattr(args, "png", None):
        from engine.cli.layer_png import write_layer_png

        written = write_layer_png(
            args.png, maps, titles, cmap="diverging" if has_sign else "sequential",
            per_map=args.per_map,
            title=f"{info.name} · {args.layer} ({module_type}) · output {list(activation.shape)}",
            caption=f"model {info.name} · layer {args.layer} · input {source}, true {label}, "
            f"predicted {_category(info, pred)}",
            digit=denormalize(x, info).mean(axis=0),
        )  # fmt: skip
        print(f"wrote {written}")
    return 0
