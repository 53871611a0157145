"""A training config of a few steps on a small spec, shared by the engine's run tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.training.config import TrainConfig, make_config

TINY = "c4-p-f16"


def tiny_config(tmp_path: Path, name: str = "run", **overrides: Any) -> TrainConfig:
    """A run of a few steps: small spec, 256 training digits, fixed threads and format."""
    values = dict(
        model=TINY,
        schedule="constant",
        lr=0.01,
        batch_size=64,
        epochs=1,
        train_subset=256,
        test_subset=128,
        threads=1,
        channels_last=False,
        run_dir=str(tmp_path / name),
    )
    values.update(overrides)
    return make_config("fast", **values)
