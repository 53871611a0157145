"""Types and ranges of every field read from a checkpoint, checked before anything uses them.

``check_fields(ckpt, file)`` raises CheckpointError naming the first bad field (e.g.
``config.model`` an integer, ``epoch`` negative, ``model_state`` not a dict of tensors), so
``eval``, ``--resume``, ``--checkpoint`` and the app's engine child refuse such a file with one
line instead of crashing on it later.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from engine.errors import CheckpointError, ConfigError
from engine.training.config import TrainConfig

_CONFIG_TYPES = typing.get_type_hints(TrainConfig)
_PLAIN = (str, int, float, bool, type(None))


def _bad(file: Path, field: str, problem: str) -> CheckpointError:
    return CheckpointError(
        f"{file}: field {field} {problem}; the checkpoint is corrupt or from another version: "
        "use another checkpoint or train again"
    )


def _is_a(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the dataclass field type ``hint`` (str, int, float, bool or a
    union with None); an int is not a bool, a whole number counts as a float."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(_is_a(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if typing.get_origin(hint) is tuple:  # a fixed-length tuple such as the input shape
        args = typing.get_args(hint)
        return (
            isinstance(value, (tuple, list))
            and len(value) == len(args)
            and all(_is_a(v, a) for v, a in zip(value, args, strict=True))
        )
    if isinstance(value, bool):
        return hint is bool
    if hint is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    return str(hint).replace("<class '", "").replace("'>", "").replace("NoneType", "None")


def checked_config(data: Any, file: Path) -> TrainConfig:
    """The checkpoint's TrainConfig, each known field of its type and the whole validated."""
    if not isinstance(data, dict):
        raise _bad(file, "config", f"is a {type(data).__name__}, not a dict")
    for f in fields(TrainConfig):
        if f.name in data and not _is_a(data[f.name], _CONFIG_TYPES[f.name]):
            raise _bad(
                file,
                f"config.{f.name}",
                f"is {data[f.name]!r:.40}, not {_type_name(_CONFIG_TYPES[f.name])}",
            )
    try:
        # The form only: a dataset folder on another machine does not make the file unreadable
        return TrainConfig.from_dict(data).validate(check_paths=False)
    except ConfigError as exc:
        raise _bad(file, "config", f"is out of range ({exc})") from None


def _check_count(ckpt: dict[str, Any], key: str, file: Path, required: bool) -> None:
    value = ckpt.get(key)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(file, key, f"is {value!r:.40}, not a whole number >= 0")


def _check_numbers(ckpt: dict[str, Any], file: Path) -> None:
    """Counters, training seconds and the unfinished epoch's totals."""
    for key in ("epoch", "global_step"):
        _check_count(ckpt, key, file, required=True)
    for key in ("step_in_epoch", "steps_per_epoch"):
        _check_count(ckpt, key, file, required=False)
    elapsed = ckpt.get("elapsed", 0.0)
    if not _is_a(elapsed, float) or elapsed < 0:
        raise _bad(file, "elapsed", f"is {elapsed!r:.40}, not seconds >= 0")
    totals = ckpt.get("epoch_totals") or {}
    if not isinstance(totals, dict) or not all(_is_a(v, float) and v >= 0 for v in totals.values()):
        raise _bad(file, "epoch_totals", "is not a dict of numbers >= 0")


def _check_records(ckpt: dict[str, Any], file: Path) -> None:
    """metrics (a list of flat dicts of plain values) and info (a dict)."""
    metrics = ckpt.get("metrics", [])
    if not isinstance(metrics, list) or not all(
        isinstance(m, dict) and all(isinstance(v, _PLAIN) for v in m.values()) for m in metrics
    ):
        raise _bad(file, "metrics", "is not a list of dicts of numbers")
    if not isinstance(ckpt.get("info", {}), dict):
        raise _bad(file, "info", "is not a dict")


def _check_states(ckpt: dict[str, Any], file: Path) -> None:
    """Weights (a dict of tensors), optimizer, scheduler and random states."""
    weights = ckpt["model_state"]
    if not isinstance(weights, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()
    ):
        raise _bad(file, "model_state", "is not a dict of named tensors")
    for key in ("optimizer_state", "scheduler_state", "rng_state"):
        if not isinstance(ckpt.get(key), (dict, type(None))):
            raise _bad(file, key, f"is a {type(ckpt[key]).__name__}, not a dict")
    generator = (ckpt.get("rng_state") or {}).get("torch")
    if generator is not None and not (
        isinstance(generator, torch.Tensor) and generator.dtype == torch.uint8
    ):
        raise _bad(file, "rng_state.torch", "is not a byte tensor")


def check_fields(ckpt: dict[str, Any], file: Path) -> None:
    """Raise CheckpointError naming the first field of the wrong type or range."""
    if not isinstance(ckpt["model"], str) or not ckpt["model"].strip():
        raise _bad(file, "model", f"is {ckpt['model']!r:.40}, not a model name or spec")
    checked_config(ckpt["config"], file)
    _check_numbers(ckpt, file)
    _check_records(ckpt, file)
    _check_states(ckpt, file)
