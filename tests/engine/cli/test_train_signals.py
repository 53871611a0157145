"""``python -m engine train`` under SIGTERM and Ctrl-C (SIGINT): a run stops cleanly and saves
the current epoch's steps (exit 143 / 130); a signal during start-up is one line, no traceback.

Real processes: the signal is sent with os.kill to a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


def start_train(run_dir: Path, *extra: str) -> subprocess.Popen:
    """A run of 3750 steps (60,000 digits at batch 16): long enough to be signalled mid-epoch."""
    command = [sys.executable, "-m", "engine", "train", "--model", "c4-p-f16", "--epochs", "1"]
    command += ["--batch-size", "16", "--threads", "1", "--test-subset", "256"]
    command += ["--run-dir", str(run_dir), *extra]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_epoch_saves_the_epochs_steps(tmp_path: Path, signum: int, code: int) -> None:
    run_dir = tmp_path / "run"
    proc = start_train(run_dir)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the "training ..." line: the run is built and stepping
    assert first.startswith("training c4-p-f16")
    with pytest.raises(subprocess.TimeoutExpired):  # let it take some of its 3750 steps
        proc.wait(1.0)
    os.kill(proc.pid, signum)
    out, err = proc.communicate()
    assert proc.returncode == code, err
    assert "Traceback" not in err and err == ""
    assert "finished (stopped)" in out
    ckpt = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 0 and 0 < ckpt["step_in_epoch"] < ckpt["steps_per_epoch"]
    assert ckpt["global_step"] == ckpt["step_in_epoch"]


def test_a_second_signal_ends_at_once_with_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = start_train(run_dir)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    proc.stdout.readline()  # "SIGTERM: stopping after this step ..."
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate()
    assert proc.returncode == 143
    assert "Traceback" not in err and err.count("\n") <= 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("after", [0.3, 0.8, 1.5])
def test_a_signal_during_start_up_is_one_line(tmp_path: Path, signum: int, after: float) -> None:
    """Sent while the command is importing torch or building the run (the run itself starts
    after about 2.5 s here; whichever phase it hits, the answer is the same)."""
    proc = start_train(tmp_path / "run")
    try:
        proc.wait(after)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signum)
    out, err = proc.communicate()
    assert proc.returncode == 128 + signum
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.count("\n") <= 1
