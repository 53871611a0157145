"""Taking the per-epoch kernel snapshot of a model being trained (see engine.training.history).

The trainer calls :func:`record_epoch` before a fresh run's first step (epoch 0: the initial
weights) and at the end of every epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.models.registry import kernel_layers, named_layers
from engine.training.history import (
    HALF_PRECISION_ABOVE,
    INITIAL_EPOCH,
    HistoryError,
    write_snapshot,
)
from engine.training.run_paths import CHECKPOINT_NAME


def model_kernels(model: Any) -> dict[str, np.ndarray]:
    """Every conv and dense layer's weights as numpy (float16 for big dense matrices)."""
    modules = dict(named_layers(model))
    kernels = {}
    for name in kernel_layers(model):
        weight = modules[name].weight.detach().to("cpu").float().numpy()
        big_dense = weight.ndim == 2 and weight.size > HALF_PRECISION_ABOVE
        kernels[name] = weight.astype(np.float16 if big_dense else np.float32)
    return kernels


def record_epoch(state: Any) -> Path | None:
    """Snapshot a TrainState at the end of an epoch (the trainer's hook); None without run_dir.

    Uses ``state.model``, ``state.info``, ``state.config``, ``state.epoch`` (completed epochs),
    ``state.global_step``, ``state.metrics[-1]`` and ``state.run_dir``. With ``state.epoch`` 0
    (before training) it records the initial weights as epoch 0, without metrics.
    """
    run_dir = getattr(state, "run_dir", None)
    if not run_dir:
        return None
    model = state.model
    trained = int(state.epoch) > INITIAL_EPOCH and bool(getattr(state, "metrics", None))
    metrics = dict(state.metrics[-1]) if trained else {}
    metrics.setdefault("global_step", getattr(state, "global_step", None))
    config = getattr(state, "config", None)
    info = getattr(state, "info", None)
    header = {
        "model": getattr(info, "name", None) or getattr(config, "model", None),
        "params": int(sum(p.numel() for p in model.parameters())),
        "config": config.to_dict() if hasattr(config, "to_dict") else {},
    }
    try:
        return write_snapshot(run_dir, int(state.epoch), model_kernels(model), metrics, header)
    except OSError as exc:
        kept = (
            "the last checkpoint is unchanged"
            if (Path(run_dir) / CHECKPOINT_NAME).is_file()
            else "no checkpoint was written"
        )
        raise HistoryError(
            f"cannot write the epoch snapshot in {run_dir}: {exc.strerror or exc}; free "
            f"space or choose a writable --run-dir ({kept})"
        ) from None
