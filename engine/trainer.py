"""The trainer: the whole dataset as uint8 tensors on the device, batches sliced from it.

No DataLoader: ``engine.data`` holds each split in memory as uint8, ``engine.data.batches``
slices shuffled batches (seeded by config.seed and the epoch number) and each batch is
normalised on the fly. ``train_events`` runs a whole training run as a generator of
``engine.events`` events; ``engine.runner`` runs it in a thread.

Conventions: epoch numbers in events and metrics are 1-based; ``TrainState.epoch`` counts the
epochs completed. Accuracies are fractions in [0, 1]. "seconds" and "elapsed" are training
seconds: the time spent in training steps, without evaluation, pauses and ``between_steps``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.accel import (
    Precision,
    backward_step,
    checks_loss_every_step,
    make_precision,
    optimizer_options,
    prepare_device,
)
from engine.augment import make_augment
from engine.checkpoint import (
    CHECKPOINT_NAME,
    load_checkpoint,
    resolve_checkpoint_path,
    save_checkpoint,
    set_rng_state,
)
from engine.config import TrainConfig
from engine.data import MNIST_MEAN, MNIST_STD, MnistSplit, batches, load_split, normalize
from engine.device import choose_cpu_settings, resolve_device
from engine.errors import CheckpointError, ConfigError, EngineError, TrainingDiverged
from engine.events import (
    CheckpointSaved,
    EpochEnd,
    Event,
    Failed,
    Finished,
    Paused,
    Progress,
    Resumed,
    Started,
)
from engine.history import record_epoch
from engine.models import ModelInfo, build_model, count_params
from engine.train_graph import training_graph

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # seconds between Progress events
PAUSE_POLL = 0.02  # seconds slept between between_steps calls while paused
EVAL_BATCH = 1000
METRICS_NAME = "metrics.jsonl"
CONFIG_NAME = "config.json"
# OneCycle shape: warm up over the first ONECYCLE_PCT of the steps from lr/DIV to lr, then
# anneal (cosine) to lr/(DIV*FINAL_DIV).
ONECYCLE_PCT = 0.25
ONECYCLE_DIV = 25.0
ONECYCLE_FINAL_DIV = 1e4
STEP_GAMMA = 0.7  # schedule "step": lr x 0.7 after every epoch (PyTorch's MNIST example)


class Control:
    """Steering for a run: stop, pause, resume, and an optional ``between_steps(state)`` callback
    called after every optimizer step and, about every 20 ms, while paused."""

    def __init__(self, between_steps: Callable[[TrainState], None] | None = None) -> None:
        self._stop = threading.Event()
        self._pause = threading.Event()
        self.between_steps = between_steps

    def stop(self) -> None:
        self._stop.set()

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()


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
    # engine.train_graph's rewrite of model (shared weights), which the steps run; None: model
    train_model: nn.Module | None = None

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])


def _new_totals() -> dict[str, float]:
    return {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}


# ----------------------------------------------------------------------------- building blocks


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    extra = optimizer_options(next(model.parameters()).device)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            **extra,
        )
    return torch.optim.Adam(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, **extra
    )


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> Any:
    """The learning-rate schedule, stepped after every batch."""
    total = max(1, config.epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler
    if config.schedule == "onecycle" and total >= 3:  # fewer steps cannot make a cycle
        return sched.OneCycleLR(
            optimizer,
            max_lr=config.lr,
            total_steps=total,
            pct_start=max(ONECYCLE_PCT, 1.5 / total),
            div_factor=ONECYCLE_DIV,
            final_div_factor=ONECYCLE_FINAL_DIV,
        )
    if config.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "step":
        return sched.StepLR(optimizer, step_size=max(1, steps_per_epoch), gamma=STEP_GAMMA)
    return sched.ConstantLR(optimizer, factor=1.0, total_iters=0)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
    memory_format: torch.memory_format = torch.contiguous_format,
    label_smoothing: float = 0.0,
    check_finite: bool = False,
    augment: nn.Module | None = None,
    precision: Precision | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on a uint8 batch; returns (loss, correct) as tensors on the device.

    With check_finite (cheap on the CPU) a NaN or infinite loss raises TrainingDiverged before
    the weights are touched. ``augment`` warps the normalised batch on its device; ``precision``
    (engine.accel) runs the forward pass under autocast and scales fp16 losses.
    """
    x = normalize(images, mean, std, memory_format)
    if augment is not None:
        x = augment(x).contiguous(memory_format=memory_format)
    with precision.autocast() if precision is not None else contextlib.nullcontext():
        logits = model(x)
    loss = F.cross_entropy(logits.float(), labels, label_smoothing=label_smoothing)
    if check_finite and not math.isfinite(value := loss.item()):
        error = TrainingDiverged(f"training diverged: the loss became {value}; lower --lr")
        error.value = value  # type: ignore[attr-defined]
        raise error
    optimizer.zero_grad(set_to_none=True)
    backward_step(loss, optimizer, precision)
    if scheduler is not None:
        scheduler.step()
    return loss.detach(), (logits.detach().argmax(1) == labels).sum()


