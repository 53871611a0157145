"""Where the inspection commands get their model: a registry name, a spec or the user's own
model file (with weights), or a checkpoint.

Torch-side loading behind ``engine.cli.inspection``'s --model, --weights and --checkpoint. The
same functions as ``eval`` and the app's engine child read the files
(``engine.training.checkpoint.model_from_checkpoint`` for a checkpoint or run folder,
``engine.models.registry.build_model`` for weights), so every command accepts the same paths and
every bad path, unreadable file or mismatched state dict is the same one CheckpointError line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from torch import nn

from engine.errors import CheckpointError
from engine.models.registry import ModelInfo, build_model


def model_from_checkpoint(path: str | Path) -> tuple[nn.Module, ModelInfo]:
    """The model a checkpoint file (or a run folder holding checkpoint.pt) describes, with its
    weights loaded, in eval mode; CheckpointError (one line) when it cannot be used."""
    from engine.training.checkpoint import model_from_checkpoint as read_checkpoint

    model, info, _ = read_checkpoint(path)
    return model.eval(), info


def load_source(args: argparse.Namespace) -> tuple[nn.Module, ModelInfo]:
    """The model named by --model (with --weights) or stored in --checkpoint, in eval mode.

    A --model is built for ``args.input_shape`` (C, H, W) and ``args.classes`` (names) when
    the command has them (None or absent: 1x28x28 and the digits); a bad model source is one
    ModelSourceError (with the user's traceback after its line when their code raised)."""
    if getattr(args, "checkpoint", None):
        if getattr(args, "weights", None):
            raise CheckpointError("--weights goes with --model, not --checkpoint; drop one")
        return model_from_checkpoint(args.checkpoint)
    model, info = build_model(
        args.model,
        args.weights,
        input_shape=getattr(args, "input_shape", None),
        classes=getattr(args, "classes", None),
    )
    return model.eval(), info
