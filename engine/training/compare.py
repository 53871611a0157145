"""Comparing training runs: one summary per run directory (curves, accuracy, size, time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.models.registry import build_model, count_params
from engine.training.history import RUN_HINT, HistoryError, load_history


def compare_runs(run_dirs: list[str | Path]) -> list[dict[str, Any]]:
    """One summary per run (see RunHistory.summary); HistoryError names the first bad one."""
    if not run_dirs:
        raise HistoryError(f"no run directories to compare; {RUN_HINT}")
    return [_summary(run_dir) for run_dir in run_dirs]


def _summary(run_dir: str | Path) -> dict[str, Any]:
    """The run's summary; a run read from the trainer's files alone has no parameter count
    in it, so its model is built to count them."""
    summary = load_history(run_dir).summary()
    if not summary["params"] and summary["model"] != "?":
        summary["params"] = _count_params(summary["model"])
    return summary


def _count_params(model: str | None) -> int:
    """Parameters of a registry model or spec (builds it); 0 if it cannot be built."""
    if not model:
        return 0
    try:
        return count_params(build_model(model)[0])
    except Exception:  # an unknown or custom model: the table shows no count
        return 0
