"""RunningSums: an epoch's running loss and correct count, and the window since the last Progress.

The sums stay on the device (float64, added step by step in order), so they are the same however
often Progress reads them, and no step waits for a GPU: only ``flush`` reads them on the host.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


class RunningSums:
    """The epoch's loss sum and correct count on the device; samples and seconds of the window."""

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), dtype=torch.float64, device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.window_seen = 0  # samples and training seconds since the last Progress
        self.window_seconds = 0.0

    def start_epoch(self, totals: dict[str, float]) -> None:
        """Continue from an epoch's totals (zeros, or where a resumed run stopped)."""
        self.loss.fill_(float(totals["loss_sum"]))
        self.correct.fill_(int(totals["correct"]))

    def add(self, loss: torch.Tensor, correct: torch.Tensor, count: int, seconds: float) -> None:
        """One step: its mean loss and correct count over ``count`` samples in ``seconds``."""
        self.loss.add_(loss.double() * count)
        self.correct.add_(correct)
        self.window_seen += count
        self.window_seconds += seconds

    def flush(
        self, totals: dict[str, float], diverged: Callable[[float], Exception]
    ) -> tuple[float, float, int, float]:
        """Read the sums into the epoch ``totals``; returns the window's mean loss, accuracy,
        samples and seconds, and starts a new window. Raises ``diverged(loss)`` when the loss
        is no longer finite."""
        seen, seconds = self.window_seen, self.window_seconds
        loss_total, correct_total = float(self.loss), int(self.correct)
        if not math.isfinite(loss_total):
            raise diverged(loss_total)
        loss_sum = loss_total - totals["loss_sum"]
        correct = correct_total - int(totals["correct"])
        totals["loss_sum"], totals["correct"] = loss_total, correct_total
        totals["seen"] += seen
        self.window_seen, self.window_seconds = 0, 0.0
        return (loss_sum / seen if seen else 0.0, correct / seen if seen else 0.0, seen, seconds)
