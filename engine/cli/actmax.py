"""Subcommand ``actmax``: the input a checkpoint's class logit or conv channel likes most.

``python -m engine actmax --checkpoint RUN (--class K | --layer L --channel C) [--png FILE]
[--json]`` optimises an input by regularised activation maximisation
(``engine.inspect.activation_max``: jitter, total variation, L2 decay, blur; 400 steps from a
faint start) and draws it as a terminal heatmap with a legend and one line: the measured
probability of the class and the image's total variation beside that of uniform noise over
the same range. ``--json`` prints one object: ``values`` (the image, height x width, pixels
in [0, 1]; for a 3-channel model the mean over the channels), ``layer`` (the logits layer for
a class, the conv layer for a channel), ``target``, ``mode`` ("class" or "channel"),
``probability`` (p(K) for a class; null for a channel, where no class is asked about),
``total_variation``, ``noise_total_variation``, ``start``/``end`` (the objective), ``steps``,
``seed`` and ``class_name`` (the model's name of class K; null for a channel). ``--layer`` takes
a layer key (``conv1``, ``conv1#2``: its second call). Bad input: one line, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from engine.cli.arg_types import bounded_int, non_negative_int
from engine.errors import EngineError
from engine.render.json_out import strict_json

HOW_TO_READ = {
    "class": "bright: the input that raises class {target}'s logit most; regularised "
    "(jitter, total variation, L2 decay, blur) so strokes show",
    "channel": "bright: the input that excites {layer} channel {target} most (mean of its "
    "ReLU over all positions); regularised (jitter, total variation, L2 decay, blur)",
}


class ActMaxArgsError(EngineError):
    """An actmax option that does not fit the others or the file system."""


def register(subparsers: Any) -> None:
    """Add ``actmax``."""
    p = subparsers.add_parser(
        "actmax",
        help="activation maximisation of a class or a conv channel",
        description="The input a checkpoint's class logit or conv channel responds to most.",
    )
    p.add_argument("--checkpoint", required=True, metavar="RUN", help="checkpoint or run folder")
    p.add_argument("--class", dest="target_class", type=int, metavar="K", help="class logit")
    p.add_argument("--layer", metavar="L", help="conv layer (with --channel)")
    p.add_argument("--channel", type=int, metavar="C", help="channel of --layer")
    p.add_argument("--steps", type=bounded_int(1, 100_000), metavar="N", help="default 400")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="default 0")
    p.add_argument("--png", metavar="FILE", help="also write the image (colour bar) as a PNG")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--ascii", action="store_true", help="shading characters, no colour")
    p.set_defaults(handler=cmd_actmax)


def check_args(args: argparse.Namespace) -> None:
    """One-line ActMaxArgsError for a missing or mixed target or an unusable --png path."""
    by_class = args.target_class is not None
    by_channel = args.layer is not None or args.channel is not None
    if by_class and by_channel:
        raise ActMaxArgsError("give either --class K or --layer L --channel C, not both")
    if not by_class and not by_channel:
        raise ActMaxArgsError("say what to maximise: --class K or --layer L --channel C")
    if by_channel and (args.layer is None or args.channel is None):
        raise ActMaxArgsError("--layer and --channel go together; give both")
    if args.png:
        folder = Path(args.png).expanduser().parent
        if not folder.is_dir():
            raise ActMaxArgsError(f"--png {args.png}: folder {folder} does not exist; create it")


def actmax_result(args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """The ``actmax`` op's payload for the arguments and the model's ModelInfo."""
    from engine.cli.model_source import model_from_checkpoint
    from engine.process.workbench import Workbench

    model, info = model_from_checkpoint(args.checkpoint)
    bench = Workbench()
    bench.set_model(model, info)
    payload = bench.actmax(
        layer=args.layer,
        channel=args.channel or 0,
        target_class=args.target_class,
        steps=args.steps,
        seed=args.seed,
    )
    return payload, info


def how_to_read(payload: dict[str, Any]) -> str:
    return HOW_TO_READ[payload["mode"]].format(**payload)


def json_object(payload: dict[str, Any], channels: int) -> dict[str, Any]:
    """The ``--json`` object (see the module docstring)."""
    keys = ("mode", "layer", "target", "probability", "total_variation")
    return {
        **{key: payload[key] for key in keys},
        "noise_total_variation": payload["noise_total_variation"],
        "start": payload["start"],
        "end": payload["end"],
        "steps": payload["steps"],
        "seed": payload["seed"],
        "values_are": "pixels in [0, 1]" + (", mean of the channels" if channels > 1 else ""),
        "how_to_read": how_to_read(payload),
        "values": grey(payload).tolist(),
        "class_name": _class(payload).split(" ", 1)[-1] if payload["mode"] == "class" else None,
    }


def grey(payload: dict[str, Any]) -> np.ndarray:
    """float32 (H, W) pixels in [0, 1]: the picture, a colour one as the mean of its channels
    (the terminal heatmap, the JSON values and the PNG panel hold one value per pixel)."""
    return np.asarray(payload["pixels"], dtype=np.float32).mean(axis=0)


def _class(payload: dict[str, Any]) -> str:
    """The maximised class as written: ``7``, or ``2 triangle`` for a named class."""
    return str(payload.get("class_label", payload["target"]))


def summary_line(payload: dict[str, Any]) -> str:
    """p(K) (class) or the objective's rise (channel), then TV beside noise TV."""
    tv, noise = payload["total_variation"], payload["noise_total_variation"]
    ratio = f" ({tv / noise:.2f} x)" if noise > 0 else ""
    smooth = f"total variation {tv:.3f} vs {noise:.3f} for uniform noise of the same range{ratio}"
    if payload["mode"] == "class":
        head = f"class {_class(payload)}: p = {payload['probability']:.3f}"
    else:
        head = (f"{payload['layer']} channel {payload['target']}: mean ReLU activation "
                f"{payload['start']:.3g} -> {payload['end']:.3g}")  # fmt: skip
    return f"{head} · {smooth}"


