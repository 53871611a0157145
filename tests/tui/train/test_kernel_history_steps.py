"""The inspector's kernel history over snapshots spread across a run's steps: e/E scrub them,
each labelled with its step and epoch fraction, x shows the change since the previous one, and
while a run trains the list grows as snapshots arrive (engine.training.step_history files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.training.config import make_config
from engine.training.history import write_snapshot
from engine.training.snapshot_plan import planned_steps
from engine.training.step_history import write_step_snapshot
from tui.app import AppOptions, CnnTuiApp

TOTAL = 235  # one epoch of fast-net's batches
SIZES = [(80, 24), (200, 60)]  # the smallest and the largest the layout is made for


def kernels_at(step: int) -> np.ndarray:
    offsets = np.arange(8, dtype=np.float32).reshape(8, 1, 1, 1)
    return np.full((8, 1, 3, 3), 0.001 * step, np.float32) + offsets


def write_run(run: Path, steps: list[int]) -> None:
    """A run folder as the trainer writes it: epoch 0 and 1 with metrics, the rest by step."""
    header = {"model": "tiny", "params": 80, "config": {"epochs": 1}}
    for step in steps:
        if step in (0, TOTAL):
            metrics = {"global_step": step} | ({"test_acc": 0.9} if step else {})
            write_snapshot(run, step // TOTAL, {"conv1": kernels_at(step)}, metrics, header)
        else:
            write_step_snapshot(run, step, {"conv1": kernels_at(step)}, TOTAL, TOTAL)


@pytest.fixture
def step_engine_class(eval_engine_class: type) -> type:
    """The eval engine class serving ``snapshots``/``snapshot_kernels`` as RunOps does."""
    from engine.process.run_ops import RunOps

    class StepFakeEngine(eval_engine_class):
        def op_snapshots(self, run_dir=None) -> dict:
            return RunOps(None).snapshots(run_dir=run_dir)

        def op_snapshot_kernels(self, layer, run_dir=None, **which) -> dict:
            return RunOps(None).snapshot_kernels(layer, run_dir=run_dir, **which)

    return StepFakeEngine


def app_on(run: Path, engine: Any) -> CnnTuiApp:
    (run / "checkpoint.pt").write_bytes(b"x")
    options = AppOptions(
        config=make_config("fast", model="tiny"),
        color_mode="256",
        checkpoint=str(run / "checkpoint.pt"),
    )
    return CnnTuiApp(options, engine_factory=lambda data_dir, log_file: engine)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_e_and_x_scrub_every_step_snapshot(
    tmp_path: Path, size, wait_for, sent, step_engine_class
) -> None:
    from tui.train.inspector import Inspector

    run = tmp_path / "run"
    plan = planned_steps(TOTAL, 24)
    write_run(run, plan)
    fake = step_engine_class()
    app = app_on(run, fake)
    async with app.run_test(size=size) as pilot:
        main = app.main.train
        await wait_for(pilot, lambda: main.state == "idle" and main.layer_name == "conv1", "load")
        inspector = main.query_one(Inspector)

        async def shown(step: int, what: str) -> None:
            await wait_for(
                pilot,
                lambda: inspector.kernels is not None and inspector.kernels.get("step") == step,
                what,
            )

        await pilot.press("e")
        await shown(TOTAL, "the final weights")
        assert inspector.message.startswith(f"step {TOTAL}/{TOTAL} · epoch 1.00")
        assert "snapshot 24 of 24" in inspector.message
        for position in range(22, -1, -1):  # E... back through every snapshot to the first
            await pilot.press("e")
            await shown(plan[position], f"snapshot {position}")
            np.testing.assert_array_equal(inspector.kernels["weights"], kernels_at(plan[position]))
        assert "step 0/235 · epoch 0.00 (initial weights)" in inspector.message
        await pilot.press("E", "E")
        await shown(plan[2], "the third snapshot")
        label = f"step {plan[2]}/{TOTAL} · epoch {plan[2] / TOTAL:.2f}"
        assert inspector.message.startswith(label) and "snapshot 3 of 24" in inspector.message
        await pilot.press("x")
        await wait_for(pilot, lambda: inspector.kernels.get("delta"), "the change")
        np.testing.assert_allclose(
            inspector.kernels["weights"], kernels_at(plan[2]) - kernels_at(plan[1]), atol=1e-6
        )
        assert inspector.kernels["base_step"] == plan[1]
        assert inspector.message.startswith(f"change step {plan[1]}→{plan[2]}/{TOTAL} · epoch")
        assert sent(fake, "snapshot_kernels")[-1]["base_step"] == plan[1]


async def test_the_list_grows_while_a_run_trains(
    tmp_path: Path, wait_for, step_engine_class
) -> None:
    from tui.train.inspector import Inspector

    run = tmp_path / "run"
    plan = planned_steps(TOTAL, 24)
    write_run(run, plan[:3])
    fake = step_engine_class(steps_per_epoch=2000, step_delay=0.01, run_dir=str(run))
    options = AppOptions(config=make_config("fast", model="tiny"), color_mode="256")
    app = CnnTuiApp(options, engine_factory=lambda data_dir, log_file: fake)
    async with app.run_test(size=(100, 30)) as pilot:
        main = app.main.train
        await wait_for(pilot, lambda: main.state == "idle", "load")
        await pilot.press("t")
        await wait_for(pilot, lambda: main.state == "training", "training")
        inspector = main.query_one(Inspector)
        await pilot.press("e")
        await wait_for(pilot, lambda: "snapshot 3 of 3" in inspector.message, "three snapshots")
        write_run(run, plan[3:6])  # the trainer takes three more
        await wait_for(pilot, lambda: "3 of 6" in inspector.message, "the new ones counted")
        assert inspector.kernels.get("step") == plan[2]  # the one in view stays in view
