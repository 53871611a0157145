"""Taking the kernel snapshots of a model being trained (see engine.training.history).

The trainer calls :func:`record_epoch` before a fresh run's first step (epoch 0: the initial
weights) and at the end of every epoch, and :meth:`StepSnapshots.after_step` after every
optimizer step: it writes the planned mid-epoch snapshots (engine.training.snapshot_plan,
engine.training.step_history) and costs one set lookup on the other steps.
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
from engine.training.snapshot_plan import planned_steps
from engine.training.step_history import (
    point_kernels,
    remove_step_snapshots,
    steps_index_bytes,
    write_step_snapshot,
)


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
        raise _write_failed(run_dir, "epoch", exc) from None


def _write_failed(run_dir: str | Path, which: str, exc: OSError) -> HistoryError:
    """The one line for a snapshot the disk refused (full, read-only)."""
    kept = (
        "the last checkpoint is unchanged"
        if (Path(run_dir) / CHECKPOINT_NAME).is_file()
        else "no checkpoint was written"
    )
    return HistoryError(
        f"cannot write the {which} snapshot in {run_dir}: {exc.strerror or exc}; free "
        f"space or choose a writable --run-dir ({kept})"
    )


class StepSnapshots:
    """The run's planned mid-epoch snapshots; :meth:`after_step` writes the one that is due.

    The plan (``TrainConfig.snapshots`` points over ``epochs x steps_per_epoch`` steps) is
    recomputed from the config, so a resumed run continues it from its global step: steps it
    passed before the stop are not written again. Step 0 and every epoch's last step are left
    to :func:`record_epoch` (which keeps their metrics).
    """

    def __init__(self, state: Any, run: Any = None) -> None:
        config = state.config
        self.total_steps = int(config.epochs) * int(state.steps_per_epoch)
        count = int(getattr(config, "snapshots", 0) or 0)
        self.due = set(planned_steps(self.total_steps, count)) - {0}
        self.written: list[int] = []
        self.run_dir = state.run_dir
        self.index_before = steps_index_bytes(state.run_dir) if state.run_dir else None
        if run is not None:  # a run that ends without a checkpoint takes its snapshots back
            run.undo_unsaved = self.take_back

    def take_back(self) -> None:
        """Remove the snapshots this run wrote (it saved no checkpoint to go with them)."""
        if self.written and self.run_dir:
            remove_step_snapshots(self.run_dir, self.written, self.index_before)
            self.written = []

    def after_step(self, state: Any) -> Path | None:
        """Snapshot ``state.model`` if ``state.global_step`` is planned and mid-epoch."""
        step = int(state.global_step)
        if step not in self.due or not state.run_dir:
            return None
        if state.step_in_epoch >= state.steps_per_epoch:
            return None  # the epoch's end: record_epoch snapshots it with its metrics
        try:
            path = write_step_snapshot(
                state.run_dir,
                step,
                point_kernels(model_kernels(state.model)),
                int(state.steps_per_epoch),
                self.total_steps,
            )
        except OSError as exc:
            raise _write_failed(state.run_dir, "step", exc) from None
        self.written.append(step)
        return path