def text_lines(payload: dict[str, Any], mode: str) -> list[str]:
    """The image as a heatmap (own range, grey scale), its legend and the summary line."""
    from engine.render.colormap import GRAY
    from engine.render.maps import scale_maps
    from engine.render.terminal import legend, render_grid

    image = grey(payload)
    scaled = scale_maps(image[None], shared=False)
    lo, hi = (round(float(v), 4) for v in scaled.ranges[0])  # 1e-8 is black, say 0
    title = (f"class {_class(payload)}" if payload["mode"] == "class"
             else f"{payload['layer']}[{payload['target']}]")  # fmt: skip
    lines = render_grid([scaled.values[0]], [title], GRAY, mode, title_width=30)
    lines += legend(lo, hi, GRAY, mode, width=image.shape[1])
    return [*lines, summary_line(payload), how_to_read(payload)]


def write_png(path: str, payload: dict[str, Any], name: str) -> Path:
    """The image with its colour bar, titled with what was maximised, as a PNG."""
    from engine.render.figures import FigurePanel, save_figure

    label = (f"class {_class(payload)}  p = {payload['probability']:.3f}"
             if payload["mode"] == "class"
             else f"{payload['layer']} channel {payload['target']}")  # fmt: skip
    panel = FigurePanel(grey(payload), "grey", 0.0, 1.0, label)
    title = f"activation maximisation · {name}"
    return save_figure(path, [panel], title, f"{summary_line(payload)}. {how_to_read(payload)}")


def cmd_actmax(args: argparse.Namespace) -> int:
    check_args(args)
    payload, info = actmax_result(args)
    written = write_png(args.png, payload, info.name) if args.png else None
    if args.json:
        print(strict_json(json_object(payload, int(info.input_shape[0]))))
        return 0
    from engine.render.terminal import output_color_mode

    print("\n".join(text_lines(payload, output_color_mode(args.ascii))))
    if written is not None:
        print(f"wrote {written}")
    return 0
