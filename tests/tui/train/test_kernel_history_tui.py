"""The layer inspector stepping through per-epoch kernel snapshots (engine.training.history)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp


@pytest.fixture
def history_engine_class(eval_engine_class: type) -> type:
    """The eval engine class plus this file's ops."""

    class HistoryFakeEngine(eval_engine_class):
        """Serves ``snapshots`` and ``snapshot_kernels`` from real history files (torch-free)."""

        def op_snapshots(self, run_dir=None) -> dict:
            from engine.training import history

            return {
                "run_dir": run_dir,
                "epochs": history.list_snapshots(run_dir),
                "layers": ["conv1"],
                "metrics": history.load_history(run_dir).epochs,
            }

        def op_snapshot_kernels(self, layer, epoch, run_dir=None, base_epoch=None) -> dict:
            from engine.training import history

            weights = (
                history.snapshot_layer(run_dir, epoch, layer)
                if base_epoch is None
                else history.kernel_delta(run_dir, layer, base_epoch, epoch)
            )
            return {
                "layer": layer,
                "weights": weights,
                "range": (float(weights.min()), float(weights.max())),
                "shape": weights.shape,
                "epoch": epoch,
                "base_epoch": base_epoch,
                "delta": base_epoch is not None,
            }

    return HistoryFakeEngine


def kernels_at(epoch: int) -> np.ndarray:
    offsets = np.arange(8, dtype=np.float32).reshape(8, 1, 1, 1)
    return np.full((8, 1, 3, 3), 0.1 * epoch, np.float32) + offsets


def app_on_checkpoint(run, engine_class: type) -> tuple[CnnTuiApp, Any]:
    """The app opening ``run``'s checkpoint (a placeholder file) against the history fake."""
    (run / "checkpoint.pt").write_bytes(b"x")
    fake = engine_class()
    app = CnnTuiApp(
        AppOptions(
            config=make_config("fast", model="tiny"),
            color_mode="256",
            checkpoint=str(run / "checkpoint.pt"),
        ),
        engine_factory=lambda data_dir, log_file: fake,
    )
    return app, fake


async def test_inspector_steps_through_kernel_snapshots(
    tmp_path: Path, app_size, wait_for, sent, history_engine_class
) -> None:
    from engine.training.history import write_snapshot
    from tui.train.inspector import Inspector

    run = tmp_path / "run"
    for epoch in (1, 2, 3):
        write_snapshot(
            run,
            epoch,
            {"conv1": kernels_at(epoch)},
            {"test_acc": 0.5},
            {"model": "tiny", "params": 80},
        )
    app, fake = app_on_checkpoint(run, history_engine_class)
    async with app.run_test(size=app_size) as pilot:
        main = app.main.train
        await wait_for(pilot, lambda: main.state == "idle" and main.layer_name == "conv1", "load")
        inspector = main.query_one(Inspector)

        async def shown(epoch, what: str) -> None:
            await wait_for(
                pilot,
                lambda: inspector.kernels is not None and inspector.kernels.get("epoch") == epoch,
                what,
            )

        await pilot.press("e")
        await shown(3, "the last snapshot")
        assert sent(fake, "snapshots")[-1] == {"run_dir": str(run)}
        np.testing.assert_array_equal(inspector.kernels["weights"], kernels_at(3))
        assert inspector.message.startswith("kernels after epoch 3 of 3")
        await pilot.press("e")
        await shown(2, "epoch 2")
        await pilot.press("x")
        await wait_for(pilot, lambda: inspector.kernels.get("delta"), "the change")
        np.testing.assert_allclose(
            inspector.kernels["weights"], kernels_at(2) - kernels_at(1), atol=1e-6
        )
        assert inspector.message.startswith("kernel change from epoch 1 to 2")
        await pilot.press("x", "E", "E")
        await wait_for(
            pilot,
            lambda: sent(fake, "kernels") and fake.sent[-1][0] == "kernels",
            "the live weights again",
        )
        assert main.snapshots.epoch is None and inspector.message == ""


