"""A run's per-step training curve: steps.jsonl in the run folder, written and read back.

metrics.jsonl holds one line per epoch, so a one-epoch run would be a single point in a plot.
steps.jsonl holds a line every few steps (about ``RECORDS_PER_EPOCH`` per epoch)::

    {"step": 12, "x": 0.05, "train_loss": 0.61, "train_acc": 0.83, "lr": 0.0006}

``step`` is the global step (from 1), ``x`` the position in epochs (epochs done plus the
fraction of the epoch under way), ``train_loss``/``train_acc`` the mean over the steps since the
previous line (the loss as trained: with the run's label smoothing), ``lr`` the learning rate
after that step. ``StepLog`` takes the marks while training without waiting for the device;
this module imports neither torch nor numpy (the UI process reads the file too).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

STEPS_FILE = "steps.jsonl"
RECORDS_PER_EPOCH = 50  # lines per epoch, about: enough for a smooth line, small files
STEP_KEYS = ("train_loss", "train_acc", "lr")


class StepLog:
    """Marks of the epoch's running sums every ``every`` steps, read on the host later.

    ``after_step`` clones the device's running loss sum and correct count (no wait for the
    device: a GPU keeps its queue); ``drain`` turns the marks into records once the caller has
    synchronised anyway (at the epoch's end or a stop).
    """

    def __init__(self, steps_per_epoch: int) -> None:
        self.steps_per_epoch = max(1, int(steps_per_epoch))
        self.every = max(1, self.steps_per_epoch // RECORDS_PER_EPOCH)
        self.marks: list[tuple[int, float, Any, Any, int, float]] = []
        self.seen = 0  # samples trained in the epoch so far (host count)
        self.base: tuple[float, int, int] = (0.0, 0, 0)  # loss sum, correct, seen at last record

    def start_epoch(self, totals: dict[str, float]) -> None:
        """An epoch starts (or continues, resumed, from ``totals``)."""
        self.seen = int(totals.get("seen", 0))
        self.base = (float(totals.get("loss_sum", 0.0)), int(totals.get("correct", 0)), self.seen)

    def after_step(self, state: Any, sums: Any, count: int) -> None:
        """After one step of ``count`` samples (``state.step_in_epoch`` already counts it)."""
        self.seen += count
        step = int(state.step_in_epoch)
        if step % self.every and step != self.steps_per_epoch:
            return
        self.mark(state, sums)

    def mark(self, state: Any, sums: Any) -> None:
        """Mark where the run is now; a stop between two marks marks its last step too, so
        the folder says where the run stopped."""
        if self.marks and self.marks[-1][0] == state.global_step:
            return
        step = int(state.step_in_epoch)
        x = state.epoch + step / self.steps_per_epoch
        marks = (state.global_step, x, sums.loss.clone(), sums.correct.clone(), self.seen)
        self.marks.append((*marks, state.lr))

    def drain(self) -> list[dict[str, Any]]:
        """The records of the marks taken since the last drain (reads the device)."""
        records = []
        for global_step, x, loss_sum, correct, seen, lr in self.marks:
            loss_total, correct_total = float(loss_sum), int(correct)
            count = seen - self.base[2]
            if count > 0:
                records.append(
                    {
                        "step": int(global_step),
                        "x": round(float(x), 6),
                        "train_loss": (loss_total - self.base[0]) / count,
                        "train_acc": (correct_total - self.base[1]) / count,
                        "lr": float(lr),
                    }
                )
            self.base = (loss_total, correct_total, seen)
        self.marks = []
        return records


def append_steps(run_dir: str | Path, records: list[dict[str, Any]]) -> None:
    """Add ``records`` to the run's steps.jsonl (non-finite values written as null)."""
    if not records:
        return
    path = Path(run_dir) / STEPS_FILE
    lines = "".join(json.dumps({k: _finite(v) for k, v in r.items()}) + "\n" for r in records)
    try:
        with open(path, "a") as handle:
            handle.write(lines)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_steps(run_dir: str | Path) -> list[dict[str, Any]]:
    """The run's step records in step order ([] without a steps.jsonl). A line that is not a
    record (cut short by a kill) is skipped; of two lines for one step (a run resumed after a
    crash trains it again) the later wins."""
    path = Path(run_dir) / STEPS_FILE
    try:
        lines = path.read_text().splitlines() if path.is_file() else []
    except OSError:
        return []
    by_step: dict[int, dict[str, Any]] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if _is_number(record.get("step") if isinstance(record, dict) else None) and _is_number(
            record.get("x")
        ):
            by_step[int(record["step"])] = record
    return [by_step[step] for step in sorted(by_step)]


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def step_curves(records: list[dict[str, Any]]) -> dict[str, list[float | None]]:
    """Columns of ``records``: ``step`` (global), ``x`` (epochs) and each of STEP_KEYS (None
    where not finite)."""
    return {
        "step": [int(r["step"]) for r in records],
        "x": [float(r["x"]) for r in records],
        **{
            key: [r.get(key) if _is_number(r.get(key)) else None for r in records]
            for key in STEP_KEYS
        },
    }
