"""The trainer: learning, determinism, exact resume, NaN handling, pause/stop, devices."""

from __future__ import annotations

import json
import logging
import math
import threading
import time

import pytest
import torch

from engine.data.mnist import load_split
from engine.errors import DeviceError
from engine.models.registry import build_model
from engine.training import device as device_mod
from engine.training.checkpoint import load_checkpoint
from engine.training.config import RECIPES, make_config
from engine.training.control import Control
from engine.training.device import choose_cpu_settings, resolve_device, thread_candidates
from engine.training.events import (
    CheckpointSaved,
    EpochEnd,
    Failed,
    Finished,
    Paused,
    Progress,
    Resumed,
    Started,
)
from engine.training.loop import train_events
from engine.training.steps import evaluate, train_one_epoch


def run_all(config, control=None, resume=None):
    events = list(train_events(config, control, resume))
    failed = [e for e in events if isinstance(e, Failed)]
    assert not any(e.message.startswith("internal error") for e in failed), failed
    return events


def epoch_ends(events):
    return [e for e in events if isinstance(e, EpochEnd)]


def same_numbers(a: EpochEnd, b: EpochEnd) -> bool:
    keys = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def assert_same_weights(path_a, path_b):
    a, b = load_checkpoint(path_a), load_checkpoint(path_b)
    assert a["model_state"].keys() == b["model_state"].keys()
    for key in a["model_state"]:
        assert torch.equal(a["model_state"][key], b["model_state"][key]), key
    assert a["global_step"] == b["global_step"]
    assert a["epoch"] == b["epoch"]


# ----------------------------------------------------------------------------- learning


def test_short_run_learns_well_above_chance(tmp_path, tiny_config):
    config = tiny_config(
        model="c8-p-c16-p-f32",
        optimizer="adam",
        lr=0.003,
        schedule="onecycle",
        epochs=2,
        train_subset=3000,
        test_subset=1000,
    )
    events = run_all(config)
    assert isinstance(events[0], Started)
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    ends = epoch_ends(events)
    assert [e.epoch for e in ends] == [1, 2]
    # 1000 held-out test digits never seen in training; chance is 10 %.
    assert ends[-1].test_acc > 0.8
    assert ends[-1].train_loss < ends[0].train_loss
    assert all(0.0 <= e.train_acc <= 1.0 and 0.0 <= e.test_acc <= 1.0 for e in ends)


def test_run_folder_holds_config_metrics_and_checkpoint(tmp_path, tiny_config, tiny_spec):
    config = tiny_config(epochs=2)
    events = run_all(config)
    folder = tmp_path / "run"
    names = {p.name for p in folder.iterdir()}
    assert {"checkpoint.pt", "config.json", "metrics.jsonl"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    saved = json.loads((folder / "config.json").read_text())
    assert saved["model"] == tiny_spec and saved["threads"] == 1 and saved["epochs"] == 2
    lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in lines] == [1, 2]
    for record, end in zip(lines, epoch_ends(events), strict=True):
        for key in ("train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"):
            assert key in record
        assert record["test_acc"] == end.test_acc
    saves = [e for e in events if isinstance(e, CheckpointSaved)]
    assert [s.epoch for s in saves] == [1, 2]
    assert events[-1].checkpoint == str(folder / "checkpoint.pt")
    ckpt = load_checkpoint(folder / "checkpoint.pt")
    assert ckpt["epoch"] == 2 and ckpt["metrics"] == lines


def test_default_run_folder_is_runs_time_model(tmp_path, monkeypatch, tiny_config, tiny_spec):
    monkeypatch.chdir(tmp_path)
    config = tiny_config(run_dir=None)
    started = run_all(config)[0]
    folder = started.run_dir
    assert folder.startswith("runs/") and folder.endswith("-" + tiny_spec)
    assert (tmp_path / folder / "checkpoint.pt").is_file()


def test_progress_is_throttled_and_averaged(tmp_path, monkeypatch, tiny_config):
    monkeypatch.setattr("engine.training.loop.PROGRESS_INTERVAL", 0.0)  # one per step
    events = run_all(tiny_config(batch_size=32))
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.step for p in progress] == list(range(1, 9))
    assert all(p.steps_per_epoch == 8 and p.epoch == 1 and p.samples_per_sec > 0 for p in progress)
    monkeypatch.setattr("engine.training.loop.PROGRESS_INTERVAL", 3600.0)
    events = run_all(tiny_config("quiet", batch_size=32))
    assert not [e for e in events if isinstance(e, Progress)]