def test_kernel_snapshot_stepping_rules() -> None:
    from tui.train.kernel_history import KernelSnapshots

    snaps = KernelSnapshots("run", [1, 2, 5])
    snaps.step(1)
    assert snaps.epoch is None  # forward from live stays live
    snaps.step(-1)
    assert snaps.epoch == 5 and snaps.kernels_request("conv1")[0] == "snapshot_kernels"
    snaps.step(-5)
    assert snaps.epoch == 1
    snaps.delta = True
    assert snaps.base_epoch is None and "no change to show" in snaps.note()
    snaps.step(1)
    assert snaps.base_epoch == 1 and snaps.kernels_request("c")[1]["base_epoch"] == 1
    snaps.step(2)
    assert snaps.epoch is None and snaps.kernels_request("c") == ("kernels", {"layer": "c"})


async def test_epoch_0_is_shown_as_the_initial_kernels(
    tmp_path: Path, app_size, wait_for, history_engine_class
) -> None:
    from engine.training.history import write_snapshot
    from tui.train.inspector import Inspector

    run = tmp_path / "run"
    write_snapshot(run, 0, {"conv1": kernels_at(0)}, {}, {"model": "tiny", "params": 80})
    for epoch in (1, 2):
        write_snapshot(
            run, epoch, {"conv1": kernels_at(epoch)}, {"test_acc": 0.5}, {"model": "tiny"}
        )
    app, fake = app_on_checkpoint(run, history_engine_class)
    async with app.run_test(size=app_size) as pilot:
        main = app.main.train
        await wait_for(pilot, lambda: main.state == "idle" and main.layer_name == "conv1", "load")
        inspector = main.query_one(Inspector)

        def showing(epoch: int, delta: bool) -> bool:
            kernels = inspector.kernels or {}
            return kernels.get("epoch") == epoch and bool(kernels.get("delta")) == delta

        for epoch in (2, 1, 0):  # one at a time: asks made while one is out are coalesced
            await pilot.press("e")
            await wait_for(pilot, lambda epoch=epoch: showing(epoch, False), f"epoch {epoch}")
        np.testing.assert_array_equal(inspector.kernels["weights"], kernels_at(0))
        assert inspector.message.startswith("initial kernels, before training (epoch 0 of 2)")
        await pilot.press("x")
        await wait_for(pilot, lambda: main.snapshots.delta, "the change view")
        await wait_for(pilot, lambda: "no change to show" in inspector.message, "no change")
        await pilot.press("E")
        await wait_for(pilot, lambda: showing(1, True), "the change from epoch 0 to 1")
        np.testing.assert_allclose(
            inspector.kernels["weights"], kernels_at(1) - kernels_at(0), atol=1e-6
        )
        assert inspector.message.startswith(
            "kernel change from the initial weights (epoch 0) to epoch 1 (of 2)"
        )


async def test_a_run_that_starts_leaves_the_snapshot_in_view(
    tmp_path: Path, app_size, wait_for, history_engine_class
) -> None:
    from engine.training.history import write_snapshot
    from tui.train.inspector import Inspector

    run = tmp_path / "run"
    for epoch in (1, 2):
        write_snapshot(run, epoch, {"conv1": kernels_at(epoch)}, {}, {"model": "tiny"})
    app, fake = app_on_checkpoint(run, history_engine_class)
    async with app.run_test(size=app_size) as pilot:
        main = app.main.train
        await wait_for(pilot, lambda: main.state == "idle" and main.layer_name == "conv1", "load")
        inspector = main.query_one(Inspector)
        await pilot.press("e")
        await wait_for(pilot, lambda: inspector.message.startswith("kernels after"), "snapshot")
        await pilot.press("t")
        await wait_for(pilot, lambda: main.state in ("training", "finished"), "the new run")
        await wait_for(pilot, lambda: fake.sent[-1][0] != "snapshot_kernels", "live kernels")
        assert main.snapshots.epoch is None and inspector.message == ""