def train_one_epoch(
    model: nn.Module,
    split: MnistSplit,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    *,
    batch_size: int = 64,
    seed: int = 0,
    epoch: int = 0,
    label_smoothing: float = 0.0,
    memory_format: torch.memory_format = torch.contiguous_format,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
    max_steps: int | None = None,
) -> tuple[float, float]:
    """One pass (or max_steps batches) over split; returns (mean train loss, accuracy)."""
    model.train()
    graph = training_graph(model)
    loss_sum = torch.zeros((), device=split.images.device)
    correct = torch.zeros((), dtype=torch.long, device=split.images.device)
    seen = 0
    for step, (images, labels) in enumerate(
        batches(split, batch_size, shuffle=True, seed=seed, epoch=epoch)
    ):
        if max_steps is not None and step >= max_steps:
            break
        loss, right = train_step(
            graph,
            optimizer,
            scheduler,
            images,
            labels,
            mean=mean,
            std=std,
            memory_format=memory_format,
            label_smoothing=label_smoothing,
        )
        loss_sum += loss * len(labels)
        correct += right
        seen += len(labels)
    return float(loss_sum) / max(seen, 1), int(correct) / max(seen, 1)


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    split: MnistSplit,
    *,
    batch_size: int = EVAL_BATCH,
    memory_format: torch.memory_format = torch.contiguous_format,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) over the whole split, in eval mode (mode restored)."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=split.images.device)
    correct = torch.zeros((), dtype=torch.long, device=split.images.device)
    try:
        for images, labels in batches(split, batch_size, shuffle=False):
            logits = model(normalize(images, mean, std, memory_format))
            loss_sum += F.cross_entropy(logits, labels, reduction="sum")
            correct += (logits.argmax(1) == labels).sum()
    finally:
        model.train(was_training)
    count = max(len(split), 1)
    return float(loss_sum) / count, int(correct) / count


