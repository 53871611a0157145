"""End to end: the real ``cnn-tui`` in tmux trains briefly, moves through the layers, quits,
and leaves its checkpoint, config and metrics in the run directory."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)"),
]

REPO = Path(__file__).resolve().parents[2]
INSPECTOR_TITLE = re.compile(r"││(\w+ · \w+) · out ")


class Tmux:
    """One tmux server of our own (its own socket), one session, 120x40."""

    def __init__(self, name: str) -> None:
        self.socket = f"{name}-{os.getpid()}"
        self.target = name

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return result.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.run(
            "new-session",
            "-d",
            "-s",
            self.target,
            "-x",
            "120",
            "-y",
            "40",
            f"cd {shlex.quote(str(REPO))} && env {exports} {command}",
        )
        self.run("resize-window", "-t", self.target, "-x", "120", "-y", "40")

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.target)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.target, key)
            time.sleep(0.15)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.25)
        raise AssertionError(f"{text!r} did not appear within {timeout:g} s; screen:\n{screen}")

    def inspected(self) -> str | None:
        """The inspector's title: "layer · Type" of the selected layer."""
        match = INSPECTOR_TITLE.search(self.screen())
        return match.group(1) if match else None

    def wait_for_layer_change(self, previous: str | None, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            title = self.inspected()
            if title and title != previous:
                return title
            time.sleep(0.2)
        raise AssertionError(f"the inspector still shows {previous}; screen:\n{self.screen()}")

    def kill(self) -> None:
        self.run("kill-server")


def cnn_tui_command() -> str:
    script = Path(sys.executable).with_name("cnn-tui")
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m tui"


def test_train_browse_quit_in_tmux(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    tmux = Tmux("cnn-tui-e2e")
    command = (
        f"{cnn_tui_command()} --run-dir {shlex.quote(str(run_dir))} --device cpu "
        "--epochs 1 --train-subset 2048 --test-subset 1000; "
        "echo CNN_TUI_EXIT=$?; sleep 60"
    )
    tmux.start(command, {"TERM": "xterm-256color", "PYTHONPATH": str(REPO)})
    try:
        screen = tmux.wait_for("│ idle", 120)
        assert "fast-net" in screen
        first = tmux.wait_for_layer_change(None)
        assert first == "conv1 · Conv2d"
        tmux.keys("j")
        second = tmux.wait_for_layer_change(first)
        tmux.keys("t")  # 2048 digits train in seconds, so "training" may flash by unseen
        screen = tmux.wait_for("│ finished", 240)
        assert "test acc" in screen
        tmux.keys("j")
        third = tmux.wait_for_layer_change(second)
        tmux.keys("j")
        fourth = tmux.wait_for_layer_change(third)
        tmux.keys("k")
        assert tmux.wait_for_layer_change(fourth) == third
        tmux.keys("q")
        screen = tmux.wait_for("CNN_TUI_EXIT=", 60)
        assert "CNN_TUI_EXIT=0" in screen, screen
    finally:
        tmux.kill()
    assert (run_dir / "checkpoint.pt").stat().st_size > 10_000
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "fast-net" and config["train_subset"] == 2048
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(metrics) == 1 and 0.0 < metrics[0]["test_acc"] <= 1.0
    assert not list(run_dir.glob("*.tmp*"))  # no half-written checkpoint


def test_bad_argument_exits_2_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--checkpoint", "/nonexistent.pt"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cnn-tui: error: --checkpoint: checkpoint /nonexistent.pt does not exist; pass a run's"
        " checkpoint.pt (runs/<run>/checkpoint.pt) or its run folder (see --help)"
    ]
