"""A training run's folder: where it is, config.json and metrics.jsonl (one line per epoch).

The kernel snapshots under history/ are written by engine.training.snapshots and read by
engine.training.history.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ConfigError
from engine.training.checkpoint import resolve_checkpoint_path
from engine.training.config import TrainConfig

if TYPE_CHECKING:
    from engine.training.state import TrainState

METRICS_NAME = "metrics.jsonl"
CONFIG_NAME = "config.json"


def run_dir_for(config: TrainConfig, resume: str | Path | None) -> Path:
    """--run-dir, else the resumed checkpoint's folder, else a new runs/<time>-<model>."""
    if config.run_dir:
        folder = Path(config.run_dir).expanduser()
    elif resume is not None:
        folder = resolve_checkpoint_path(resume).parent
    else:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", config.model)[:40] or "model"
        base = Path("runs") / f"{datetime.now():%Y%m%d-%H%M%S}-{safe}"
        folder, n = base, 1
        while folder.exists():
            n += 1
            folder = base.with_name(f"{base.name}-{n}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create run folder {folder}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None
    return folder


def write_text(path: Path, text: str) -> None:
    """Write a run-folder file; ConfigError naming it if the folder is not writable."""
    try:
        path.write_text(text)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None


def write_run_files(state: TrainState) -> None:
    """config.json and metrics.jsonl (the metrics so far) in the run directory."""
    assert state.run_dir is not None
    write_text(state.run_dir / CONFIG_NAME, json.dumps(state.config.to_dict(), indent=2) + "\n")
    metrics = "".join(json.dumps(m) + "\n" for m in state.metrics)
    write_text(state.run_dir / METRICS_NAME, metrics)


def append_metrics(run_dir: Path, record: dict[str, Any]) -> None:
    """Add one epoch's record to metrics.jsonl."""
    try:
        with open(run_dir / METRICS_NAME, "a") as handle:
            handle.write(json.dumps(record) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {run_dir / METRICS_NAME}: {exc.strerror or exc}; "
            "choose a writable --run-dir"
        ) from None


def epoch_record(state: TrainState, test_loss: float, test_acc: float) -> dict[str, Any]:
    """The finished epoch's line in metrics.jsonl (before state.epoch counts it)."""
    totals = state.epoch_totals
    seen = max(int(totals["seen"]), 1)
    return {
        "epoch": state.epoch + 1,
        "train_loss": totals["loss_sum"] / seen,
        "train_acc": totals["correct"] / seen,
        "test_loss": test_loss,
        "test_acc": test_acc,
        "lr": state.lr,
        "seconds": round(totals["seconds"], 3),
        "elapsed": round(state.elapsed, 3),
        "global_step": state.global_step,
        "samples_per_sec": round(totals["seen"] / max(totals["seconds"], 1e-9), 1),
    }
