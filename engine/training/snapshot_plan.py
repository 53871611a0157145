"""Where a run takes its kernel snapshots: points spread evenly over its global steps (torch-free).

A run of ``total`` optimizer steps with ``TrainConfig.snapshots`` = N >= 2 snapshots its kernels
at N steps ``round(i * total / (N - 1))`` for i = 0..N-1: step 0 (the initial weights) and step
``total`` (the final ones) always among them. N of 0 or 1 keeps the epochs-only history (the
initial weights and every epoch's end). Epoch ends are snapshotted with their metrics anyway
(engine.training.snapshots.record_epoch), so the steps between them are the ones this plan adds.
The plan depends on nothing but (total, N): a resumed run recomputes it and continues it.
"""

from __future__ import annotations

DEFAULT_SNAPSHOTS = 24  # >= 20 points per run: watching kernels form shows more than one jump


def planned_steps(total_steps: int, count: int) -> list[int]:
    """The global steps (ascending, unique, in [0, total_steps]) to snapshot.

    ``count`` <= 1 or ``total_steps`` <= 0 gives [] (epochs only); fewer than ``count`` steps
    come back when the run has fewer steps than snapshots asked for.
    """
    total, count = int(total_steps), int(count)
    if count <= 1 or total <= 0:
        return []
    return sorted({round(i * total / (count - 1)) for i in range(count)})


def between_epochs(total_steps: int, count: int, steps_per_epoch: int) -> list[int]:
    """The planned steps that are not an epoch's end (nor step 0): the ones written mid-epoch."""
    per_epoch = max(1, int(steps_per_epoch))
    return [s for s in planned_steps(total_steps, count) if s % per_epoch]


def epoch_position(step: int, steps_per_epoch: int) -> float:
    """Where ``step`` lies in epochs (120 of 235 per epoch -> 0.51); 0 without a step count."""
    return float(step) / steps_per_epoch if steps_per_epoch > 0 else 0.0


def point_label(step: int | None, total_steps: int | None, epoch: float) -> str:
    """ "step 120/235 · epoch 0.51"; "epoch 2" when the step is not known (older runs)."""
    if step is None:
        return f"epoch {epoch:g}"
    of = f"/{total_steps}" if total_steps else ""
    return f"step {step}{of} · epoch {epoch:.2f}"
