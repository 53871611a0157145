"""A checkpoint's model rebuilt: the registry model, spec or user's model it records, built for
the input shape and classes it was trained with, its weights loaded, its info restored."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from torch import nn

from engine.errors import CheckpointError, EngineError, ModelSourceError
from engine.models.registry import ModelInfo, build_model
from engine.models.weights import fit_state_dict
from engine.training.model_source import DIGITS, checkpoint_model, source_file


def _first_line(exc: BaseException) -> str:
    """The one-line summary of an error (a model-source error adds the user's traceback)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _recorded(ckpt: dict[str, Any]) -> dict[str, Any]:
    """What the checkpoint says about its model's inputs and outputs (defaults: the digits
    of MNIST at 1x28x28, for checkpoints written before these were recorded)."""
    info = ckpt.get("info") or {}
    config = ckpt["config"]
    shape = info.get("input_shape") or config.get("input_shape") or (1, 28, 28)
    return {
        "input_shape": tuple(int(d) for d in shape),
        "classes": tuple(str(c) for c in (info.get("classes") or DIGITS)),
        "dataset": str(info.get("dataset") or config.get("dataset") or "mnist"),
        **{key: tuple(float(v) for v in info[key]) for key in ("mean", "std") if info.get(key)},
    }


def _build(name: str, source: str, recorded: dict[str, Any], path: str) -> tuple[nn.Module, Any]:
    """build_model for the recorded shape and classes; CheckpointError naming the source (a
    user's model that fails: ModelSourceError, that line then the user's traceback)."""
    file = source_file(source) if source else None
    if file is not None and not file.is_file():
        raise CheckpointError(
            f"{path}: its model comes from {source}, and {file} is not there any more; put the "
            "file back (or run from the folder it was trained in)"
        )
    try:
        return build_model(name, input_shape=recorded["input_shape"], classes=recorded["classes"])
    except ModelSourceError as exc:  # the summary in the line, the user's traceback after it
        where = f" from {source}" if source else ""
        line = f"{path}: its model{where} cannot be built: {exc.summary}"
        raise ModelSourceError(line, exc.details) from None
    except EngineError as exc:
        where = f" from {source}" if source else ""
        raise CheckpointError(
            f"{path}: its model{where} cannot be built: {_first_line(exc)}"
        ) from None


def rebuild_model(
    ckpt: dict[str, Any], path: str, input_shape: tuple[int, int, int] | None = None
) -> tuple[nn.Module, ModelInfo]:
    """(model with the checkpoint's weights, its ModelInfo) from a loaded checkpoint dict;
    ``input_shape`` overrides the recorded one. CheckpointError (one line) when the model
    cannot be built or its weights do not fit (a user's file that changed: named)."""
    name, source = checkpoint_model(ckpt)
    recorded = _recorded(ckpt)
    if input_shape is not None:
        recorded["input_shape"] = tuple(input_shape)
    model, info = _build(name, source, recorded, path)
    fix = (
        f"its model file {source} changed since it was trained; restore that version"
        if source
        else "the checkpoint is corrupt or from another version"
    )
    fit_state_dict(model, ckpt["model_state"], path, repr(ckpt["config"].get("model")), fix)
    return model, replace(info, **recorded)
