"""The trainer: ``train_events`` runs a training run as a pausable, stoppable event generator.

No DataLoader: ``engine.data.mnist`` holds each split in memory as uint8 on the device and
slices seeded, shuffled batches, normalised on the fly. ``engine.training.runner`` runs it in a
thread, steered by ``engine.training.control.Control``; ``train_step`` and ``evaluate`` live in
``engine.training.steps``, the state in ``engine.training.state``, the folder's files in
``engine.training.run_folder``.

Conventions: epoch numbers in events and metrics are 1-based; ``TrainState.epoch`` counts the
epochs completed. Accuracies are fractions in [0, 1]. "seconds" and "elapsed" are training
seconds: the time spent in training steps, without evaluation, pauses and ``between_steps``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Generator, Iterator
from functools import partial
from pathlib import Path

import torch

from engine.data.mnist import batches
from engine.errors import EngineError, TrainingDiverged
from engine.training.accel import checks_loss_every_step
from engine.training.build import build_state, started_event
from engine.training.checkpoint import save_checkpoint
from engine.training.config import TrainConfig
from engine.training.control import Control
from engine.training.events import (
    CheckpointSaved,
    EpochEnd,
    Event,
    Failed,
    Finished,
    Paused,
    Progress,
    Resumed,
    StepLogged,
)
from engine.training.resume import resumable_checkpoint
from engine.training.run_claim import RunBook
from engine.training.run_folder import append_metrics, epoch_record, write_run_files
from engine.training.run_paths import CHECKPOINT_NAME
from engine.training.running_sums import RunningSums
from engine.training.snapshots import StepSnapshots, record_epoch
from engine.training.state import TrainState, new_totals, one_line
from engine.training.step_records import StepLog, append_steps
from engine.training.steps import evaluate, normalization, train_step
from engine.training.watch import StepWatch

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # seconds between Progress events
PAUSE_POLL = 0.02  # seconds slept between between_steps calls while paused

# A generator of events that returns True when the run ended (its Finished is yielded).
Ending = Generator[Event, None, bool]


def train_events(
    config: TrainConfig,
    control: Control | None = None,
    resume: str | Path | None = None,
    *,
    overwrite: bool = False,
) -> Iterator[Event]:
    """Train as configured (continuing the checkpoint ``resume`` when given), yielding events.

    The run folder (engine.training.run_claim) is locked while the run writes to it; a folder
    that holds another run is refused unless ``overwrite``. Always ends with exactly one
    Finished or Failed event. A problem the user can fix becomes Failed(one-line message);
    anything else becomes Failed("internal error: ...") and is logged with its traceback.
    """
    run = RunBook()
    failed: Failed | None = None
    try:
        yield from _train(config, control or Control(), resume, run, overwrite)
    except EngineError as exc:
        reason = "diverged" if isinstance(exc, TrainingDiverged) else "error"
        where = {"epoch": getattr(exc, "epoch", 0), "step": getattr(exc, "step", 0)}
        failed = Failed(one_line(str(exc)), checkpoint=run.checkpoint, reason=reason, **where)
    except Exception as exc:
        logger.exception("training stopped by an internal error")
        failed = Failed(
            one_line(f"internal error: {type(exc).__name__}: {exc}"), checkpoint=run.checkpoint
        )
    finally:  # also when the reader stops early or a second Ctrl-C aborts
        run.close()
    if failed is not None:
        yield failed


def _train(
    config: TrainConfig, control: Control, resume: str | Path | None, run: RunBook, overwrite: bool
) -> Iterator[Event]:
    ckpt = resumable_checkpoint(config, resume)  # before any write: nothing to do is refused
    state = build_state(config, resume, run.claim_folder(config, resume, overwrite), ckpt)
    run.start()
    if resume is None:  # (a resumed run's epoch 0 is in the folder it started in, if any)
        write_run_files(state)
        record_epoch(state)  # epoch 0: the weights at random initialisation
    loop = _Loop(state, control, run)
    yield started_event(state)
    loop.last_emit = time.perf_counter()
    state.model.train()
    while state.epoch < state.config.epochs:
        if (yield from loop.train_epoch()):
            return  # stopped mid-epoch
        if (yield from loop.end_epoch()):
            return  # stopped during the epoch's evaluation or checkpoint
    yield from loop.completed()


class _Loop:
    """One run's steps, Progress windows, pauses, stops and epoch ends, over a TrainState."""

    def __init__(self, state: TrainState, control: Control, run: RunBook) -> None:
        self.state, self.control, self.run = state, control, run
        self.check_each_step = checks_loss_every_step(state.device)
        self.watch = StepWatch(state.config.log_every)  # divergence and --log-every
        self.mean, self.std = normalization(state.info)
        self.sums = RunningSums(state.device)
        self.step_log = StepLog(state.steps_per_epoch)  # steps.jsonl: the per-step curve
        self.snapshots = StepSnapshots(state, run)  # kernels at the planned mid-epoch steps
        self.last_emit = 0.0
        self.saved_here = False  # a checkpoint was written into this run's folder

    # ------------------------------------------------------------------------- an epoch

    def train_epoch(self) -> Ending:
        """The epoch's remaining steps; True if the run was stopped (and has finished)."""
        state, cfg = self.state, self.state.config
        order = batches(state.train, cfg.batch_size, shuffle=True, seed=cfg.seed, epoch=state.epoch)
        self.sums.start_epoch(state.epoch_totals)
        self.step_log.start_epoch(state.epoch_totals)
        for index, (images, labels) in enumerate(order):
            if index < state.step_in_epoch:
                continue  # resumed mid-epoch: these batches were trained before the stop
            yield from self.wait_while_paused()
            if self.control.stopped:
                yield from self.stop_events()
                return True
            if (logged := self.step(images, labels)) is not None:
                yield logged  # --log-every: the tutorials' line
            if time.perf_counter() - self.last_emit >= PROGRESS_INTERVAL:
                yield self.progress()
        if self.control.stopped:
            # Stopped right after the epoch's last step: save before evaluating (prompt); a
            # resume evaluates this epoch without training it again.
            yield from self.stop_events()
            return True
        return False

    def wait_while_paused(self) -> Iterator[Event]:
        """Paused, ``between_steps`` every PAUSE_POLL seconds until resumed, Resumed."""
        control = self.control
        if not control.paused or control.stopped:
            return
        yield Paused(global_step=self.state.global_step)
        while control.paused and not control.stopped:
            if control.between_steps:
                control.between_steps(self.state)
            time.sleep(PAUSE_POLL)
        if not control.stopped:
            yield Resumed(global_step=self.state.global_step)

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> StepLogged | None:
        """One optimizer step, added to the running sums and the training seconds; the
        --log-every event when one is due."""
        state = self.state
        began = time.perf_counter()
        try:
            loss, correct = train_step(
                state.train_model or state.model,
                state.optimizer,
                state.scheduler,
                images,
                labels,
                mean=self.mean,
                std=self.std,
                memory_format=state.memory_format,
                label_smoothing=state.config.label_smoothing,
                check_finite=self.check_each_step,
                augment=state.augment,
                precision=state.precision,
            )
        except TrainingDiverged as exc:
            raise self.diverged(getattr(exc, "value", math.nan)) from None
        spent = time.perf_counter() - began
        self.sums.add(loss, correct, len(labels), spent)
        state.global_step += 1
        state.step_in_epoch += 1
        self.step_log.after_step(state, self.sums, len(labels))
        self.snapshots.after_step(state)
        self.charge(spent)
        if self.control.between_steps:
            self.control.between_steps(state)
        return self.watch.after_step(state, loss)

    def charge(self, seconds: float) -> None:
        """Count ``seconds`` as training time of the epoch and the run."""
        self.state.epoch_totals["seconds"] += seconds
        self.state.elapsed += seconds

    def flush(self) -> tuple[float, float, int, float]:
        """Read the running sums into the epoch totals; returns the window's averages."""
        window = self.sums.flush(self.state.epoch_totals, partial(self.diverged, counted=True))
        if self.watch.beyond(window[0]):  # finite but far above the start: ran away
            raise self.diverged(window[0], counted=True)
        return window

    def progress(self) -> Progress:
        """The window's averages since the last Progress."""
        state = self.state
        began = time.perf_counter()
        loss_avg, acc, seen, seconds = self.flush()
        spent = time.perf_counter() - began  # a GPU's queued work finishes here
        self.charge(spent)
        self.last_emit = time.perf_counter()
        return Progress(
            epoch=state.epoch + 1,
            step=state.step_in_epoch,
            steps_per_epoch=state.steps_per_epoch,
            global_step=state.global_step,
            loss=loss_avg,
            acc=acc,
            lr=state.lr,
            samples_per_sec=seen / max(seconds + spent, 1e-9),
            elapsed=round(state.elapsed, 3),
        )

    # ------------------------------------------------------------------------- epoch ends

    def end_epoch(self) -> Ending:
        """Evaluate, record and snapshot the finished epoch, save; True if stopped meanwhile."""
        state = self.state
        began = time.perf_counter()
        self.flush()
        self.charge(time.perf_counter() - began)
        test_loss, test_acc = evaluate(
            state.model, state.test, memory_format=state.memory_format, mean=self.mean, std=self.std
        )
        record = epoch_record(state, test_loss, test_acc)
        if not math.isfinite(test_loss):
            raise self.diverged(test_loss, counted=True)
        state.metrics.append(record)
        state.epoch += 1
        state.step_in_epoch = 0
        state.epoch_totals = new_totals()
        assert state.run_dir is not None
        if self.run.files_written:  # (a resumed run writes its files with its checkpoint)
            append_metrics(state.run_dir, record)
        record_epoch(state)  # kernel and metric snapshot (engine.training.snapshots)
        yield EpochEnd(
            epoch=record["epoch"],
            train_loss=record["train_loss"],
            train_acc=record["train_acc"],
            test_loss=test_loss,
            test_acc=test_acc,
            seconds=record["seconds"],
            lr=record["lr"],
        )
        yield self.save_in_run_dir()
        if self.control.stopped:
            yield self.finished("stopped")
            return True
        return False

    def save_in_run_dir(self) -> CheckpointSaved:
        """The checkpoint in the run folder, replacing the previous epoch's."""
        assert self.state.run_dir is not None
        path = save_checkpoint(self.state, self.state.run_dir / CHECKPOINT_NAME)
        self.run.saved(self.state, path)
        append_steps(self.state.run_dir, self.step_log.drain())
        self.saved_here = True
        return CheckpointSaved(path=str(path), epoch=self.state.epoch)

    def finished(self, reason: str) -> Finished:
        return Finished.of_run(reason, self.state, self.run.checkpoint)

    def stop_events(self) -> Iterator[Event]:
        """Stopped between steps: a checkpoint where the run is (mid-epoch), then Finished."""
        self.flush()
        path = save_checkpoint(self.state)
        self.run.saved(self.state, path)
        self.step_log.mark(self.state, self.sums)
        append_steps(self.state.run_dir, self.step_log.drain())
        yield CheckpointSaved(path=str(path), epoch=self.state.epoch)
        yield self.finished("stopped")

    def completed(self) -> Iterator[Event]:
        """Every epoch trained: Finished (after a checkpoint if none was left in this folder)."""
        if not self.saved_here:  # nothing was left to train: still leave one in this run folder
            yield self.save_in_run_dir()
        yield self.finished("completed")

    def diverged(self, value: float, counted: bool = False) -> TrainingDiverged:
        """The error ending a run whose loss became ``value`` (``counted``: StepWatch.error)."""
        return self.watch.error(self.state, self.run.checkpoint, value, counted=counted)
