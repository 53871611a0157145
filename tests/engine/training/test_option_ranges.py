"""Issue 12 point 10: every numeric training option is checked against its real range in one
place (TrainConfig.validate via engine.training.options) before anything reaches torch: one
line and exit 2 from the CLI, a ConfigError everywhere else."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from engine.cli.main import main
from engine.errors import ConfigError
from engine.training.config import TrainConfig, make_config
from engine.training.options import MAX_BATCH, MAX_EPOCHS, MAX_SEED, MAX_THREADS, bounds

BAD = [
    ("--momentum", "-1"),
    ("--momentum", "1"),
    ("--momentum", "nan"),
    ("--weight-decay", "-1"),
    ("--weight-decay", "nan"),
    ("--weight-decay", "inf"),
    ("--seed", "1180591620717411303424"),
    ("--seed", "-1"),
    ("--batch-size", "10000000"),
    ("--batch-size", "0"),
    ("--threads", "100000"),  # segfaulted in torch's thread pool
    ("--threads", "1025"),
    ("--threads", "-1"),
    ("--lr", "nan"),
    ("--lr", "inf"),
    ("--lr", "0"),
    ("--label-smoothing", "1"),
    ("--label-smoothing", "-0.1"),
    ("--label-smoothing", "nan"),
    ("--epochs", "0"),
    ("--epochs", "99999999999"),
    ("--train-subset", "0"),
    ("--test-subset", "-5"),
    ("--log-every", "-1"),
]


@pytest.mark.parametrize(("option", "value"), BAD)
def test_out_of_range_option_is_one_line_and_exit_2(
    tmp_path, capsys, option: str, value: str
) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", option, value, "--run-dir", str(run_dir)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith(f"error: bad training option: {option} must be "), err
    assert err.endswith(f"not {value}") or f"not {float(value)}" in err, err
    assert "\n" not in err and not captured.out
    assert not run_dir.exists()  # refused before any file is written


def test_every_numeric_field_has_a_bound() -> None:
    numeric = {
        f.name
        for f in TrainConfig.__dataclass_fields__.values()
        if any(kind in str(f.type) for kind in ("int", "float"))
    } - {"expected_acc", "input_shape"}  # a recipe's figure; a shape (input_shape_problem)
    assert numeric == {name for name, _ in bounds()}


@pytest.mark.parametrize(
    "values",
    [
        {"momentum": 0.0, "weight_decay": 0.0, "seed": 0, "threads": 0, "label_smoothing": 0.0},
        {"momentum": 0.99, "weight_decay": 5e-4, "seed": MAX_SEED, "threads": MAX_THREADS},
        {"batch_size": MAX_BATCH, "epochs": MAX_EPOCHS, "lr": 1e6, "log_every": 100},
        {"batch_size": 1, "epochs": 1, "train_subset": 1, "test_subset": 1},
    ],
)
def test_the_edges_of_each_range_are_accepted(values: dict) -> None:
    config = make_config("fast", **values)
    assert all(getattr(config, k) == v for k, v in values.items())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("batch_size", "64"),
        ("batch_size", 64.0),
        ("batch_size", True),
        ("lr", "0.01"),
        ("lr", None),
        ("epochs", [1]),
        ("seed", 1.5),
        ("threads", math.nan),
    ],
)
def test_a_value_of_the_wrong_type_is_a_config_error(field: str, value: object) -> None:
    """A config read from a checkpoint or JSON goes through the same check (no TypeError)."""
    config = replace(make_config("fast"), **{field: value})
    with pytest.raises(ConfigError, match=f"--{field.replace('_', '-')} must be"):
        config.validate()
