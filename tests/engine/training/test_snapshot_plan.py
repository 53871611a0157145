"""engine.training.snapshot_plan: snapshot steps spread evenly over a run, ends included."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.training.config import make_config
from engine.training.snapshot_plan import (
    DEFAULT_SNAPSHOTS,
    between_epochs,
    epoch_position,
    planned_steps,
    point_label,
)


def test_the_default_keeps_at_least_twenty_points() -> None:
    assert DEFAULT_SNAPSHOTS >= 20
    assert make_config("fast").snapshots == DEFAULT_SNAPSHOTS


@pytest.mark.parametrize("total", [235, 469 * 15, 100, 23])
def test_points_are_spread_evenly_and_include_both_ends(total: int) -> None:
    steps = planned_steps(total, 24)
    assert steps[0] == 0 and steps[-1] == total
    assert steps == sorted(set(steps))
    assert len(steps) == min(24, total + 1)
    gaps = [b - a for a, b in zip(steps, steps[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1  # as even as whole steps allow


def test_zero_or_one_means_epochs_only() -> None:
    assert planned_steps(235, 0) == [] and planned_steps(235, 1) == []
    assert planned_steps(0, 24) == []


def test_the_mid_epoch_steps_leave_epoch_ends_to_the_epoch_snapshot() -> None:
    mid = between_epochs(100, 11, 50)  # steps 0, 10, ..., 100; epochs end at 50 and 100
    assert mid == [10, 20, 30, 40, 60, 70, 80, 90]


def test_the_label_names_step_and_epoch_fraction() -> None:
    assert epoch_position(120, 235) == pytest.approx(0.5106, abs=1e-4)
    assert point_label(120, 235, epoch_position(120, 235)) == "step 120/235 · epoch 0.51"
    assert point_label(None, None, 2.0) == "epoch 2"


@pytest.mark.parametrize("bad", [-1, 1001, 2.5])
def test_the_option_is_bounded(bad) -> None:
    with pytest.raises(ConfigError, match="--snapshots"):
        make_config("fast", snapshots=bad)


@pytest.mark.parametrize("shape", [(128, 1568), (160, 784), (1000, 300), (129, 129), (10, 128)])
def test_block_means_are_the_renderers_block_means(shape) -> None:
    import numpy as np

    from engine.render.maps import downsample
    from engine.training.step_history import block_means

    matrix = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = downsample(matrix, 128, 128)
    np.testing.assert_allclose(block_means(matrix, 128), expected, atol=1e-5)
