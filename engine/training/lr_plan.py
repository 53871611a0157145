"""The learning-rate schedule a run plans, computed without torch (the UI draws it).

``planned_lr(config, steps_per_epoch)`` gives the learning rate after each step as
``engine.training.steps.make_scheduler`` makes it (constant, step, cosine, OneCycle), as
(x in epochs, lr) points; tests/engine/training/test_lr_plan.py checks it against torch's
schedulers step by step.
"""

from __future__ import annotations

import math
from typing import Any

# The same shape as engine.training.steps (the test holds them equal).
ONECYCLE_PCT = 0.25
ONECYCLE_DIV = 25.0
ONECYCLE_FINAL_DIV = 1e4
STEP_GAMMA = 0.7
MNIST_TRAIN = 60_000
MAX_POINTS = 400  # points of a drawn schedule; long runs are sampled evenly


def steps_per_epoch_of(train_count: int, batch_size: int) -> int:
    """Batches per epoch, as engine.data.mnist.batch_spans makes them (a one-sample rest
    joins the batch before it)."""
    count, size = max(0, int(train_count)), max(1, int(batch_size))
    steps = -(-count // size)
    if size > 1 and steps > 1 and count % size == 1:
        steps -= 1
    return steps


def config_steps_per_epoch(config: Any) -> int:
    """Batches per epoch of a TrainConfig (or its dict) on MNIST's 60,000 training digits."""
    subset = _get(config, "train_subset")
    count = min(int(subset), MNIST_TRAIN) if subset else MNIST_TRAIN
    return steps_per_epoch_of(count, int(_get(config, "batch_size") or 64))


def _get(config: Any, name: str) -> Any:
    return config.get(name) if isinstance(config, dict) else getattr(config, name, None)


def lr_after(config: Any, steps_per_epoch: int, step: int) -> float:
    """The learning rate after ``step`` optimizer steps (0: before the first)."""
    lr = float(_get(config, "lr") or 0.0)
    schedule = _get(config, "schedule") or "constant"
    spe = max(1, int(steps_per_epoch))
    total = max(1, int(_get(config, "epochs") or 1) * spe)
    if schedule == "onecycle" and total >= 3:
        return _onecycle(lr, total, min(step, total - 1))
    if schedule == "cosine":
        t = min(step, total)
        return lr * (1 + math.cos(math.pi * t / total)) / 2
    if schedule == "step":
        return lr * STEP_GAMMA ** (step // spe)
    return lr


def _onecycle(max_lr: float, total: int, step: int) -> float:
    """torch.optim.lr_scheduler.OneCycleLR (cosine annealing, two phases) at ``step``."""
    pct_start = max(ONECYCLE_PCT, 1.5 / total)
    initial = max_lr / ONECYCLE_DIV
    final = initial / ONECYCLE_FINAL_DIV
    warm_end = float(pct_start * total) - 1
    last = float(total - 1)
    if step <= warm_end:
        start, end, pct = initial, max_lr, step / warm_end
    else:
        start, end, pct = max_lr, final, (step - warm_end) / (last - warm_end)
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def planned_lr(config: Any, steps_per_epoch: int | None = None) -> list[tuple[float, float]]:
    """(x in epochs, learning rate after that many steps) over the whole run, at most
    MAX_POINTS points (evenly spaced steps, the first and last included)."""
    spe = max(1, int(steps_per_epoch or config_steps_per_epoch(config)))
    total = max(1, int(_get(config, "epochs") or 1) * spe)
    stride = max(1, -(-total // MAX_POINTS))
    steps = sorted({*range(0, total + 1, stride), total})
    return [(step / spe, lr_after(config, spe, step)) for step in steps]