@pytest.mark.parametrize(
    "optimizer,schedule",
    [("adam", "onecycle"), ("sgd", "step"), ("sgd", "cosine"), ("adam", "constant")],
)
def test_each_optimizer_and_schedule_runs(tmp_path, optimizer, schedule, tiny_config):
    config = tiny_config(optimizer=optimizer, schedule=schedule, label_smoothing=0.1)
    events = run_all(config)
    assert isinstance(events[-1], Finished), events[-1]
    assert math.isfinite(epoch_ends(events)[0].train_loss)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_takes_a_few_steps(tmp_path, recipe):
    config = make_config(
        recipe,
        epochs=1,
        train_subset=128,
        test_subset=64,
        threads=1,
        channels_last=False,
        run_dir=str(tmp_path / recipe),
    )
    events = run_all(config)
    assert isinstance(events[-1], Finished), events[-1]


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_numbers(tmp_path, tiny_config):
    a = run_all(tiny_config("a", model="c4-p-d0.25-f16", epochs=2, seed=3))
    b = run_all(tiny_config("b", model="c4-p-d0.25-f16", epochs=2, seed=3))
    for x, y in zip(epoch_ends(a), epoch_ends(b), strict=True):
        assert same_numbers(x, y)
    assert_same_weights(tmp_path / "a" / "checkpoint.pt", tmp_path / "b" / "checkpoint.pt")
    c = run_all(tiny_config("c", model="c4-p-d0.25-f16", epochs=2, seed=4))
    assert epoch_ends(c)[-1].train_loss != epoch_ends(a)[-1].train_loss


def test_resume_for_one_more_epoch_equals_two_epochs(tmp_path, tiny_config):
    straight = run_all(tiny_config("straight", epochs=2))
    first = run_all(tiny_config("split", epochs=1))
    assert isinstance(first[-1], Finished)
    resumed = run_all(tiny_config("split", epochs=2), resume=tmp_path / "split" / "checkpoint.pt")
    assert resumed[0].start_epoch == 1
    assert [e.epoch for e in epoch_ends(resumed)] == [2]
    assert same_numbers(epoch_ends(straight)[1], epoch_ends(resumed)[0])
    assert_same_weights(
        tmp_path / "straight" / "checkpoint.pt", tmp_path / "split" / "checkpoint.pt"
    )
    lines = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_stop_mid_epoch_then_resume_is_exact(tmp_path, tiny_config):
    """OneCycle, dropout and a stop in the middle of epoch 2: the resumed run ends identical."""
    options = dict(
        model="c4-p-d0.25-f16", schedule="onecycle", optimizer="adam", epochs=2, batch_size=32
    )
    straight = run_all(tiny_config("straight", **options))

    control = Control()
    control.between_steps = lambda state: state.global_step == 11 and control.stop()
    stopped = run_all(tiny_config("split", **options), control)
    assert isinstance(stopped[-1], Finished) and stopped[-1].reason == "stopped"
    ckpt = load_checkpoint(tmp_path / "split" / "checkpoint.pt")
    assert (ckpt["epoch"], ckpt["global_step"], ckpt["step_in_epoch"]) == (1, 11, 3)

    resumed = run_all(tiny_config("split", **options), resume=tmp_path / "split" / "checkpoint.pt")
    assert isinstance(resumed[-1], Finished) and resumed[-1].reason == "completed"
    assert same_numbers(epoch_ends(straight)[1], epoch_ends(resumed)[0])
    assert_same_weights(
        tmp_path / "straight" / "checkpoint.pt", tmp_path / "split" / "checkpoint.pt"
    )


def test_resume_with_another_model_is_refused(tmp_path, tiny_config):
    run_all(tiny_config("a"))
    events = run_all(tiny_config("b", model="c8-p-f16"), resume=tmp_path / "a" / "checkpoint.pt")
    assert isinstance(events[-1], Failed)
    assert "holds model" in events[-1].message and "\n" not in events[-1].message


# ----------------------------------------------------------------------------- failures


def test_nan_loss_fails_clearly_and_keeps_last_good_checkpoint(tmp_path, tiny_config):
    path = tmp_path / "run" / "checkpoint.pt"

    def poison(state):
        if state.epoch == 1 and state.step_in_epoch == 1:
            with torch.no_grad():
                next(state.model.parameters()).fill_(float("nan"))

    events = run_all(tiny_config(epochs=3), Control(poison))
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert "diverged" in failed.message and "nan" in failed.message
    assert "epoch 2" in failed.message and str(path) in failed.message
    assert "\n" not in failed.message
    assert failed.checkpoint == str(path)
    ckpt = load_checkpoint(path)
    assert ckpt["epoch"] == 1
    assert all(
        torch.isfinite(t).all() for t in ckpt["model_state"].values() if t.is_floating_point()
    )


