"""A training run's state (TrainState) and the epoch's running totals before its first step.

``engine.training.build`` builds it; ``engine.training.loop`` steps it; save_checkpoint(state)
writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.data.mnist import MnistSplit
from engine.models.registry import ModelInfo
from engine.training.accel import Precision
from engine.training.config import TrainConfig


@dataclass
class TrainState:
    """Everything a live run has; save_checkpoint(state) writes it."""

    model: nn.Module
    info: ModelInfo
    optimizer: torch.optim.Optimizer
    scheduler: Any
    config: TrainConfig
    epoch: int = 0  # epochs completed
    global_step: int = 0
    metrics: list[dict[str, Any]] = field(default_factory=list)
    run_dir: Path | None = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    step_in_epoch: int = 0
    steps_per_epoch: int = 0
    epoch_totals: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    memory_format: torch.memory_format = torch.contiguous_format
    train: MnistSplit | None = None
    test: MnistSplit | None = None
    augment: nn.Module | None = None
    precision: Precision | None = None
    # engine.models.train_graph's rewrite of model (shared weights), which the steps run;
    # None: the steps run model itself
    train_model: nn.Module | None = None
    # The whole dataset (engine.data.datasets.Dataset) the splits above were cut from: the
    # workbench serves samples from it while the run trains
    dataset: Any = None

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])


def new_totals() -> dict[str, float]:
    """An epoch's running totals before its first step."""
    return {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters (for Failed messages)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
