"""Inspection subcommands: ``models``, ``summary``, ``kernels`` and ``featuremaps``.

This module holds their arguments, ``models`` and ``summary``; the heatmaps of ``kernels`` and
``featuremaps`` are drawn by ``engine.cli.layer_maps``.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from engine.cli.arg_types import MAX_COLUMNS, columns_int, non_negative_int
from engine.cli.data_args import MODEL_HELP, MODEL_METAVAR, add_data_args, load_model
from engine.cli.layer_maps import DEFAULT_MAX, cmd_featuremaps, cmd_kernels
from engine.inspect.summary import format_summary, summarize
from engine.models.registry import build_model, count_params, describe, model_names
from engine.render.json_out import strict_json

# ---------------------------------------------------------------------------- arguments


def _add_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--model", metavar=MODEL_METAVAR, help=MODEL_HELP)
    group.add_argument("--checkpoint", metavar="PATH", help="checkpoint written by `train`")
    parser.add_argument(
        "--weights",
        metavar="FILE",
        help="weights to load into --model: a state dict (.pt, .pth, .safetensors), a "
        "checkpoint holding one, Lightning's or DataParallel's",
    )
    add_data_args(parser, "mnist; with --checkpoint, the one it was trained on")


def _add_display(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layer", metavar="NAME", help="layer name (omit to list the layers)")
    parser.add_argument("--ascii", action="store_true", help="shading characters, no colour")
    parser.add_argument(
        "--max",
        type=non_negative_int,
        default=DEFAULT_MAX,
        metavar="N",
        help=f"show at most N maps (default {DEFAULT_MAX}; 0 for all)",
    )
    parser.add_argument("--per-map", action="store_true", help="scale each map to its own range")
    parser.add_argument(
        "--png", metavar="FILE", help="also write the maps as a PNG (colour bars, caption)"
    )
    parser.add_argument(
        "--width", type=columns_int, metavar="COLS", help=f"columns to fill (1 to {MAX_COLUMNS})"
    )


def register(subparsers: Any) -> None:
    """Add the inspection subcommands to ``python -m engine``."""
    p = subparsers.add_parser("models", help="list the registry models")
    p.set_defaults(handler=cmd_models)

    p = subparsers.add_parser("summary", help="layer table: shapes, params, mult-adds, memory")
    _add_source(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_summary)

    p = subparsers.add_parser("kernels", help="heatmaps of a layer's weights")
    _add_source(p)
    _add_display(p)
    p.add_argument("--mean", action="store_true", help="average each kernel over input channels")
    p.add_argument(
        "--in-channel",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="input channel to show (default 0)",
    )
    p.set_defaults(handler=cmd_kernels)

    p = subparsers.add_parser("featuremaps", help="heatmaps of a layer's output for one input")
    _add_source(p)
    _add_display(p)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--sample", type=int, default=None, metavar="N", help="test sample index")
    source.add_argument("--image", metavar="PATH", help="a picture file as the input")
    p.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST IDX files")
    p.set_defaults(handler=cmd_featuremaps)


# ---------------------------------------------------------------------------- commands


def cmd_models(args: argparse.Namespace) -> int:
    """One line per registry model: name, parameter count, description."""
    rows = []
    for name in model_names():
        with torch.device("meta"):  # counts parameters without allocating AlexNet's 244 MB
            model, _ = build_model(name)
        rows.append((name, f"{count_params(model):,}", describe(name)))
    name_width = max(len(row[0]) for row in rows)
    param_width = max(len(row[1]) for row in rows)
    print(f"{'model'.ljust(name_width)}  {'params'.rjust(param_width)}  description")
    for name, params, text in rows:
        print(f"{name.ljust(name_width)}  {params.rjust(param_width)}  {text}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    model, info = load_model(args)
    summary = summarize(model, info.input_shape)
    if args.json:
        print(strict_json(summary.to_dict()))
        return 0
    print(f"{info.name}: {info.description} · input {list(info.input_shape)} · {info.weights}")
    print(format_summary(summary))
    return 0