def test_huge_learning_rate_diverges_to_failed(tmp_path, tiny_config):
    config = tiny_config(optimizer="sgd", lr=1e12, momentum=0.9, epochs=3)
    events = run_all(config)
    assert isinstance(events[-1], Failed)
    assert "diverged" in events[-1].message


def test_user_errors_become_one_line_failed(tmp_path, tiny_config):
    events = run_all(tiny_config(model="c4-zz"))
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "bad model spec" in events[0].message and "\n" not in events[0].message
    events = run_all(tiny_config(model="alexnet"))
    assert isinstance(events[-1], Failed) and "inspection only" in events[-1].message


def test_internal_errors_are_failed_and_logged(tmp_path, caplog, tiny_config):
    def boom(state):
        raise RuntimeError("boom\nsecond line")

    with caplog.at_level(logging.ERROR, logger="engine.training.loop"):
        events = list(train_events(tiny_config(), Control(boom)))
    assert isinstance(events[-1], Failed)
    assert events[-1].message == "internal error: RuntimeError: boom second line"
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


def test_cuda_absent_is_a_clear_failure(tmp_path, monkeypatch, tiny_config):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    with pytest.raises(DeviceError) as info:
        resolve_device("cuda")
    message = str(info.value)
    assert "CUDA requested but not available" in message and "--device cpu" in message
    assert "\n" not in message
    with pytest.raises(DeviceError):
        resolve_device("cuda:1")
    events = run_all(tiny_config(device="cuda"))
    assert isinstance(events[-1], Failed) and "CUDA requested" in events[-1].message


def test_device_names(monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("CPU") == torch.device("cpu")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")
    monkeypatch.setattr(device_mod, "cuda_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(DeviceError, match="does not exist"):
        resolve_device("cuda:3")


def test_cpu_settings_are_measured_cached_and_leave_rng_alone(tiny_spec):
    assert thread_candidates(2) == [1, 2] and thread_candidates(6) == [1, 2, 4, 6]
    torch.manual_seed(123)
    before = torch.get_rng_state()
    settings = choose_cpu_settings(tiny_spec, 32, rounds=1, steps=1)
    assert torch.equal(before, torch.get_rng_state())
    assert settings.measured and settings.threads in thread_candidates()
    assert len(settings.timings_ms) == 2 * len(thread_candidates())
    assert torch.get_num_threads() == settings.threads
    assert choose_cpu_settings(tiny_spec, 32) is settings  # cached per process
    fixed = choose_cpu_settings(tiny_spec, 32, threads=1, channels_last=True)
    assert (fixed.threads, fixed.channels_last, fixed.measured) == (1, True, False)


# ----------------------------------------------------------------------------- steering


def test_pause_calls_between_steps_then_resume_and_stop(tmp_path, tiny_config):
    calls = []
    control = Control(lambda state: calls.append(state.global_step))
    config = tiny_config(epochs=200, batch_size=16)
    events = []
    control.pause()
    worker = threading.Thread(target=lambda: events.extend(train_events(config, control)))
    worker.start()
    deadline = time.monotonic() + 60
    while not any(isinstance(e, Paused) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(isinstance(e, Paused) for e in events)
    time.sleep(0.2)
    assert len(calls) >= 3 and set(calls) == {0}  # called while paused, no step taken
    control.resume()
    while not any(isinstance(e, Resumed) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    control.stop()
    stop_at = time.monotonic()
    worker.join(30)
    assert not worker.is_alive()
    assert time.monotonic() - stop_at < 5
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    assert max(calls) > 0
    assert load_checkpoint(events[-1].checkpoint)["global_step"] == max(calls)


def test_stop_while_paused_ends_the_run(tmp_path, tiny_config):
    control = Control()
    control.pause()
    events = []
    worker = threading.Thread(
        target=lambda: events.extend(train_events(tiny_config(epochs=100), control))
    )
    worker.start()
    deadline = time.monotonic() + 60
    while not any(isinstance(e, Paused) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    control.stop()
    worker.join(30)
    assert not worker.is_alive()
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    assert not any(isinstance(e, Resumed) for e in events)
    assert events[-1].epochs_done == 0


# ----------------------------------------------------------------------------- helpers


def test_train_one_epoch_and_evaluate(tiny_spec):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, _ = build_model(tiny_spec)
    train = load_split("train").subset(512)
    test = load_split("test").subset(256)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss, acc = train_one_epoch(model, train, optimizer, batch_size=64)
    assert math.isfinite(loss) and 0 <= acc <= 1
    model.train()
    test_loss, test_acc = evaluate(model, test)
    assert model.training  # mode restored
    assert test_acc > 0.3 and math.isfinite(test_loss)
    assert evaluate.__wrapped__  # decorated with torch.inference_mode()
