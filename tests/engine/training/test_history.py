"""engine.training history, snapshots and compare: per-epoch kernel snapshots, stepping, deltas,
comparing runs, bad folders."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine.errors import EngineError
from engine.models.registry import build_model
from engine.process.workbench import Workbench
from engine.training import compare, history, snapshots
from engine.training.config import TrainConfig, make_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def fake_state(run_dir: Path, model_name: str = "lenet5", seed: int = 0) -> SimpleNamespace:
    """What the trainer's TrainState offers record_epoch, without training."""
    torch.manual_seed(seed)
    model, info = build_model(model_name)
    return SimpleNamespace(
        model=model,
        info=info,
        config=make_config("fast", model=model_name),
        epoch=0,
        global_step=0,
        metrics=[],
        run_dir=str(run_dir),
    )


def finish_epoch(state: SimpleNamespace, test_acc: float, seconds: float = 2.0) -> Path:
    """Pretend an epoch of training happened: nudge the weights, add metrics, snapshot."""
    with torch.no_grad():
        for p in state.model.parameters():
            p.add_(0.01 * (state.epoch + 1))
    state.epoch += 1
    state.global_step += 100
    state.metrics.append(
        {
            "epoch": state.epoch,
            "train_loss": 1.0 / state.epoch,
            "train_acc": test_acc - 0.01,
            "test_loss": 0.9 / state.epoch,
            "test_acc": test_acc,
            "seconds": seconds,
            "lr": np.float32(0.01),
        }
    )  # numpy scalars are stored as plain floats
    return snapshots.record_epoch(state)


def test_snapshot_round_trip(tmp_path: Path) -> None:
    state = fake_state(tmp_path / "run")
    path = finish_epoch(state, 0.9)
    assert path == tmp_path / "run" / "history" / "epoch-0001.npz"
    saved = history.load_snapshot(state.run_dir, 1)
    assert list(saved) == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    np.testing.assert_array_equal(saved["conv1"], state.model.conv1.weight.detach().numpy())
    np.testing.assert_array_equal(saved["fc2"], state.model.fc2.weight.detach().numpy())
    run = history.load_history(state.run_dir)
    assert run.model == "lenet5" and run.params == 61_706
    assert run.epochs[0]["test_acc"] == 0.9 and run.epochs[0]["global_step"] == 100
    assert isinstance(run.epochs[0]["lr"], float)
    assert run.config["model"] == "lenet5"


def test_big_dense_layers_are_half_precision(tmp_path: Path) -> None:
    state = fake_state(tmp_path / "mlp", "mlp")
    finish_epoch(state, 0.97)
    saved = history.load_snapshot(state.run_dir, 1)
    assert saved["fc1"].dtype == np.float32 and saved["fc1"].shape == (512, 784)
    np.testing.assert_allclose(
        saved["fc1"], state.model.fc1.weight.detach().numpy(), rtol=1e-3, atol=1e-4
    )
    with np.load(Path(state.run_dir) / "history" / "epoch-0001.npz") as raw:
        assert raw["fc1"].dtype == np.float16 and raw["fc3"].dtype == np.float32


def test_listing_stepping_and_kernel_delta(tmp_path: Path) -> None:
    state = fake_state(tmp_path / "run")
    before = state.model.conv2.weight.detach().clone()
    for acc in (0.5, 0.7, 0.8):
        finish_epoch(state, acc)
    assert history.list_snapshots(state.run_dir) == [1, 2, 3]
    epochs = [1, 2, 3]
    assert history.step_snapshot(epochs, 1, 1) == 2
    assert history.step_snapshot(epochs, 3, 1) == 3  # clamped at the last
    assert history.step_snapshot(epochs, 2, -5) == 1
    assert history.step_snapshot(epochs, None, -1) == 3 and history.step_snapshot([], 1, 1) is None
    delta = history.kernel_delta(state.run_dir, "conv2", 1, 3)
    # epoch 2 added 0.02 and epoch 3 added 0.03 to every weight
    np.testing.assert_allclose(delta, np.full(before.shape, 0.05), atol=1e-6)
    np.testing.assert_allclose(
        history.snapshot_layer(state.run_dir, 1, "conv2"), (before + 0.01).numpy(), atol=1e-6
    )
    with pytest.raises(EngineError, match="no snapshot for epoch 7; epochs: 1, 2, 3"):
        history.load_snapshot(state.run_dir, 7)
    with pytest.raises(EngineError, match="no layer 'relu1'"):
        history.snapshot_layer(state.run_dir, 1, "relu1")


def test_an_epoch_recorded_again_replaces_its_entry(tmp_path: Path) -> None:
    state = fake_state(tmp_path / "run")
    finish_epoch(state, 0.5)
    state.epoch = 0  # a resumed run repeating epoch 1
    state.metrics = []
    finish_epoch(state, 0.6)
    run = history.load_history(state.run_dir)
    assert run.epoch_numbers == [1] and run.final_acc == 0.6


