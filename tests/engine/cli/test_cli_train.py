"""`python -m engine train | eval | recipes | bench`: output, exit codes, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.bench import loops as bench
from engine.cli.main import main
from engine.training import device as device_mod
from engine.training.checkpoint import load_checkpoint
from engine.training.config import RECIPES

ROOT = Path(__file__).resolve().parents[3]
SMALL = [
    "--model",
    "c4-p-f16",
    "--train-subset",
    "256",
    "--test-subset",
    "128",
    "--batch-size",
    "64",
    "--threads",
    "1",
    "--schedule",
    "constant",
]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


def test_train_prints_one_line_per_epoch_and_the_checkpoint(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "2", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("epoch 1/2  train loss") for line in lines)
    assert any(
        line.startswith("epoch 2/2  train loss") and "test loss" in line and "acc" in line
        for line in lines
    )
    assert f"checkpoint {run_dir / 'checkpoint.pt'}" in out
    assert "finished (completed)" in out
    assert load_checkpoint(run_dir)["epoch"] == 2


def test_options_override_the_recipe_and_resume_continues(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert (
        main(
            ["train", "--recipe", "seed-lenet5", *SMALL, "--epochs", "1", "--run-dir", str(run_dir)]
        )
        == 0
    )
    config = json.loads((run_dir / "config.json").read_text())
    assert config["recipe"] == "seed-lenet5" and config["optimizer"] == "sgd"
    assert config["model"] == "c4-p-f16" and config["epochs"] == 1
    assert main(["train", "--resume", str(run_dir / "checkpoint.pt"), "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "from epoch 2" in out and "epoch 2/2" in out
    ckpt = load_checkpoint(run_dir)
    assert ckpt["epoch"] == 2 and ckpt["config"]["optimizer"] == "sgd"


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["train", "--optimizer", "rmsprop"], "invalid choice"),
        (["train", "--epochs", "zero"], "invalid int value"),
        (["train", "--epochs", "0"], "--epochs must be a whole number from 1 to"),
        (["train", "--lr", "-1"], "--lr must be a finite number above 0"),
        (["train", "--recipe", "nope"], "unknown recipe"),
        (["train", "--model", "c4-zz"], "bad model spec"),
        (["train", "--model", "alexnet"], "inspection only"),
        (["train", "--device", "tpu"], "unknown device"),
        (["train", "--data-dir", "/nonexistent/mnist"], "does not exist"),
        (["train", "--resume", "/nonexistent/checkpoint.pt"], "does not exist"),
        (["train", "--label-smoothing", "1.5"], "label-smoothing"),
        (["eval", "--checkpoint", "/nonexistent.pt"], "does not exist"),
        (["eval"], "required"),
        (["bench", "--models", "nonesuch", "--quick"], "unknown model"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(capsys, argv, expected):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 2
    assert expected in one_line_error(capsys)


def test_cuda_absent_exits_2(capsys, monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    assert main(["train", *SMALL, "--device", "cuda"]) == 2
    err = one_line_error(capsys)
    assert "CUDA requested but not available" in err and "--device cpu" in err
    # The bench says so before it times anything (not after a minute of loop comparisons).
    monkeypatch.setattr(bench, "compare_loops", lambda *a, **k: pytest.fail("timed first"))
    assert main(["bench", "--quick", "--device", "cuda"]) == 2
    assert "CUDA requested but not available" in one_line_error(capsys)


def test_corrupt_checkpoint_exits_2(tmp_path, capsys):
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(b"\x00" * 100)
    assert main(["eval", "--checkpoint", str(bad)]) == 2
    assert "not a readable checkpoint" in one_line_error(capsys)
    assert main(["train", "--resume", str(bad)]) == 2
    assert "not a readable checkpoint" in one_line_error(capsys)


def test_divergence_exits_2_with_the_message(tmp_path, capsys):
    code = main(
        [
            "train",
            *SMALL,
            "--optimizer",
            "sgd",
            "--lr",
            "1e12",
            "--epochs",
            "3",
            "--run-dir",
            str(tmp_path / "run"),
        ]
    )
    assert code == 2
    assert "diverged" in one_line_error(capsys)


def test_eval_prints_loss_and_accuracy(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "1", "--run-dir", str(run_dir)]) == 0
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run_dir / "checkpoint.pt")]) == 0
    out = capsys.readouterr().out
    assert "test loss" in out and "test accuracy" in out and "/10000)" in out
    assert main(["eval", "--checkpoint", str(run_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "c4-p-f16" and result["samples"] == 10000
    assert 0 <= result["test_acc"] <= 1 and result["test_loss"] > 0


def test_recipes_lists_every_recipe(capsys):
    assert main(["recipes"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    for word in ("network", "optimiser", "schedule", "batch", "epochs", "expected"):
        assert word in header
    for name, config in RECIPES.items():
        assert any(
            line.startswith(name + " ") and config.model in line for line in out.splitlines()
        )
    assert main(["recipes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(RECIPES)
    fast = rows[0]
    assert fast["schedule"] == "onecycle" and fast["batch_size"] == 256
    assert fast["expected_acc"] >= 0.99


def test_bench_quick_json_shape(capsys):
    assert main(["bench", "--quick", "--json", "--models", "lenet5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"models", "fast"}
    assert set(report["models"]) == {"lenet5"}
    row = report["models"]["lenet5"]
    assert set(row) == {"seed_loop_sps", "engine_sps", "ratio"}
    assert row["seed_loop_sps"] > 0 and row["engine_sps"] > 0
    assert row["ratio"] == pytest.approx(row["engine_sps"] / row["seed_loop_sps"], rel=1e-2)
    assert set(report["fast"]) == {"model", "epochs_to_99", "seconds_to_99", "final_test_acc"}
    assert report["fast"]["model"] == RECIPES["fast"].model
    assert 0 < report["fast"]["final_test_acc"] <= 1


def test_ctrl_c_stops_cleanly_and_saves(tmp_path):
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "engine",
        "train",
        "--model",
        "c4-p-f16",
        "--train-subset",
        "2000",
        "--test-subset",
        "100",
        "--batch-size",
        "16",
        "--threads",
        "1",
        "--epochs",
        "1000",
        "--run-dir",
        str(run_dir),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        for line in proc.stdout:
            if line.startswith("epoch 1/1000"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "finished (stopped)" in out
    assert "Traceback" not in err
    ckpt = load_checkpoint(run_dir / "checkpoint.pt")
    assert ckpt["epoch"] >= 1
