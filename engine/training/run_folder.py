"""A training run's folder: where it is, config.json and metrics.jsonl (one line per epoch).

The kernel snapshots under history/ are written by engine.training.snapshots and read by
engine.training.history.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ConfigError
from engine.training.config import TrainConfig
from engine.training.run_paths import resolve_checkpoint_path

if TYPE_CHECKING:
    from engine.training.state import TrainState

METRICS_NAME = "metrics.jsonl"
CONFIG_NAME = "config.json"


def run_dir_for(config: TrainConfig, resume: str | Path | None) -> Path:
    """--run-dir, else the resumed checkpoint's own folder, else a new runs/<time>-<model>.

    Never a folder named inside a checkpoint: ``resume_config`` drops the stored run_dir. The
    folder is made (and locked) by ``engine.training.run_claim.claim_run_folder``.
    """
    if config.run_dir:
        return Path(config.run_dir).expanduser()
    if resume is not None:
        return resolve_checkpoint_path(resume).parent
    # A user's model (path/model.py:Name) is named by its Name, not its path
    name = config.model.rpartition(":")[2] if ":" in config.model else config.model
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:40] or "model"
    base = Path("runs") / f"{datetime.now():%Y%m%d-%H%M%S}-{safe}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def write_text(path: Path, text: str) -> None:
    """Write a run-folder file atomically (temporary file, then rename), so a kill or a full
    disk leaves the previous version; ConfigError naming it if it cannot be written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        kept = f" (the previous {path.name} is unchanged)" if path.exists() else ""
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; free space or choose a writable "
            f"--run-dir{kept}"
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