def test_epoch_0_holds_the_initial_weights_and_no_metrics(tmp_path: Path) -> None:
    state = fake_state(tmp_path / "run")
    initial = state.model.conv2.weight.detach().clone()
    path = snapshots.record_epoch(state)  # before training, as the trainer does
    assert path == tmp_path / "run" / "history" / "epoch-0000.npz"
    for acc in (0.5, 0.7):
        finish_epoch(state, acc)
    assert history.list_snapshots(state.run_dir) == [0, 1, 2]
    np.testing.assert_array_equal(
        history.snapshot_layer(state.run_dir, 0, "conv2"), initial.numpy()
    )
    # epoch 1 added 0.01 to every weight: the change from epoch 0 to 1
    np.testing.assert_allclose(
        history.kernel_delta(state.run_dir, "conv2", 0, 1), np.full(initial.shape, 0.01), atol=1e-6
    )
    run = history.load_history(state.run_dir)
    assert [e["epoch"] for e in run.snapshots] == [0, 1, 2]
    assert run.snapshots[0].keys() == {"epoch", "global_step", "snapshot"}
    # Epoch 0 is no trained epoch: the metrics, curves and epoch count leave it out.
    summary = run.summary()
    assert run.epoch_numbers == [1, 2] and summary["epochs"] == 2
    assert summary["curves"]["test_acc"] == [0.5, 0.7]
    with pytest.raises(EngineError, match="no snapshot for epoch 3; epochs: 0, 1, 2"):
        history.load_snapshot(state.run_dir, 3)


def test_compare_two_runs(tmp_path: Path) -> None:
    cnn, mlp = fake_state(tmp_path / "cnn"), fake_state(tmp_path / "mlp", "mlp")
    for acc in (0.95, 0.98):
        finish_epoch(cnn, acc, seconds=3.0)
    for acc in (0.93, 0.96, 0.955):
        finish_epoch(mlp, acc, seconds=1.5)
    runs = compare.compare_runs([cnn.run_dir, mlp.run_dir])
    assert [r["model"] for r in runs] == ["lenet5", "mlp"]
    assert [r["name"] for r in runs] == ["cnn", "mlp"]
    assert runs[0]["final_acc"] == 0.98 and runs[1]["final_acc"] == 0.955
    assert runs[1]["best_acc"] == 0.96
    assert runs[0]["params"] == 61_706 and runs[1]["params"] == 669_706
    assert runs[0]["seconds"] == pytest.approx(6.0) and runs[1]["seconds"] == pytest.approx(4.5)
    assert runs[1]["epoch"] == [1, 2, 3]
    assert runs[1]["curves"]["test_acc"] == [0.93, 0.96, 0.955]
    assert runs[0]["curves"]["train_loss"] == pytest.approx([1.0, 0.5])
    wb = Workbench()
    assert wb.compare_runs([cnn.run_dir, mlp.run_dir])["runs"] == runs


