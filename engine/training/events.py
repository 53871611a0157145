"""Training events: torch-free dataclasses shared by the trainer, the child process and the TUI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of every training event; ``kind`` names it in JSON and logs."""

    kind: ClassVar[str] = "event"
    mergeable: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Started(Event):
    """The run has its model, data and device and is about to take its first step."""

    kind: ClassVar[str] = "started"
    run_dir: str
    model: str
    device: str
    epochs: int
    steps_per_epoch: int
    start_epoch: int = 0
    params: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    precision: str = "float32"  # or e.g. "bfloat16 autocast", where the step runs so
    device_name: str = ""  # e.g. "cuda:0 (H200)" (engine.training.device_label); "": device


@dataclass(frozen=True)
class Progress(Event):
    """Batch progress, sent a few times a second; a newer one replaces an unread older one."""

    kind: ClassVar[str] = "progress"
    mergeable: ClassVar[bool] = True
    epoch: int
    step: int
    steps_per_epoch: int
    global_step: int
    loss: float
    acc: float
    lr: float
    samples_per_sec: float
    elapsed: float


@dataclass(frozen=True)
class EpochEnd(Event):
    """An epoch finished and the model was evaluated on the test split."""

    kind: ClassVar[str] = "epoch_end"
    epoch: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float
    lr: float = 0.0


@dataclass(frozen=True)
class CheckpointSaved(Event):
    """A checkpoint was written atomically."""

    kind: ClassVar[str] = "checkpoint"
    path: str
    epoch: int


@dataclass(frozen=True)
class Paused(Event):
    kind: ClassVar[str] = "paused"
    global_step: int


@dataclass(frozen=True)
class Resumed(Event):
    kind: ClassVar[str] = "resumed"
    global_step: int


@dataclass(frozen=True)
class Finished(Event):
    """The run ended normally: ``reason`` is 'completed' or 'stopped' (by the user).

    ``epoch`` (from 1) and ``step`` (steps of it trained, 1..steps_per_epoch) say where the
    run ended: a run stopped after the epoch's last step names that epoch and its last step;
    0 where unknown."""

    kind: ClassVar[str] = "finished"
    reason: str
    epochs_done: int
    test_acc: float | None
    seconds: float
    checkpoint: str | None = None
    epoch: int = 0
    step: int = 0
    steps_per_epoch: int = 0

    @classmethod
    def of_run(cls, reason: str, state: Any, checkpoint: str | None) -> Finished:
        """The Finished of a run's TrainState (duck-typed: ``epoch`` counts the epochs
        completed, ``step_in_epoch`` the steps of the next one, ``metrics`` the epochs'
        records, ``elapsed`` the training seconds)."""
        epoch, step = state.epoch + 1, state.step_in_epoch
        if step == 0 and state.epoch > 0:  # at an epoch's end: that epoch, at its last step
            epoch, step = state.epoch, state.steps_per_epoch
        return cls(
            reason=reason,
            epochs_done=state.epoch,
            test_acc=state.metrics[-1]["test_acc"] if state.metrics else None,
            seconds=round(state.elapsed, 3),
            checkpoint=checkpoint,
            epoch=epoch,
            step=step,
            steps_per_epoch=state.steps_per_epoch,
        )

    @property
    def stopped(self) -> bool:
        """Whether the user stopped the run before its last epoch ended."""
        return self.reason == "stopped"

    def where(self) -> str:
        """``epoch 1 step 518/938`` where the run ended; "" where unknown."""
        if not self.epoch:
            return ""
        steps = f"/{self.steps_per_epoch}" if self.steps_per_epoch else ""
        return f"epoch {self.epoch} step {self.step}{steps}"


@dataclass(frozen=True)
class Failed(Event):
    """The run ended with a problem; ``message`` is one line naming it and the fix."""

    kind: ClassVar[str] = "failed"
    message: str
    checkpoint: str | None = None
    reason: str = "error"  # "diverged": the loss ran away (engine.training.watch)
    epoch: int = 0  # where it ended, from 1 (0: not known): a diverged run's epoch and step
    step: int = 0


@dataclass(frozen=True)
class StepLogged(Event):
    """Every ``log_every`` steps (TrainConfig): that step's loss, for the tutorials' log line."""

    kind: ClassVar[str] = "step_log"
    epoch: int  # 1-based, as the line prints them
    epochs: int
    step: int
    steps: int
    loss: float

    def line(self) -> str:
        """``Epoch [1/5], Step [100/938], Loss: 0.1234``, as the tutorials print it."""
        return (
            f"Epoch [{self.epoch}/{self.epochs}], Step [{self.step}/{self.steps}], "
            f"Loss: {self.loss:.4f}"
        )


TERMINAL_EVENTS = (Finished, Failed)

# Precision names as a run records them (TrainConfig.precision), by the first word of
# ``Started.precision`` ("bfloat16 autocast" -> bf16).
PRECISION_NAMES = {"float32": "float32", "bfloat16": "bf16", "float16": "fp16"}


def counted(count: int, noun: str, plural: str = "") -> str:
    """``1 epoch``, ``3 epochs``, ``1 step``: ``count`` and ``noun``, plural (``plural``, else
    ``noun`` + "s") unless ``count`` is 1."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def precision_label(described: str) -> str:
    """``float32``, ``bf16`` or ``fp16`` from a described precision ("bfloat16 autocast")."""
    first = described.split()[0] if described.strip() else "float32"
    return PRECISION_NAMES.get(first, first)


def started_line(ev: Started) -> str:
    """What a run's start says: model, size, device, optimiser, schedule, steps, run folder."""
    cfg = ev.config
    fmt = "channels_last" if cfg.get("channels_last") else "contiguous"
    threads = counted(cfg.get("threads") or 0, "thread")
    layout = f"{threads}, {fmt}, " if ev.device == "cpu" else ""
    where = f"{ev.device}, {layout}{ev.precision}"
    start = f", from epoch {ev.start_epoch + 1}" if ev.start_epoch else ""
    data = cfg.get("dataset") or "mnist"
    shape = cfg.get("input_shape")
    data += f" at {'x'.join(map(str, shape))}" if shape else ""
    data = "" if data == "mnist" else f" with {data}"
    return (
        f"training {ev.model}{data} ({ev.params:,} parameters) on {where}: {cfg['optimizer']} "
        f"lr {cfg['lr']:g} {cfg['schedule']}, batch {cfg['batch_size']}, "
        f"{counted(ev.epochs, 'epoch')} of {counted(ev.steps_per_epoch, 'step')}{start}\n"
        f"run folder {ev.run_dir}"
    )
