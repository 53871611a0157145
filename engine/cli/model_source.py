"""Where the inspection commands get their model: a registry name (with weights) or a checkpoint.

Torch-side loading behind ``engine.cli.inspection``'s --model, --weights and --checkpoint: every bad
path, unreadable file or mismatched state dict becomes one CheckpointError line.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.errors import CheckpointError, EngineError
from engine.models.registry import ModelInfo, build_model

CHECKPOINT_HINT = "pass a checkpoint written by `python -m engine train`"


def _first_line(exc: Exception) -> str:
    """The first line of an exception's message, or its type when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_state(model: nn.Module, path: str | Path, name: str) -> None:
    """Load a state dict (or a checkpoint's model_state) from ``path`` into ``model``."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise CheckpointError(f"weights file {file} does not exist; check the path")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated or not a torch file: the user's to fix
        raise CheckpointError(
            f"{file} is not a readable weights file ({type(exc).__name__}); pass a state dict"
        ) from None
    if isinstance(state, dict) and isinstance(state.get("model_state"), dict):
        state = state["model_state"]
    try:
        model.load_state_dict(state)
    except Exception as exc:
        first = _first_line(exc)
        raise CheckpointError(f"{file} does not fit model {name} ({first})") from None


def _read_checkpoint(path: str | Path) -> dict[str, Any]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise CheckpointError(f"checkpoint {file} does not exist; check the path")
    try:
        data = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated or unsafe pickles all end up here
        raise CheckpointError(
            f"{file} is not a readable checkpoint ({type(exc).__name__}); {CHECKPOINT_HINT}"
        ) from None
    config = data.get("config") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("model_state"), dict)
        or not isinstance(config, dict)
        or not isinstance(config.get("model"), str)
    ):
        raise CheckpointError(f"{file} lacks model_state or config.model; {CHECKPOINT_HINT}")
    return data


def _checkpoint_module() -> Any:
    """engine.training.checkpoint when the training side provides it, else None."""
    try:
        checkpoint = importlib.import_module("engine.training.checkpoint")
    except ModuleNotFoundError as exc:
        if exc.name != "engine.training.checkpoint":
            raise
        return None
    return checkpoint if hasattr(checkpoint, "model_from_checkpoint") else None


def model_from_checkpoint(path: str | Path) -> tuple[nn.Module, ModelInfo]:
    """The model a checkpoint describes with its weights loaded, in eval mode.

    Uses engine.training.checkpoint.model_from_checkpoint (which validates the file) when it exists;
    otherwise reads ``{"model_state", "config": {"model"}}`` with ``weights_only=True``.
    """
    module = _checkpoint_module()
    if module is not None:
        if not Path(path).expanduser().is_file():
            raise CheckpointError(f"checkpoint {path} does not exist; check the path")
        try:
            result = module.model_from_checkpoint(str(path))
        except EngineError:
            raise
        except Exception as exc:  # whatever a bad file does inside, the user sees one line
            raise CheckpointError(
                f"{path} is not a usable checkpoint ({type(exc).__name__}); {CHECKPOINT_HINT}"
            ) from None
        model, info = result[0], result[1]
        model.eval()
        return model, info
    data = _read_checkpoint(path)
    name = data["config"]["model"]
    model, info = build_model(name)
    try:
        model.load_state_dict(data["model_state"])
    except Exception as exc:
        first = _first_line(exc)
        raise CheckpointError(f"{path} does not fit model {name} ({first})") from None
    model.eval()
    return model, ModelInfo(
        info.name, info.description, info.input_shape, info.mean, info.std, f"checkpoint {path}"
    )


def load_source(args: argparse.Namespace) -> tuple[nn.Module, ModelInfo]:
    """The model named by --model (with --weights) or stored in --checkpoint."""
    if getattr(args, "checkpoint", None):
        if getattr(args, "weights", None):
            raise CheckpointError("--weights goes with --model, not --checkpoint; drop one")
        return model_from_checkpoint(args.checkpoint)
    name = args.model.strip()
    if name == "alexnet":
        return build_model(name, args.weights)
    model, info = build_model(name)
    if args.weights:
        _load_state(model, args.weights, name)
        info = ModelInfo(
            info.name,
            info.description,
            info.input_shape,
            info.mean,
            info.std,
            f"weights from {args.weights}",
        )
    model.eval()
    return model, info