def resume_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """The config stored in a checkpoint with every non-None override applied, validated."""
    ckpt = load_checkpoint(path)
    base = TrainConfig.from_dict(ckpt["config"])
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return replace(base, **given).validate()
    except TypeError as exc:
        raise ConfigError(f"unknown training option: {exc}") from None


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _run_dir_for(config: TrainConfig, resume: str | Path | None) -> Path:
    if config.run_dir:
        folder = Path(config.run_dir).expanduser()
    elif resume is not None:
        folder = resolve_checkpoint_path(resume).parent
    else:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", config.model)[:40] or "model"
        base = Path("runs") / f"{datetime.now():%Y%m%d-%H%M%S}-{safe}"
        folder, n = base, 1
        while folder.exists():
            n += 1
            folder = base.with_name(f"{base.name}-{n}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create run folder {folder}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None
    return folder


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None


# ----------------------------------------------------------------------------- the run


class _Run:
    """The generator's bookkeeping shared with its error handler."""

    def __init__(self) -> None:
        self.checkpoint: str | None = None
        self.started = time.perf_counter()


def train_events(
    config: TrainConfig, control: Control | None = None, resume: str | Path | None = None
) -> Iterator[Event]:
    """Train as configured (continuing the checkpoint ``resume`` when given), yielding events.

    Always ends with exactly one Finished or Failed event. A problem the user can fix becomes
    Failed(one-line message); anything else becomes Failed("internal error: ...") and is logged
    with its traceback.
    """
    run = _Run()
    try:
        yield from _train(config, control or Control(), resume, run)
    except EngineError as exc:
        yield Failed(_one_line(str(exc)), checkpoint=run.checkpoint)
    except Exception as exc:
        logger.exception("training stopped by an internal error")
        yield Failed(
            _one_line(f"internal error: {type(exc).__name__}: {exc}"), checkpoint=run.checkpoint
        )


def _setup(config: TrainConfig, resume: str | Path | None) -> TrainState:
    config = config.validate()
    ckpt = load_checkpoint(resume) if resume is not None else None
    if ckpt is not None and ckpt["config"].get("model", ckpt["model"]) != config.model:
        raise CheckpointError(
            f"{resume} holds model {ckpt['model']!r} but the run asks for "
            f"{config.model!r}; leave out --model to resume it"
        )
    for name, count in (
        ("--train-subset", config.train_subset),
        ("--test-subset", config.test_subset),
    ):
        if count is not None and count < 1:
            raise ConfigError(f"bad training option: {name} must be at least 1")
    augment = make_augment(config.augment)  # an unknown name fails before data is loaded
    device = resolve_device(config.device)
    prepare_device(device)
    train = load_split("train", config.data_dir).subset(config.train_subset)
    test = load_split("test", config.data_dir).subset(config.test_subset)

    torch.manual_seed(config.seed)
    if config.model.strip() == "alexnet":  # known without building its 61 M parameters
        raise ConfigError(
            "model 'alexnet' takes 3x224x224 images, not MNIST digits; it is for "
            "inspection only: train an MNIST model or a spec"
        )
    model, info = build_model(config.model)
    if tuple(info.input_shape) != (1, 28, 28):
        raise ConfigError(
            f"model {config.model!r} takes {info.input_shape} inputs, not MNIST "
            "digits; it is for inspection only: train an MNIST model or a spec"
        )
    if device.type == "cpu":
        settings = choose_cpu_settings(
            config.model, config.batch_size, config.threads, config.channels_last
        )
        # Measuring builds models of its own; the seeded model above is the one trained.
        threads, channels_last = settings.threads, settings.channels_last
    else:
        if config.threads:
            torch.set_num_threads(config.threads)
        threads = torch.get_num_threads()
        channels_last = True if config.channels_last is None else config.channels_last
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=memory_format)
    train_model = training_graph(model)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)

    optimizer = make_optimizer(model, config)
    state = TrainState(
        model=model,
        info=info,
        optimizer=optimizer,
        scheduler=None,
        config=replace(config, threads=threads, channels_last=channels_last),
        device=device,
        steps_per_epoch=steps_per_epoch,
        epoch_totals=_new_totals(),
        memory_format=memory_format,
        train=train.to(device),
        test=test.to(device),
        precision=make_precision(device),
        train_model=train_model,
    )
    if augment is not None:  # uncovered pixels get the normalised value of black
        augment.background = -float(info.mean[0]) / float(info.std[0])
        state.augment = augment.to(device)
    if ckpt is None:
        state.scheduler = make_scheduler(optimizer, config, steps_per_epoch)
    else:
        _restore(state, ckpt, config, resume)
    state.run_dir = _run_dir_for(config, resume)
    return state


