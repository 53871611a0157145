"""The torch-free learning-rate plan (engine.training.lr_plan) against torch's own schedulers."""

from __future__ import annotations

import pytest
import torch

from engine.training import lr_plan, steps
from engine.training.config import make_config


def test_the_plan_shares_the_schedulers_constants() -> None:
    assert lr_plan.ONECYCLE_PCT == steps.ONECYCLE_PCT
    assert lr_plan.ONECYCLE_DIV == steps.ONECYCLE_DIV
    assert lr_plan.ONECYCLE_FINAL_DIV == steps.ONECYCLE_FINAL_DIV
    assert lr_plan.STEP_GAMMA == steps.STEP_GAMMA


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "onecycle"])
@pytest.mark.parametrize(("epochs", "steps_per_epoch"), [(1, 4), (2, 7), (3, 1), (1, 235)])
def test_the_plan_is_the_schedule_torch_steps(schedule: str, epochs: int, steps_per_epoch: int):
    config = make_config("fast", schedule=schedule, lr=0.015, epochs=epochs)
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([parameter], lr=config.lr)
    scheduler = steps.make_scheduler(optimizer, config, steps_per_epoch)
    for step in range(epochs * steps_per_epoch + 1):
        expected = optimizer.param_groups[0]["lr"]
        assert lr_plan.lr_after(config, steps_per_epoch, step) == pytest.approx(expected, rel=1e-6)
        optimizer.step()
        steps.advance(scheduler)


@pytest.mark.parametrize(
    ("count", "batch"), [(60_000, 256), (256, 64), (257, 64), (1, 1), (129, 64)]
)
def test_steps_per_epoch_match_the_batches(count: int, batch: int) -> None:
    from engine.data.mnist import batch_spans

    assert lr_plan.steps_per_epoch_of(count, batch) == len(batch_spans(count, batch))


def test_a_plan_spans_the_run_in_epochs_with_bounded_points() -> None:
    config = make_config("fast", epochs=2, batch_size=64)  # onecycle, 938 steps per epoch
    plan = lr_plan.planned_lr(config)
    assert plan[0][0] == 0 and plan[-1][0] == pytest.approx(2.0)
    assert len(plan) <= lr_plan.MAX_POINTS + 1
    peak = max(plan, key=lambda point: point[1])
    assert peak[1] == pytest.approx(config.lr, rel=1e-3) and 0.4 < peak[0] < 0.6
