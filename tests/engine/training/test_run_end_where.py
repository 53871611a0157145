"""Where a run ended (Finished.epoch/step), the CLI's last line, and the device and precision
that the Started event and the model-info reply name."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from engine.cli.progress import finished_line
from engine.process.protocol import Request
from engine.process.workbench import Workbench
from engine.training.control import Control
from engine.training.device_label import device_label
from engine.training.events import Finished, Started, precision_label
from engine.training.loop import train_events


def stopped_after(steps: int) -> Control:
    """A Control that stops the run once ``steps`` optimizer steps are done."""
    control = Control()
    control.between_steps = lambda state: control.stop() if state.global_step >= steps else None
    return control


def test_a_stopped_run_says_where_it_stopped(tiny_config) -> None:
    # 256 digits in batches of 64: 4 steps an epoch.
    events = list(train_events(tiny_config(epochs=2, device="cpu"), stopped_after(3)))
    end = events[-1]
    assert isinstance(end, Finished) and end.stopped
    assert (end.epoch, end.step, end.steps_per_epoch, end.epochs_done) == (1, 3, 4, 0)
    assert end.where() == "epoch 1 step 3/4"
    line = finished_line(end)
    assert line.startswith("finished (stopped) at epoch 1 step 3/4: 0 epochs, ")


def test_a_run_stopped_in_its_second_epoch(tiny_config) -> None:
    end = list(train_events(tiny_config(epochs=3, device="cpu"), stopped_after(6)))[-1]
    assert isinstance(end, Finished) and end.stopped
    assert (end.epoch, end.step, end.epochs_done) == (2, 2, 1)
    assert end.test_acc is not None  # the first epoch was evaluated


def test_a_completed_run_ends_at_its_last_step(tiny_config) -> None:
    events = list(train_events(tiny_config(epochs=1, device="cpu")))
    started, end = events[0], events[-1]
    assert isinstance(started, Started) and started.device_name == "cpu"
    assert isinstance(end, Finished) and not end.stopped
    assert (end.epoch, end.step, end.steps_per_epoch) == (1, 4, 4)
    line = finished_line(end)
    assert line.startswith("finished (completed): 1 epoch, test accuracy ")
    assert " at epoch" not in line


def test_finished_of_a_state_at_an_epoch_boundary() -> None:
    state = SimpleNamespace(epoch=2, step_in_epoch=0, steps_per_epoch=938, metrics=[], elapsed=1)
    end = Finished.of_run("stopped", state, None)
    assert (end.epoch, end.step) == (2, 938)  # the epoch's end, not "epoch 3 step 0"
    assert Finished("completed", 1, None, 1.0).where() == ""  # an old event: nothing to say


def test_precision_labels() -> None:
    assert precision_label("float32") == "float32"
    assert precision_label("bfloat16 autocast") == "bf16"
    assert precision_label("float16 autocast with a gradient scaler") == "fp16"


def test_model_info_names_device_and_precision(tiny_spec) -> None:
    reply = Workbench().handle(Request(1, "load", {"model": tiny_spec}))
    assert reply.ok, reply.error
    assert (reply.payload["device"], reply.payload["precision"]) == ("cpu", "float32")
    described = Workbench()
    described.handle(Request(1, "load", {"model": tiny_spec}))
    assert described.handle(Request(2, "describe", {})).payload["device"] == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_label_names_index_and_gpu() -> None:
    label = device_label(torch.device("cuda"))
    name = torch.cuda.get_device_name(0).removeprefix("NVIDIA ")
    assert label == f"cuda:{torch.cuda.current_device()} ({name})"
    assert "NVIDIA" not in label
