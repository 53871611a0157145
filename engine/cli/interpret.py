"""Subcommand ``interpret``: why a checkpoint predicts what it does for one test digit.

``python -m engine interpret --checkpoint RUN --sample N --method saliency|gradcam|occlusion
[--layer L] [--target K] [--png FILE] [--json]`` draws the digit and the method's map for class
K (default: the prediction; with no --target, the true class too when the model got it wrong)
as terminal heatmaps with a legend, or prints one JSON object:
``values`` (the map over the input, height x width; Grad-CAM upsampled bilinearly from its
layer), ``layer`` (Grad-CAM: the layer used; saliency and occlusion: "input", the maps are
over the input pixels), ``target``, ``label`` (the true class), ``prediction``,
``probability`` (p(target)), ``confidence`` (p(prediction)), ``method``, ``sample``, ``range``,
``how_to_read`` and the class names ``target_name``, ``label_name``, ``prediction_name`` (the
model's own: a user model's classes, the digits for MNIST). ``--layer`` takes a layer key:
``conv1``, or ``conv1#2`` for the second call of a conv that ``forward`` calls twice.
``--png`` writes the figure with colour bars. ``--layer`` is for gradcam
only (an error otherwise). Bad input: one line, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import EngineError
from engine.render.json_out import strict_json

METHODS = ("saliency", "gradcam", "occlusion")


class InterpretError(EngineError):
    """An interpret option that does not fit the method or the file system."""


def register(subparsers: Any) -> None:
    """Add ``interpret``."""
    p = subparsers.add_parser(
        "interpret",
        help="saliency, Grad-CAM or occlusion of one test digit",
        description="Why a checkpoint predicts what it does for one test digit.",
    )
    p.add_argument("--checkpoint", required=True, metavar="RUN", help="checkpoint or run folder")
    p.add_argument("--sample", required=True, type=int, metavar="N", help="test digit index")
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--layer", metavar="L", help="Grad-CAM's conv layer (default: the last)")
    p.add_argument("--target", type=int, metavar="K", help="class to explain (default: predicted)")
    p.add_argument("--png", metavar="FILE", help="also write the figure (colour bars) as a PNG")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--ascii", action="store_true", help="shading characters, no colour")
    p.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST IDX files")
    p.set_defaults(handler=cmd_interpret)


def _check_args(args: argparse.Namespace) -> None:
    if args.layer is not None and args.method != "gradcam":
        raise InterpretError(f"--layer is for --method gradcam only, not {args.method}; drop it")
    if args.sample < 0:
        raise InterpretError(f"--sample {args.sample}: use a test digit index, 0 or more")
    if args.png:
        folder = Path(args.png).expanduser().parent
        if not folder.is_dir():
            raise InterpretError(f"--png {args.png}: folder {folder} does not exist; create it")


def interpret_payload(args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """The ``attribute`` payload for the arguments and the model's ModelInfo."""
    from engine.cli.model_source import model_from_checkpoint
    from engine.process.workbench import Workbench

    model, info = model_from_checkpoint(args.checkpoint)
    bench = Workbench(args.data_dir)
    bench.set_model(model, info)
    payload = bench.attribute(args.sample, args.method, args.layer, args.target)
    return payload, info


def json_object(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object: the explained class's map (the target, else the prediction)."""
    entry = payload["maps"][-1]
    return {
        "method": payload["method"],
        "sample": payload["index"],
        "layer": payload["layer"] if payload["method"] == "gradcam" else "input",
        "target": entry["target"],
        "label": payload["label"],
        "prediction": payload["pred"],
        "probability": entry["probability"],
        "confidence": payload["confidence"],
        "range": list(entry["range"]),
        "how_to_read": payload["how_to_read"][-1],
        "values": np.asarray(entry["values"]).tolist(),
        **class_names_of(payload, entry),
    }


def class_names_of(payload: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``target_name``, ``label_name`` and ``prediction_name``: the model's names of those
    classes (``"7"`` for a digit; null for an unknown label)."""
    names = tuple(payload.get("classes") or (str(d) for d in range(10)))

    def name(index: Any) -> str | None:
        return names[int(index)] if index is not None and 0 <= int(index) < len(names) else None

    return {
        "target_name": name(entry["target"]),
        "label_name": name(payload["label"]),
        "prediction_name": name(payload["pred"]),
    }


def cmd_interpret(args: argparse.Namespace) -> int:
    _check_args(args)
    payload, info = interpret_payload(args)
    if args.png:
        from engine.render.attribution_figure import attribution_figure
        from engine.render.figures import FigurePanel, save_figure

        spec = attribution_figure(payload, info.name, str(args.checkpoint))
        panels = [FigurePanel(**panel) for panel in spec["panels"]]
        save_figure(args.png, panels, spec["title"], spec["caption"])
    if args.json:
        print(strict_json(json_object(payload)))
        return 0
    from engine.cli.interpret_text import interpret_lines
    from engine.render.terminal import output_color_mode

    print("\n".join(interpret_lines(payload, info.name, output_color_mode(args.ascii))))
    if args.png:
        print(f"wrote {Path(args.png).expanduser()}")
    return 0
