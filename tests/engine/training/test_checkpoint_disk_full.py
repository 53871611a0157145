"""A full disk while a checkpoint is written: one line saying so and that the previous
checkpoint is intact, exit 2; the previous checkpoint's bytes are unchanged, no temporary left.

The full disk is simulated where torch writes: torch.save raises what it raises on ENOSPC (its
zip writer: RuntimeError "... unexpected pos ..."; a plain write: OSError ENOSPC)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import engine.training.checkpoint as checkpoint_module
from engine.cli.main import main
from engine.training.events import Failed, Finished
from engine.training.loop import train_events
from engine.training.resume import resume_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FULL_DISK_ERRORS = [
    RuntimeError(
        "[enforce fail at inline_container.cc:783] . PytorchStreamWriter failed writing "
        "file data/3: file write failed ... unexpected pos 64 vs 0"
    ),
    OSError(errno.ENOSPC, "No space left on device"),
]


@pytest.fixture(params=FULL_DISK_ERRORS, ids=["zip-writer-runtime-error", "oserror-enospc"])
def disk_full(request, monkeypatch):
    """Make every torch.save in engine.training.checkpoint fail as on a full disk."""

    def full(obj, handle, *args, **kwargs) -> None:
        handle.write(b"PK\x03\x04 half a zip")  # it got part of the way
        raise request.param

    return lambda: monkeypatch.setattr(checkpoint_module.torch, "save", full)


def test_resume_on_a_full_disk_keeps_the_previous_checkpoint(
    tiny_config, tmp_path: Path, disk_full
) -> None:
    assert isinstance(list(train_events(tiny_config()))[-1], Finished)
    run = tmp_path / "run"
    before = (run / "checkpoint.pt").read_bytes()
    disk_full()
    end = list(train_events(resume_config(run, epochs=2), resume=run))[-1]
    assert isinstance(end, Failed)
    assert "\n" not in end.message
    assert "disk may be full" in end.message or "No space left" in end.message
    assert "the previous checkpoint is intact" in end.message
    assert not end.message.startswith("internal error")
    assert (run / "checkpoint.pt").read_bytes() == before
    assert not list(run.glob(".checkpoint.pt.*"))


def test_the_cli_says_it_in_one_line_with_exit_2(tiny_config, tmp_path: Path, disk_full, capsys):
    assert isinstance(list(train_events(tiny_config()))[-1], Finished)
    run = tmp_path / "run"
    before = (run / "checkpoint.pt").read_bytes()
    capsys.readouterr()
    disk_full()
    code = main(["train", "--resume", str(run), "--epochs", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: cannot write checkpoint")
    assert "is intact" in err and "Traceback" not in err
    assert (run / "checkpoint.pt").read_bytes() == before


def test_a_fresh_run_on_a_full_disk_says_none_was_written(
    tiny_config, tmp_path: Path, disk_full
) -> None:
    disk_full()
    end = list(train_events(tiny_config("fresh")))[-1]
    assert isinstance(end, Failed)
    assert "no checkpoint was written" in end.message
    assert not (tmp_path / "fresh").exists()  # nothing half-made is left


def test_a_stop_mid_epoch_on_a_full_disk_says_so(tiny_config, tmp_path: Path, disk_full) -> None:
    from engine.training.control import Control

    assert isinstance(list(train_events(tiny_config()))[-1], Finished)
    run = tmp_path / "run"
    before = (run / "checkpoint.pt").read_bytes()
    disk_full()
    control = Control(between_steps=lambda state: control.stop())
    end = list(train_events(resume_config(run, epochs=2), control, resume=run))[-1]
    assert isinstance(end, Failed) and "is intact" in end.message
    assert (run / "checkpoint.pt").read_bytes() == before
