"""Issue 12 point 25: the tutorials' output. ``train --log-every N`` prints
``Epoch [e/E], Step [s/S], Loss: x`` every N steps, and ``eval --baseline`` prints the
improvement of a CNN run over a dense (mlp) run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.cli.main import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SMALL = ["--train-subset", "256", "--test-subset", "200", "--threads", "1", "--batch-size", "32"]
LINE = re.compile(r"^Epoch \[(\d+)/(\d+)\], Step \[(\d+)/(\d+)\], Loss: (\d+\.\d{4})$")


def test_log_every_prints_the_tutorials_line_every_n_steps(tmp_path: Path, capsys) -> None:
    argv = ["train", "--model", "c4-p-f16", *SMALL, "--epochs", "2", "--log-every", "3"]
    assert main([*argv, "--run-dir", str(tmp_path / "run")]) == 0
    lines = [m.groups() for ln in capsys.readouterr().out.splitlines() if (m := LINE.match(ln))]
    steps = [(int(e), int(s)) for e, _, s, _, _ in lines]
    assert steps == [(e, s) for e in (1, 2) for s in (3, 6)]  # 8 steps an epoch
    assert {(total_epochs, total_steps) for _, total_epochs, _, total_steps, _ in lines} == {
        ("2", "8")
    }
    assert all(0 < float(loss) < 10 for *_, loss in lines)


def test_without_log_every_no_step_lines(tmp_path: Path, capsys) -> None:
    assert main(["train", "--model", "c4-p-f16", *SMALL, "--run-dir", str(tmp_path / "r")]) == 0
    assert not any(LINE.match(ln) for ln in capsys.readouterr().out.splitlines())


@pytest.fixture(scope="module")
def cnn_and_dense(tmp_path_factory) -> tuple[Path, Path]:
    """A small CNN run and an mlp run, one epoch each on the same 1024 digits."""
    root = tmp_path_factory.mktemp("runs")
    small = ["--train-subset", "1024", "--test-subset", "500", "--threads", "1", "--epochs", "1"]
    for model in ("c8-p-f32", "mlp"):
        assert main(["train", "--model", model, *small, "--run-dir", str(root / model)]) == 0
    return root / "c8-p-f32", root / "mlp"


def test_eval_baseline_prints_the_improvement_over_the_dense_network(
    cnn_and_dense: tuple[Path, Path], capsys
) -> None:
    cnn, dense = cnn_and_dense
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(cnn), "--json"]) == 0
    cnn_acc = json.loads(capsys.readouterr().out)["test_acc"]
    assert main(["eval", "--checkpoint", str(dense), "--json"]) == 0
    dense_acc = json.loads(capsys.readouterr().out)["test_acc"]
    assert main(["eval", "--checkpoint", str(cnn), "--baseline", str(dense)]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    expected = f"{100 * (cnn_acc - dense_acc):+.2f} percentage points"
    assert line == f"Improvement over dense network (mlp, {dense_acc:.2%}): {expected}"
    assert main(["eval", "--checkpoint", str(cnn), "--baseline", str(dense), "--json"]) == 0
    baseline = json.loads(capsys.readouterr().out)["baseline"]
    assert baseline["model"] == "mlp" and baseline["dense"] is True
    assert baseline["improvement"] == pytest.approx(cnn_acc - dense_acc)


def test_a_conv_baseline_is_called_a_baseline_network(cnn_and_dense, capsys) -> None:
    cnn, dense = cnn_and_dense
    assert main(["eval", "--checkpoint", str(dense), "--baseline", str(cnn)]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("Improvement over baseline network (c8-p-f32, ")


def test_a_missing_baseline_is_one_line_and_exit_2(cnn_and_dense, tmp_path, capsys) -> None:
    cnn, _ = cnn_and_dense
    assert main(["eval", "--checkpoint", str(cnn), "--baseline", str(tmp_path / "no.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not exist" in err and "\n" not in err