def _restore(
    state: TrainState, ckpt: dict[str, Any], config: TrainConfig, resume: str | Path | None
) -> None:
    """Load weights, optimizer, schedule, counters and random state from a checkpoint."""
    old = TrainConfig.from_dict(ckpt["config"])
    try:
        state.model.load_state_dict(ckpt["model_state"])
        same_optimizer = old.optimizer == config.optimizer and ckpt.get("optimizer_state")
        if same_optimizer:
            state.optimizer.load_state_dict(ckpt["optimizer_state"])
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(
            f"{resume} does not fit model {config.model!r} "
            f"({_one_line(str(exc), 100)}); the checkpoint is corrupt or from "
            "another version"
        ) from None
    old_steps = int(ckpt.get("steps_per_epoch") or state.steps_per_epoch)
    depends_on_total = config.schedule in ("onecycle", "cosine")
    same_plan = (
        old.schedule == config.schedule
        and old.lr == config.lr
        and same_optimizer
        and (
            not depends_on_total
            or (old.epochs * old_steps == config.epochs * state.steps_per_epoch)
        )
    )
    if same_plan and ckpt.get("scheduler_state") is not None:
        saved_groups = [dict(g) for g in state.optimizer.param_groups]
        state.scheduler = make_scheduler(state.optimizer, config, state.steps_per_epoch)
        for group, saved in zip(state.optimizer.param_groups, saved_groups, strict=True):
            group.update({k: v for k, v in saved.items() if k != "params"})
        state.scheduler.load_state_dict(ckpt["scheduler_state"])
    else:
        # The plan changed (more epochs, another lr or schedule): replan over the new total and
        # move the new schedule forward to where the run is.
        for group in state.optimizer.param_groups:
            group["lr"] = group["initial_lr"] = config.lr
            if config.optimizer == "adam":
                group["betas"] = (0.9, 0.999)
        state.scheduler = make_scheduler(state.optimizer, config, state.steps_per_epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            total = config.epochs * state.steps_per_epoch
            for _ in range(min(int(ckpt["global_step"]), max(total - 1, 0))):
                state.scheduler.step()
    for group in state.optimizer.param_groups:
        group["weight_decay"] = config.weight_decay
        if config.optimizer == "sgd":
            group["momentum"] = config.momentum
    state.epoch = int(ckpt["epoch"])
    state.global_step = int(ckpt["global_step"])
    state.step_in_epoch = int(ckpt.get("step_in_epoch", 0))
    if state.step_in_epoch > state.steps_per_epoch or old_steps != state.steps_per_epoch:
        state.step_in_epoch = 0  # another batch size or subset: start the epoch afresh
    totals = ckpt.get("epoch_totals") or {}
    state.epoch_totals = {**_new_totals(), **totals} if state.step_in_epoch else _new_totals()
    state.elapsed = float(ckpt.get("elapsed", 0.0))
    state.metrics = [dict(m) for m in ckpt.get("metrics", [])]
    set_rng_state(ckpt.get("rng_state"))


def _diverged(state: TrainState, value: float, run: _Run) -> TrainingDiverged:
    where = f"epoch {state.epoch + 1}, step {state.step_in_epoch + 1}"
    kept = (
        f"the last good checkpoint is {run.checkpoint}"
        if run.checkpoint
        else "no checkpoint had been written yet"
    )
    return TrainingDiverged(
        f"training diverged: the loss became {value} at {where} "
        f"(lr {state.lr:.3g}); lower --lr or use --schedule onecycle; {kept}"
    )


def _train(
    config: TrainConfig, control: Control, resume: str | Path | None, run: _Run
) -> Iterator[Event]:
    state = _setup(config, resume)
    cfg = state.config
    run_dir = state.run_dir
    assert run_dir is not None
    _write_text(run_dir / CONFIG_NAME, json.dumps(cfg.to_dict(), indent=2) + "\n")
    _write_text(run_dir / METRICS_NAME, "".join(json.dumps(m) + "\n" for m in state.metrics))
    if resume is not None:
        run.checkpoint = str(resolve_checkpoint_path(resume))
    check_each_step = checks_loss_every_step(state.device)
    mean, std = float(state.info.mean[0]), float(state.info.std[0])
    yield Started(
        run_dir=str(run_dir),
        model=cfg.model,
        device=str(state.device),
        epochs=cfg.epochs,
        steps_per_epoch=state.steps_per_epoch,
        start_epoch=state.epoch,
        params=count_params(state.model),
        config=cfg.to_dict(),
    )

    device = state.device
    # The epoch's running sums stay on the device (float64, added step by step in order), so
    # they are the same however often Progress reads them, and no step waits for a GPU.
    run_loss = torch.zeros((), dtype=torch.float64, device=device)
    run_correct = torch.zeros((), dtype=torch.long, device=device)
    win = {"seen": 0, "seconds": 0.0}
    last_emit = time.perf_counter()

    def flush() -> tuple[float, float, int, float]:
        """Read the running sums into the epoch totals; returns the window's averages."""
        totals = state.epoch_totals
        seen, seconds = win["seen"], win["seconds"]
        loss_total, correct_total = float(run_loss), int(run_correct)
        if not math.isfinite(loss_total):
            raise _diverged(state, loss_total, run)
        loss_sum = loss_total - totals["loss_sum"]
        correct = correct_total - int(totals["correct"])
        totals["loss_sum"], totals["correct"] = loss_total, correct_total
        totals["seen"] += seen
        win["seen"], win["seconds"] = 0, 0.0
        return (loss_sum / seen if seen else 0.0, correct / seen if seen else 0.0, seen, seconds)

    def stop_event() -> Iterator[Event]:
        flush()
        path = save_checkpoint(state)
        run.checkpoint = str(path)
        yield CheckpointSaved(path=str(path), epoch=state.epoch)
        last = state.metrics[-1]["test_acc"] if state.metrics else None
        yield Finished(
            reason="stopped",
            epochs_done=state.epoch,
            test_acc=last,
            seconds=round(state.elapsed, 3),
            checkpoint=str(path),
        )

    saved_here = False
    state.model.train()
    while state.epoch < cfg.epochs:
        order = batches(state.train, cfg.batch_size, shuffle=True, seed=cfg.seed, epoch=state.epoch)
        run_loss.fill_(float(state.epoch_totals["loss_sum"]))
        run_correct.fill_(int(state.epoch_totals["correct"]))
        for index, (images, labels) in enumerate(order):
            if index < state.step_in_epoch:
                continue  # resumed mid-epoch: these batches were trained before the stop
            if control.paused and not control.stopped:
                yield Paused(global_step=state.global_step)
                while control.paused and not control.stopped:
                    if control.between_steps:
                        control.between_steps(state)
                    time.sleep(PAUSE_POLL)
                if not control.stopped:
                    yield Resumed(global_step=state.global_step)
            if control.stopped:
                yield from stop_event()
                return
            began = time.perf_counter()
            try:
                loss, correct = train_step(
                    state.train_model or state.model,
                    state.optimizer,
                    state.scheduler,
                    images,
                    labels,
                    mean=mean,
                    std=std,
                    memory_format=state.memory_format,
                    label_smoothing=cfg.label_smoothing,
                    check_finite=check_each_step,
                    augment=state.augment,
                    precision=state.precision,
                )
            except TrainingDiverged as exc:
                raise _diverged(state, getattr(exc, "value", math.nan), run) from None
            run_loss.add_(loss.double() * len(labels))
            run_correct.add_(correct)
            win["seen"] += len(labels)
            state.global_step += 1
            state.step_in_epoch += 1
            spent = time.perf_counter() - began
            win["seconds"] += spent
            state.epoch_totals["seconds"] += spent
            state.elapsed += spent
            if control.between_steps:
                control.between_steps(state)
            now = time.perf_counter()
            if now - last_emit >= PROGRESS_INTERVAL:
                began = time.perf_counter()
                loss_avg, acc, seen, seconds = flush()
                spent = time.perf_counter() - began  # a GPU's queued work finishes here
                state.epoch_totals["seconds"] += spent
                state.elapsed += spent
                last_emit = time.perf_counter()
                yield Progress(
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
        if control.stopped:
            # Stopped right after the epoch's last step: save before evaluating (prompt); a
            # resume evaluates this epoch without training it again.
            yield from stop_event()
            return
        began = time.perf_counter()
        flush()
        spent = time.perf_counter() - began
        state.epoch_totals["seconds"] += spent
        state.elapsed += spent
        test_loss, test_acc = evaluate(
            state.model, state.test, memory_format=state.memory_format, mean=mean, std=std
        )
        totals = state.epoch_totals
        seen = max(int(totals["seen"]), 1)
        record = {
            "epoch": state.epoch + 1,
            "train_loss": totals["loss_sum"] / seen,
            "train_acc": totals["correct"] / seen,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "lr": state.lr,
            "seconds": round(totals["seconds"], 3),
            "elapsed": round(state.elapsed, 3),
            "global_step": state.global_step,
            "samples_per_sec": round(totals["seen"] / max(totals["seconds"], 1e-9), 1),
        }
        if not math.isfinite(test_loss):
            raise _diverged(state, test_loss, run)
        state.metrics.append(record)
        state.epoch += 1
        state.step_in_epoch = 0
        state.epoch_totals = _new_totals()
        try:
            with open(run_dir / METRICS_NAME, "a") as handle:
                handle.write(json.dumps(record) + "\n")
        except OSError as exc:
            raise ConfigError(
                f"cannot write {run_dir / METRICS_NAME}: {exc.strerror or exc}; "
                "choose a writable --run-dir"
            ) from None
        record_epoch(state)  # kernel and metric snapshot (engine.history)
        yield EpochEnd(
            epoch=record["epoch"],
            train_loss=record["train_loss"],
            train_acc=record["train_acc"],
            test_loss=test_loss,
            test_acc=test_acc,
            seconds=record["seconds"],
            lr=record["lr"],
        )
        path = save_checkpoint(state, run_dir / CHECKPOINT_NAME)
        run.checkpoint = str(path)
        saved_here = True
        yield CheckpointSaved(path=str(path), epoch=state.epoch)
        if control.stopped:
            last = state.metrics[-1]["test_acc"]
            yield Finished(
                reason="stopped",
                epochs_done=state.epoch,
                test_acc=last,
                seconds=round(state.elapsed, 3),
                checkpoint=str(path),
            )
            return
    last = state.metrics[-1]["test_acc"] if state.metrics else None
    if not saved_here:  # nothing was left to train: still leave a checkpoint in this run folder
        path = save_checkpoint(state, run_dir / CHECKPOINT_NAME)
        run.checkpoint = str(path)
        yield CheckpointSaved(path=str(path), epoch=state.epoch)
    yield Finished(
        reason="completed",
        epochs_done=state.epoch,
        test_acc=last,
        seconds=round(state.elapsed, 3),
        checkpoint=run.checkpoint,
    )
