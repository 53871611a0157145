"""What the CLI writes is what a file or a program can read: ``--json`` is strict JSON (null and
a ``non_finite`` note instead of NaN/Infinity), heatmaps piped into a file carry no colour codes."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli.main import main
from engine.training.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[3]


def _strict(text: str):
    """json.loads that refuses NaN and Infinity (Python's accepts them by default)."""

    def refuse(constant: str):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def nan_checkpoint(tmp_path_factory, tiny_trained_run: Path) -> Path:
    """A tiny trained run whose last layer's bias is NaN: every loss is NaN."""
    ckpt = load_checkpoint(tiny_trained_run)
    ckpt["model_state"]["fc2.bias"] = torch.full((10,), float("nan"))
    path = tmp_path_factory.mktemp("nan") / "nan.pt"
    torch.save(ckpt, path)
    return path


def test_strict_json_turns_non_finite_numbers_into_null_with_a_note() -> None:
    from engine.render.json_out import strict_json

    value = {
        "loss": float("nan"),
        "best": float("inf"),
        "rows": [[1.0, float("-inf")], np.float32("nan")],
        "ok": 0.5,
        "array": np.array([1.0, np.nan]),
    }
    parsed = _strict(strict_json(value))
    assert parsed["loss"] is None and parsed["best"] is None and parsed["ok"] == 0.5
    assert parsed["rows"] == [[1.0, None], None] and parsed["array"] == [1.0, None]
    assert parsed["non_finite"] == {
        "loss": "nan",
        "best": "inf",
        "rows.0.1": "-inf",
        "rows.1": "nan",
        "array.1": "nan",
    }
    assert _strict(strict_json([math.nan, 1])) == [None, 1]  # a list has no place for a note
    assert "non_finite" not in _strict(strict_json({"a": 1.0}))


def test_eval_json_of_a_nan_model_is_strict_json(nan_checkpoint, capsys) -> None:
    argv = ["eval", "--checkpoint", str(nan_checkpoint), "--json", "--confusion"]
    assert main([*argv, "--misclassified", "2", "--saliency", "0"]) == 0
    parsed = _strict(capsys.readouterr().out)
    assert parsed["test_loss"] is None and parsed["non_finite"]["test_loss"] == "nan"
    assert isinstance(parsed["test_acc"], float) and parsed["samples"] == 10000


def test_every_json_command_prints_strict_json(capsys) -> None:
    for argv in (["summary", "--model", "lenet5", "--json"], ["recipes", "--json"]):
        assert main(argv) == 0
        _strict(capsys.readouterr().out)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_for_a_terminal_unless_forced(monkeypatch) -> None:
    from engine.render.terminal import output_color_mode

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("COLORTERM", "truecolor")
    assert output_color_mode(stream=io.StringIO()) == "ascii"
    assert output_color_mode(stream=_Terminal()) == "truecolor"
    assert output_color_mode(True, stream=_Terminal()) == "ascii"  # --ascii
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert output_color_mode(stream=io.StringIO()) == "truecolor"
    monkeypatch.setenv("NO_COLOR", "1")
    assert output_color_mode(stream=io.StringIO()) == "ascii"


@pytest.mark.parametrize(
    "argv",
    [
        ["kernels", "--model", "lenet5", "--layer", "conv1"],
        ["featuremaps", "--model", "lenet5", "--layer", "conv1"],
        ["conv", "--input", "squares8", "--filter", "vertical"],
        ["conv", "--network", "--input", "digit:0"],
    ],
    ids=["kernels", "featuremaps", "conv", "conv-network"],
)
def test_heatmap_commands_write_no_colour_codes_into_a_pipe(capsys, monkeypatch, argv) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("COLORTERM", "truecolor")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u2580" not in out and out.strip()


def test_eval_extras_write_no_colour_codes_into_a_pipe(nan_checkpoint, capsys, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("COLORTERM", "truecolor")
    assert main(["eval", "--checkpoint", str(nan_checkpoint), "--saliency", "0"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_kernels_redirected_to_a_file_is_plain_text(tmp_path) -> None:
    target = tmp_path / "kernels.txt"
    env = {"PATH": "/usr/bin:/bin", "COLORTERM": "truecolor", "HOME": str(tmp_path)}
    with target.open("w") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "engine", "kernels", "--model", "lenet5", "--layer", "conv1"],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    assert done.returncode == 0, done.stderr
    text = target.read_text()
    assert "\x1b" not in text and "shared scale" in text
