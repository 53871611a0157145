"""Checkpoints: written atomically, read back with ``torch.load(..., weights_only=True)``.

A checkpoint is a dict of tensors and plain Python values only (str, int, float, bool, None,
lists, tuples and dicts of those), so the safe loader can read it:

``format``, ``version``, ``model`` (registry name or spec), ``model_state``,
``optimizer_state``, ``scheduler_state``, ``epoch`` (epochs completed), ``global_step``,
``step_in_epoch`` (steps taken in the unfinished epoch, 0 at an epoch boundary),
``epoch_totals`` (that epoch's running loss sum / correct / seen / seconds, so a run stopped
mid-epoch resumes with the same epoch metrics), ``elapsed`` (training seconds so far),
``config`` (TrainConfig as a dict), ``metrics`` (one dict per finished epoch), ``info``
(ModelInfo as a dict), ``rng_state`` (torch's CPU and CUDA generators) and ``torch_version``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch

from engine.errors import CheckpointError
from engine.models.weights import read_torch_file
from engine.training.checkpoint_fields import check_fields
from engine.training.run_paths import CHECKPOINT_NAME, resolve_checkpoint_path

FORMAT = "cnn-tui-checkpoint"
VERSION = 1
REQUIRED_KEYS = ("model", "model_state", "config", "epoch", "global_step")


def _plain(value: Any) -> Any:
    """Keep what weights_only can load; drop callables and other objects (e.g. an old
    scheduler's bound anneal function, which the scheduler's constructor recreates)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if value is None:
        return None
    for kind in (bool, int, float, str):  # plain types, not subclasses such as TorchVersion
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if _keep(v)}
    return None


def _keep(value: Any) -> bool:
    return not callable(value) or isinstance(value, torch.Tensor)


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [s.cpu() for s in torch.cuda.get_rng_state_all()]
    return state


def set_rng_state(state: dict[str, Any] | None) -> None:
    if not state:
        return
    if isinstance(state.get("torch"), torch.Tensor):
        torch.set_rng_state(state["torch"].to(torch.uint8).cpu())
    if state.get("cuda") and torch.cuda.is_available():
        with contextlib.suppress(RuntimeError):  # a different GPU count: keep the fresh state
            torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_payload(state: Any) -> dict[str, Any]:
    """The dict saved for a TrainState (see engine.training.state.TrainState)."""
    config = state.config.to_dict() if hasattr(state.config, "to_dict") else dict(state.config)
    info = asdict(state.info) if state.info is not None else {}
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": config.get("model", getattr(state.info, "name", "")),
        "model_state": _plain(state.model.state_dict()),
        "optimizer_state": _plain(state.optimizer.state_dict()) if state.optimizer else None,
        "scheduler_state": _plain(state.scheduler.state_dict()) if state.scheduler else None,
        "epoch": int(state.epoch),
        "global_step": int(state.global_step),
        "step_in_epoch": int(getattr(state, "step_in_epoch", 0)),
        "steps_per_epoch": int(getattr(state, "steps_per_epoch", 0)),
        "epoch_totals": _plain(dict(getattr(state, "epoch_totals", {}) or {})),
        "elapsed": float(getattr(state, "elapsed", 0.0)),
        "config": _plain(config),
        "metrics": _plain(list(state.metrics)),
        "info": _plain(info),
        "rng_state": rng_state(),
        "torch_version": str(torch.__version__),
    }


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temporary file in the same folder, flush, fsync, then os.replace."""
    target = Path(path)
    existed = target.is_file()  # decides what the failure message says was kept
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise CheckpointError(
            f"cannot write checkpoint {target}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # torch's zip writer reports a full disk as RuntimeError ("unexpected pos ...")
        if isinstance(exc, (OSError, RuntimeError)):
            raise _write_failed(target, exc, existed) from None
        raise
    _fsync_dir(target.parent)
    return target


def _write_failed(target: Path, exc: BaseException, existed: bool) -> CheckpointError:
    """One line for a checkpoint that could not be written: why, that the one there before the
    write (``existed``) is intact or that none was written, and the fix. torch's zip writer
    gives no reason worth showing."""
    reason = getattr(exc, "strerror", None) or "write failed: the disk may be full"
    kept = "the previous checkpoint is intact" if existed else "no checkpoint was written"
    return CheckpointError(
        f"cannot write checkpoint {target} ({reason}); {kept}; free space or choose another "
        "--run-dir"
    )


def save_checkpoint(state: Any, path: str | Path | None = None) -> Path:
    """Write the TrainState's checkpoint (default: RUN_DIR/checkpoint.pt) atomically."""
    if path is None:
        if not getattr(state, "run_dir", None):
            raise CheckpointError(
                "no checkpoint path given and the run has no run folder; pass a path"
            )
        path = Path(state.run_dir) / CHECKPOINT_NAME
    return atomic_save(checkpoint_payload(state), path)


def _one_line(exc: BaseException, limit: int = 100) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read and validate a checkpoint with weights_only=True; CheckpointError if it is bad."""
    file = resolve_checkpoint_path(path)
    ckpt = read_torch_file(
        file, "checkpoint", "use another checkpoint or train again", map_location
    )
    if not isinstance(ckpt, dict):
        raise CheckpointError(
            f"{file} holds a {type(ckpt).__name__}, not a cnn-tui checkpoint; "
            "pass a checkpoint.pt written by `python -m engine train`"
        )
    missing = [key for key in REQUIRED_KEYS if key not in ckpt]
    if missing:
        raise CheckpointError(
            f"{file} is not a cnn-tui checkpoint (missing "
            f"{', '.join(missing)}); pass a checkpoint.pt written "
            "by `python -m engine train`"
        )
    check_fields(ckpt, file)  # types and ranges of everything read from it
    return ckpt


def model_from_checkpoint(
    path: str | Path,
    device: str | torch.device = "cpu",
    input_shape: tuple[int, int, int] | None = None,
):
    """(model in eval mode, ModelInfo, checkpoint dict) rebuilt from a checkpoint: its model
    (a user's model from the source file it records) for the input shape and classes it was
    trained with (``input_shape``: another shape, for a model that takes any), its weights,
    and its dataset, mean and std. CheckpointError (one line) when it cannot be rebuilt; for
    a user's model the line names the recorded source."""
    from engine.training.checkpoint_model import rebuild_model

    ckpt = load_checkpoint(path)
    model, info = rebuild_model(ckpt, str(path), input_shape)
    info = replace(info, weights=f"checkpoint {path} (epoch {ckpt['epoch']})")
    return model.to(device).eval(), info, ckpt
