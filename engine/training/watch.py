"""What the trainer watches after each step: a loss that runs away (divergence), and the
tutorials' log line every ``log_every`` steps."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from engine.errors import TrainingDiverged
from engine.training.events import StepLogged

if TYPE_CHECKING:
    from engine.training.state import TrainState

# A loss this many times above where the run started (or above chance, ln(classes), whichever
# is higher) has run away: weights blown up by too high a learning rate leave the loss at
# 1e10 and more while it stays finite. Ordinary runs stay far below (a few times chance).
DIVERGE_FACTOR = 100.0


class StepWatch:
    """The run's first loss (the reference for divergence) and the per-N-steps log."""

    def __init__(self, log_every: int = 0, classes: int = 10) -> None:
        self.log_every = log_every
        self.chance = math.log(classes)
        self.start: float | None = None  # the loss of this session's first step, once read
        self.first_loss: torch.Tensor | None = None  # that loss, still on the device

    @property
    def limit(self) -> float:
        """The loss above which the run counts as diverged."""
        if self.start is None and self.first_loss is not None:
            self.start = float(self.first_loss)  # read only when a loss is that high
        start = self.start if self.start is not None and math.isfinite(self.start) else 0.0
        return DIVERGE_FACTOR * max(start, self.chance)

    def beyond(self, loss: float) -> bool:
        """Whether a (mean) loss is no longer finite or far above the start (the start is
        only read from the device when the loss is above DIVERGE_FACTOR x chance)."""
        if not math.isfinite(loss):
            return True
        return loss > DIVERGE_FACTOR * self.chance and loss > self.limit

    def after_step(self, state: TrainState, loss: torch.Tensor) -> StepLogged | None:
        """Note the first loss; every ``log_every`` steps of an epoch, its log event."""
        if self.first_loss is None:
            self.first_loss = loss  # kept on the device: reading it would wait for the step
        if not self.log_every or state.step_in_epoch % self.log_every:
            return None
        return StepLogged(
            epoch=state.epoch + 1,
            epochs=state.config.epochs,
            step=state.step_in_epoch,
            steps=state.steps_per_epoch,
            loss=float(loss),
        )

    def error(
        self, state: TrainState, checkpoint: str | None, value: float, *, counted: bool = False
    ) -> TrainingDiverged:
        """The one-line TrainingDiverged for a loss of ``value``: where, why, what was kept.

        ``counted``: the step that diverged is already in ``state.step_in_epoch`` (a window's
        or the epoch's loss read after its steps); otherwise it is the step under way. The
        step named is always within 1..steps_per_epoch."""
        step = state.step_in_epoch if counted else state.step_in_epoch + 1
        if state.steps_per_epoch:
            step = min(step, state.steps_per_epoch)
        where = f"epoch {state.epoch + 1}, step {max(step, 1)}"
        what = (
            f"rose to {value:.3g}, over {DIVERGE_FACTOR:g}x its start"
            if math.isfinite(value)
            else f"became {value}"
        )
        kept = (
            f"the last good checkpoint is {checkpoint}"
            if checkpoint
            else "no checkpoint had been written yet"
        )
        fix = "lower --lr" + (" or use --schedule onecycle" * (state.config.schedule != "onecycle"))
        error = TrainingDiverged(
            f"training diverged: the loss {what} at {where} (lr {state.lr:.3g}); {fix}; {kept}"
        )
        error.epoch, error.step = state.epoch + 1, max(step, 1)
        return error