def test_missing_and_foreign_run_directories_get_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(EngineError) as info:
        history.load_history(missing)
    assert str(missing) in str(info.value) and "does not exist" in str(info.value)
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"jpg")
    with pytest.raises(EngineError) as info:
        compare.compare_runs([missing.parent / "photos"])
    assert "not a cnn-tui run directory" in str(info.value)
    bogus = tmp_path / "bogus" / "history"
    bogus.mkdir(parents=True)
    (bogus / "index.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(EngineError, match="not a cnn-tui history index"):
        history.list_snapshots(bogus.parent)
    (bogus / "index.json").write_text("{truncated")
    with pytest.raises(EngineError, match="unreadable"):
        history.load_history(bogus.parent)
    with pytest.raises(EngineError, match="no run directories"):
        compare.compare_runs([])


def test_snapshot_ops_on_the_workbench(tmp_path: Path) -> None:
    state = fake_state(tmp_path / "run")
    for acc in (0.5, 0.7):
        finish_epoch(state, acc)
    wb = Workbench()
    listing = wb.snapshots(run_dir=state.run_dir)
    assert listing["epochs"] == [1, 2] and listing["layers"][0] == "conv1"
    assert [m["test_acc"] for m in listing["metrics"]] == [0.5, 0.7]
    kernels = wb.snapshot_kernels("conv1", 2, run_dir=state.run_dir)
    assert kernels["weights"].shape == (6, 1, 5, 5) and not kernels["delta"]
    delta = wb.snapshot_kernels("conv1", 2, run_dir=state.run_dir, base_epoch=1)
    np.testing.assert_allclose(delta["weights"], 0.02, atol=1e-6)
    assert delta["range"] == pytest.approx((0.02, 0.02), abs=1e-6)
    dense = wb.snapshot_kernels("fc1", 1, run_dir=state.run_dir)
    assert dense["weights"].shape == (120, 400) and dense["shape"] == (120, 400)
    wb.state = SimpleNamespace(run_dir=state.run_dir)  # after training: the run's own folder
    assert wb.snapshots()["epochs"] == [1, 2]


def test_a_run_without_snapshots_is_read_from_the_trainer_files(tmp_path: Path) -> None:
    run = tmp_path / "old-run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": "lenet5", "epochs": 2}))
    lines = [
        {"epoch": 1, "test_acc": 0.9, "train_loss": 0.5, "seconds": 4.0, "elapsed": 4.0},
        {"epoch": 2, "test_acc": 0.95, "train_loss": 0.2, "seconds": 4.5, "elapsed": 8.5},
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (summary,) = compare.compare_runs([run])
    assert summary["model"] == "lenet5" and summary["params"] == 61_706
    assert summary["final_acc"] == 0.95 and summary["seconds"] == pytest.approx(8.5)
    assert summary["curves"]["train_loss"] == [0.5, 0.2]
    assert history.list_snapshots(run) == []


def tiny_config(run_dir: Path, epochs: int) -> TrainConfig:
    """A few steps of LeNet-5 on the CPU."""
    return make_config(
        "seed-lenet5",
        epochs=epochs,
        train_subset=256,
        test_subset=100,
        batch_size=64,
        device="cpu",
        threads=1,
        run_dir=str(run_dir),
    )


def test_the_trainer_snapshots_every_epoch(tmp_path: Path) -> None:
    from engine.training.control import Control
    from engine.training.loop import train_events

    config = tiny_config(tmp_path / "run", epochs=2)
    states = []
    control = Control(between_steps=states.append)
    events = list(train_events(config, control))
    assert events[-1].kind == "finished", events[-1]
    assert history.list_snapshots(config.run_dir) == [0, 1, 2]
    run = history.load_history(config.run_dir)
    written = [
        json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [e["test_acc"] for e in run.epochs] == [w["test_acc"] for w in written]
    final = states[-1].model.conv1.weight.detach().cpu().numpy()  # after the last step
    np.testing.assert_array_equal(history.snapshot_layer(config.run_dir, 2, "conv1"), final)
    assert np.abs(history.kernel_delta(config.run_dir, "conv1", 1, 2)).max() > 0
    assert np.abs(history.kernel_delta(config.run_dir, "conv1", 0, 1)).max() > 0


def test_a_fresh_run_snapshots_its_initial_weights_before_the_first_step(tmp_path: Path) -> None:
    from engine.training.loop import train_events

    config = tiny_config(tmp_path / "run", epochs=1)
    listed_at_start = None
    for event in train_events(config):
        if event.kind == "started":  # no step has been taken yet
            listed_at_start = history.list_snapshots(config.run_dir)
    assert event.kind == "finished", event
    assert listed_at_start == [0]
    torch.manual_seed(config.seed)  # the trainer seeds, then builds the model it trains
    initial, _ = build_model(config.model)
    saved = history.load_snapshot(config.run_dir, 0)
    assert list(saved) == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    for name, weights in saved.items():
        np.testing.assert_array_equal(weights, getattr(initial, name).weight.detach().numpy())
    assert not np.array_equal(saved["conv1"], history.snapshot_layer(config.run_dir, 1, "conv1"))


def test_a_resumed_run_writes_no_new_epoch_0(tmp_path: Path) -> None:
    from engine.training.loop import train_events

    first = tiny_config(tmp_path / "run", epochs=1)
    events = list(train_events(first))
    assert events[-1].kind == "finished", events[-1]
    checkpoint = events[-1].checkpoint
    snapshot_0 = tmp_path / "run" / "history" / "epoch-0000.npz"
    initial, written_at = snapshot_0.read_bytes(), snapshot_0.stat().st_mtime_ns

    # In another folder: only the epochs trained there; its epoch 0 lives where it began.
    elsewhere = tiny_config(tmp_path / "more", epochs=2)
    events = list(train_events(elsewhere, resume=checkpoint))
    assert events[-1].kind == "finished", events[-1]
    assert history.list_snapshots(elsewhere.run_dir) == [2]
    # In its own folder (its checkpoint becomes epoch 2's): epoch 0 is left as it was.
    events = list(train_events(tiny_config(tmp_path / "run", epochs=2), resume=checkpoint))
    assert events[-1].kind == "finished", events[-1]
    assert history.list_snapshots(first.run_dir) == [0, 1, 2]
    assert snapshot_0.read_bytes() == initial and snapshot_0.stat().st_mtime_ns == written_at
