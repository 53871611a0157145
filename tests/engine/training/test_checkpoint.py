"""Checkpoints: round trip, weights_only loading, atomic writes, corrupt files."""

from __future__ import annotations

import pickle

import pytest
import torch

import engine.training.checkpoint as checkpoint_mod
from engine.data.mnist import load_split
from engine.errors import CheckpointError
from engine.models.registry import build_model
from engine.training.checkpoint import (
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
)
from engine.training.config import make_config
from engine.training.state import TrainState
from engine.training.steps import evaluate, make_optimizer, make_scheduler, train_one_epoch

SPEC = "c4-p-f16"


def make_state(tmp_path, schedule="onecycle", optimizer="adam") -> TrainState:
    """A state after a few real steps, so optimizer and schedule have state to save."""
    torch.manual_seed(0)
    config = make_config(
        "fast",
        model=SPEC,
        schedule=schedule,
        optimizer=optimizer,
        epochs=2,
        batch_size=64,
        threads=1,
        channels_last=False,
        run_dir=str(tmp_path),
    )
    model, info = build_model(SPEC)
    optimizer_ = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer_, config, steps_per_epoch=4)
    train_one_epoch(model, load_split("train").subset(256), optimizer_, scheduler, batch_size=64)
    return TrainState(
        model=model,
        info=info,
        optimizer=optimizer_,
        scheduler=scheduler,
        config=config,
        epoch=1,
        global_step=4,
        run_dir=tmp_path,
        metrics=[{"epoch": 1, "test_acc": 0.5}],
        steps_per_epoch=4,
    )


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("schedule", ["onecycle", "step", "cosine", "constant"])
def test_round_trip_with_plain_weights_only_load(tmp_path, schedule):
    state = make_state(tmp_path, schedule=schedule)
    path = save_checkpoint(state)
    assert path == tmp_path / "checkpoint.pt"
    raw = torch.load(path, weights_only=True)  # the safe loader, no help from us
    assert raw["format"] == "cnn-tui-checkpoint"
    for key in (
        "model_state",
        "optimizer_state",
        "scheduler_state",
        "epoch",
        "global_step",
        "config",
        "metrics",
        "rng_state",
    ):
        assert key in raw
    assert raw["model"] == SPEC and raw["config"]["model"] == SPEC
    assert raw["epoch"] == 1 and raw["global_step"] == 4 and raw["metrics"][0]["test_acc"] == 0.5
    for name, tensor in state.model.state_dict().items():
        assert torch.equal(raw["model_state"][name], tensor)
    assert raw["scheduler_state"]["last_epoch"] == state.scheduler.last_epoch
    assert leftovers(tmp_path) == []


def test_model_from_checkpoint_gives_the_same_predictions(tmp_path):
    state = make_state(tmp_path)
    path = save_checkpoint(state, tmp_path / "elsewhere" / "best.pt")
    model, info, ckpt = model_from_checkpoint(path)
    test = load_split("test").subset(200)
    assert not model.training
    assert evaluate(model, test) == evaluate(state.model, test)
    assert info.name == SPEC and "epoch 1" in info.weights
    assert ckpt["epoch"] == 1
    # a run folder stands for its checkpoint.pt
    save_checkpoint(state)
    assert load_checkpoint(tmp_path)["global_step"] == 4


def test_failed_save_leaves_the_good_checkpoint_and_no_temp_file(tmp_path, monkeypatch):
    state = make_state(tmp_path)
    path = save_checkpoint(state)
    good = path.read_bytes()

    def broken_save(obj, handle):
        handle.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_mod.torch, "save", broken_save)
    state.global_step = 99
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(state)
    assert "No space left on device" in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == good
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    assert load_checkpoint(path)["global_step"] == 4


def test_interrupted_save_leaves_no_temp_file(tmp_path, monkeypatch):
    state = make_state(tmp_path)

    def interrupted(obj, handle):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_mod.torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(state)
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_atomically(tmp_path, monkeypatch):
    state = make_state(tmp_path)
    seen = []
    real_replace = checkpoint_mod.os.replace

    def spy(src, dst):
        seen.append((str(src), str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(checkpoint_mod.os, "replace", spy)
    path = save_checkpoint(state)
    ((src, dst),) = seen
    assert dst == str(path) and src.endswith(".tmp") and src.startswith(str(tmp_path))


@pytest.mark.parametrize(
    "damage", ["truncated", "garbage", "empty", "not_a_dict", "pickle", "no_model_state"]
)
def test_bad_checkpoints_give_one_line_errors(tmp_path, damage):
    state = make_state(tmp_path)
    path = save_checkpoint(state)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"this is not a checkpoint at all" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not_a_dict":
        torch.save([1, 2, 3], path)
    elif damage == "pickle":
        # An arbitrary object: the safe loader must refuse it rather than run its code.
        with open(path, "wb") as handle:
            pickle.dump({"model_state": ValueError("x"), "config": {}}, handle, protocol=2)
    elif damage == "no_model_state":
        torch.save({"config": {"model": SPEC}, "epoch": 1}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    with pytest.raises(CheckpointError):
        model_from_checkpoint(path)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path)  # a folder without checkpoint.pt


def test_checkpoint_of_another_shape_does_not_fit(tmp_path):
    state = make_state(tmp_path)
    path = save_checkpoint(state)
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_state"]["conv1.weight"] = torch.zeros(3, 3)
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match="does not fit"):
        model_from_checkpoint(path)
