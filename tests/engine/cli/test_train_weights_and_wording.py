"""`python -m engine train --weights` (a new run from saved weights), the help's words for what
the engine runs on, and the run's lines counting epochs and steps in proper English."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli.main import build_parser, main
from engine.cli.progress import finished_line
from engine.training.checkpoint import load_checkpoint
from engine.training.events import Finished, Started, counted, started_line
from engine.training.history import load_snapshot

SMALL = [
    "--model",
    "c4-p-f16",
    "--train-subset",
    "128",
    "--test-subset",
    "64",
    "--batch-size",
    "64",
    "--threads",
    "1",
    "--schedule",
    "constant",
    "--epochs",
    "1",
]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def source_run(tmp_path_factory) -> Path:
    """A one-epoch run of the small model, to start other runs from."""
    run_dir = tmp_path_factory.mktemp("weights") / "source"
    assert main(["train", *SMALL, "--run-dir", str(run_dir)]) == 0
    return run_dir


def test_weights_start_a_new_run_from_the_saved_weights(source_run, tmp_path, capsys) -> None:
    tuned = tmp_path / "tuned"
    weights = source_run / "checkpoint.pt"
    code = main(
        ["train", *SMALL, "--seed", "7", "--weights", str(weights), "--run-dir", str(tuned)]
    )
    assert code == 0, capsys.readouterr().err
    # the new run's initial weights are the source's final ones, not a fresh initialisation
    start, saved = load_snapshot(tuned, 0), load_snapshot(source_run, 1)
    assert start.keys() == saved.keys()
    for name in start:
        np.testing.assert_array_equal(start[name], saved[name])
    assert any(
        not np.array_equal(start[name], load_snapshot(source_run, 0)[name]) for name in start
    )
    # a new run: it records where it started from and counts its own epochs from 1
    ckpt = load_checkpoint(tuned)
    assert ckpt["config"]["weights"] == str(weights) and ckpt["epoch"] == 1
    (epoch,) = [json.loads(line) for line in (tuned / "metrics.jsonl").open()]
    assert epoch["epoch"] == 1


def test_weights_that_do_not_fit_are_one_line_and_exit_2(source_run, tmp_path, capsys) -> None:
    other = [*SMALL, "--model", "c8-p-f16", "--run-dir", str(tmp_path / "other")]
    assert main(["train", *other, "--weights", str(source_run / "checkpoint.pt")]) == 2
    err = one_line_error(capsys)
    assert "does not fit model 'c8-p-f16'" in err, err
    assert not (tmp_path / "other").exists()  # a failed start leaves no run folder
    missing = tmp_path / "missing.pt"
    assert main(["train", *SMALL, "--weights", str(missing)]) == 2
    assert f"{missing} does not exist" in one_line_error(capsys)


def test_weights_with_resume_is_refused_in_one_line(source_run, capsys) -> None:
    ckpt = str(source_run / "checkpoint.pt")
    assert main(["train", "--resume", ckpt, "--epochs", "2", "--weights", ckpt]) == 2
    err = one_line_error(capsys)
    assert "--weights" in err and "--resume" in err
    assert load_checkpoint(source_run)["epoch"] == 1  # the run was not touched


def help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse's wrapping undone


def test_the_help_says_what_the_engine_runs_on(capsys) -> None:
    text = help_of(capsys)
    assert "MNIST networks" not in text
    for words in ("FILE.py:Name", "spec", "tutorials'", "Fashion-MNIST", "folder", "CIFAR-10"):
        assert words in text, words
    train = help_of(capsys, "train")
    assert (
        "--weights FILE" in train
        and "new run" in train
        and "--model NAME|SPEC|FILE.py:Name" in train
    )


def test_every_command_taking_a_model_names_the_model_file_form(capsys) -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    with_model = [n for n, p in commands.items() if "--model" in p._option_string_actions]
    assert {"summary", "kernels", "featuremaps", "train"} <= set(with_model)
    for name in with_model:
        assert "FILE.py:Name" in help_of(capsys, name), name


@pytest.mark.parametrize(
    ("epochs", "steps", "said"),
    [(1, 1, "1 epoch of 1 step"), (3, 12, "3 epochs of 12 steps"), (2, 1, "2 epochs of 1 step")],
)
def test_the_start_line_counts_epochs_and_steps_in_words(epochs, steps, said) -> None:
    config = {"optimizer": "adam", "lr": 0.001, "schedule": "constant", "batch_size": 64}
    started = Started("runs/x", "c4-p-f16", "cpu", epochs, steps, config={**config, "threads": 1})
    line = started_line(started)
    assert f"batch 64, {said}\n" in line, line
    assert "(s)" not in line and "cpu, 1 thread, " in line


def test_the_end_line_and_a_real_run_count_in_words(tmp_path, capsys) -> None:
    done = Finished("completed", 1, 0.5, 1.0, "c.pt")
    assert ": 1 epoch, test accuracy" in finished_line(done)
    assert ": 3 epochs, " in finished_line(Finished("completed", 3, 0.5, 1.0, "c.pt"))
    assert [counted(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]
    assert main(["train", *SMALL, "--train-subset", "64", "--run-dir", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "batch 64, 1 epoch of 1 step\n" in out and "(s)" not in out, out
