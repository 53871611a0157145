"""Kernel snapshots at planned steps while training: the count and steps, resume, old runs,
a full disk, and the ``snapshots``/``snapshot_kernels`` ops over them."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.training import history, step_history
from engine.training.control import Control
from engine.training.events import Failed, Finished
from engine.training.loop import train_events
from engine.training.resume import resume_config
from engine.training.snapshot_plan import planned_steps

pytestmark = pytest.mark.usefixtures("one_torch_thread")

STEPS = 32  # 256 training digits in batches of 8: one epoch


def test_a_one_epoch_run_records_the_planned_snapshots(tiny_config) -> None:
    config = tiny_config(batch_size=8, snapshots=24)
    states: list = []
    kernels_at: dict[int, np.ndarray] = {}

    def watch(state) -> None:  # the weights after every step, to check each file against
        kernels_at[state.global_step] = state.model.conv1.weight.detach().cpu().numpy().copy()
        states.append(state)

    assert isinstance(list(train_events(config, Control(between_steps=watch)))[-1], Finished)
    points = step_history.snapshot_points(config.run_dir)
    assert [p["step"] for p in points] == planned_steps(STEPS, 24)
    assert len(points) == 24 and points[0]["step"] == 0 and points[-1]["step"] == STEPS
    assert all(p["total_steps"] == STEPS for p in points)
    assert points[12]["epoch"] == pytest.approx(points[12]["step"] / STEPS, abs=1e-4)
    assert [p["end_of_epoch"] for p in (points[0], points[-1])] == [0, 1]
    for point in points[1:]:
        saved = step_history.point_layer(config.run_dir, point["key"], "conv1")
        np.testing.assert_array_equal(saved, kernels_at[point["step"]])
    assert history.list_snapshots(config.run_dir) == [0, 1]  # the per-epoch reader is as before


def test_a_resumed_run_continues_the_plan_without_duplicates(tiny_config, tmp_path: Path) -> None:
    config = tiny_config(batch_size=8, snapshots=24)
    control = Control()
    control.between_steps = lambda state: control.stop() if state.global_step >= 13 else None
    end = list(train_events(config, control))[-1]
    assert isinstance(end, Finished) and end.reason == "stopped"
    before = [p["step"] for p in step_history.snapshot_points(config.run_dir)]
    assert before == [s for s in planned_steps(STEPS, 24) if s <= 13]
    run = Path(config.run_dir)
    written = {p.name: p.stat().st_mtime_ns for p in (run / "history").glob("step-*.npz")}
    resumed = resume_config(run / "checkpoint.pt")
    assert resumed.snapshots == 24
    assert isinstance(list(train_events(resumed, resume=run / "checkpoint.pt"))[-1], Finished)
    after = [p["step"] for p in step_history.snapshot_points(run)]
    assert after == planned_steps(STEPS, 24)
    steps_json = json.loads((run / "history" / "steps.json").read_text())["steps"]
    assert len(steps_json) == len({e["step"] for e in steps_json})  # no step twice
    for name, mtime in written.items():  # those taken before the stop are not written again
        assert (run / "history" / name).stat().st_mtime_ns == mtime


def test_zero_keeps_the_per_epoch_history_only(tiny_config) -> None:
    config = tiny_config(batch_size=8, snapshots=0)
    assert isinstance(list(train_events(config))[-1], Finished)
    assert [p["key"] for p in step_history.snapshot_points(config.run_dir)] == [0, STEPS]
    assert not (Path(config.run_dir) / "history" / "steps.json").exists()


def test_an_old_run_with_epoch_snapshots_only_is_still_read(tiny_trained_run, tmp_path) -> None:
    run = tmp_path / "old"
    shutil.copytree(tiny_trained_run, run)
    for path in (run / "history").glob("step*"):
        path.unlink()  # as written before step snapshots existed
    points = step_history.snapshot_points(run)
    assert [p["end_of_epoch"] for p in points] == [0, 1]
    assert [p["epoch"] for p in points] == [0.0, 1.0]
    delta = step_history.point_delta(run, "conv1", points[0]["key"], points[1]["key"])
    np.testing.assert_array_equal(delta, history.kernel_delta(run, "conv1", 0, 1))
    # Older still: epoch entries without their global step are keyed by epoch.
    index = json.loads((run / "history" / "index.json").read_text())
    for entry in index["epochs"]:
        entry.pop("global_step", None)
    (run / "history" / "index.json").write_text(json.dumps(index))
    points = step_history.snapshot_points(run)
    assert [(p["key"], p["step"]) for p in points] == [(0, None), (1, None)]


def test_a_full_disk_during_a_step_snapshot_is_one_line(tiny_config, monkeypatch) -> None:
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(step_history, "write_step_snapshot", full)
    import engine.training.snapshots as snapshots_module

    monkeypatch.setattr(snapshots_module, "write_step_snapshot", full)
    end = list(train_events(tiny_config(batch_size=8, snapshots=24)))[-1]
    assert isinstance(end, Failed) and "\n" not in end.message
    assert end.message.startswith("cannot write the step snapshot")
    assert "No space left on device" in end.message


def test_the_ops_list_points_and_serve_kernels_and_changes(tiny_config) -> None:
    from engine.process.workbench import Workbench

    config = tiny_config(batch_size=8, snapshots=24)
    assert isinstance(list(train_events(config))[-1], Finished)
    bench = Workbench()
    listed = bench.snapshots(run_dir=config.run_dir)
    assert [p["key"] for p in listed["points"]] == planned_steps(STEPS, 24)
    assert listed["epochs"] == [0, 1]  # what an older client reads
    before, after = (p["key"] for p in listed["points"][11:13])
    one = bench.snapshot_kernels("conv1", run_dir=config.run_dir, step=after)
    assert one["step"] == after and not one["delta"]
    change = bench.snapshot_kernels("conv1", run_dir=config.run_dir, step=after, base_step=before)
    expected = step_history.point_delta(config.run_dir, "conv1", before, after)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(change["weights"], expected, atol=1e-6)
    assert change["delta"] and change["base_step"] == before


def test_points_keep_big_dense_layers_as_small_block_means(tiny_config) -> None:
    from engine.training.step_history import POINT_DENSE_SIDE

    config = tiny_config(model="c4-p-f160", batch_size=8, snapshots=24)  # fc1: 160 x 784
    assert isinstance(list(train_events(config))[-1], Finished)
    run = Path(config.run_dir)
    step_file = sorted((run / "history").glob("step-*.npz"))[0]
    with np.load(step_file) as saved:
        assert saved["conv1"].dtype == np.float32 and saved["conv1"].shape == (4, 1, 3, 3)
        assert max(saved["fc1"].shape) <= POINT_DENSE_SIDE and saved["fc1"].dtype == np.float16
    assert step_file.stat().st_size < 40_000  # the whole matrix would be 500 kB
    points = step_history.snapshot_points(run)
    shapes = {step_history.point_layer(run, p["key"], "fc1").shape for p in points}
    assert len(shapes) == 1  # epoch ends read at the same resolution: any change is defined
    first, last = points[0]["key"], points[-1]["key"]
    assert np.abs(step_history.point_delta(run, "fc1", first, last)).max() > 0
    assert history.snapshot_layer(run, 1, "fc1").shape == (160, 784)  # epoch files stay whole


def test_the_cli_option_sets_the_count_and_is_bounded(tmp_path: Path, capsys) -> None:
    from engine.cli.main import main

    run = tmp_path / "cli"
    args = ["train", "--model", "c4-p-f16", "--train-subset", "256", "--test-subset", "128"]
    args += ["--batch-size", "8", "--threads", "1", "--no-channels-last", "--run-dir", str(run)]
    assert main([*args, "--snapshots", "5"]) == 0
    assert [p["step"] for p in step_history.snapshot_points(run)] == planned_steps(STEPS, 5)
    assert json.loads((run / "config.json").read_text())["snapshots"] == 5
    capsys.readouterr()
    assert main([*args, "--snapshots", "1001", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--snapshots must be a whole number from 0 to 1000" in err
