"""A training run's state: building it (device, data, model, optimizer), resuming, its folder.

``build_state(config, resume)`` checks the request, loads the MNIST splits onto the device,
builds the seeded model and its training graph (engine.models.train_graph), the optimizer, the
schedule, the augmentation and the precision (engine.training.accel), restores a checkpoint when
resuming, and creates the run directory. ``engine.training.loop`` runs the loop over the result.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.data.augment import make_augment
from engine.data.mnist import MnistSplit, load_split
from engine.errors import CheckpointError, ConfigError
from engine.models.registry import ModelInfo, build_model
from engine.models.train_graph import training_graph
from engine.training.accel import Precision, make_precision, prepare_device, warms_up
from engine.training.checkpoint import load_checkpoint, resolve_checkpoint_path, set_rng_state
from engine.training.config import TrainConfig
from engine.training.device import choose_cpu_settings, resolve_device
from engine.training.steps import make_optimizer, make_scheduler, warm_up
from engine.training.switches import apply_verdicts

METRICS_NAME = "metrics.jsonl"
CONFIG_NAME = "config.json"


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
    # engine.models.train_graph's rewrite of model (shared weights), which the steps run; None: model
    train_model: nn.Module | None = None

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


def resume_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """The config stored in a checkpoint with every non-None override applied, validated."""
    ckpt = load_checkpoint(path)
    base = TrainConfig.from_dict(ckpt["config"])
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return replace(base, **given).validate()
    except TypeError as exc:
        raise ConfigError(f"unknown training option: {exc}") from None


# ----------------------------------------------------------------------------- the run folder


def run_dir_for(config: TrainConfig, resume: str | Path | None) -> Path:
    """--run-dir, else the resumed checkpoint's folder, else a new runs/<time>-<model>."""
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


def write_text(path: Path, text: str) -> None:
    """Write a run-folder file; ConfigError naming it if the folder is not writable."""
    try:
        path.write_text(text)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable --run-dir"
        ) from None


def write_run_files(state: TrainState) -> None:
    """config.json and metrics.jsonl (the metrics so far) in the run directory."""
    assert state.run_dir is not None
    write_text(state.run_dir / CONFIG_NAME, json.dumps(state.config.to_dict(), indent=2) + "\n")
    metrics = "".join(json.dumps(m) + "\n" for m in state.metrics)
    write_text(state.run_dir / METRICS_NAME, metrics)


def append_metrics(run_dir: Path, record: dict[str, Any]) -> None:
    """Add one epoch's record to metrics.jsonl."""
    try:
        with open(run_dir / METRICS_NAME, "a") as handle:
            handle.write(json.dumps(record) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {run_dir / METRICS_NAME}: {exc.strerror or exc}; "
            "choose a writable --run-dir"
        ) from None


def epoch_record(state: TrainState, test_loss: float, test_acc: float) -> dict[str, Any]:
    """The finished epoch's line in metrics.jsonl (before state.epoch counts it)."""
    totals = state.epoch_totals
    seen = max(int(totals["seen"]), 1)
    return {
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


# ----------------------------------------------------------------------------- building


def _check_request(
    config: TrainConfig, ckpt: dict[str, Any] | None, resume: str | Path | None
) -> None:
    """Fail early (before loading data) on a checkpoint of another model or empty subsets."""
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


def _mnist_model(name: str) -> tuple[nn.Module, ModelInfo]:
    """The model (seeded by the caller), or ConfigError if it does not take MNIST digits."""
    if name.strip() == "alexnet":  # known without building its 61 M parameters
        raise ConfigError(
            "model 'alexnet' takes 3x224x224 images, not MNIST digits; it is for "
            "inspection only: train an MNIST model or a spec"
        )
    model, info = build_model(name)
    if tuple(info.input_shape) != (1, 28, 28):
        raise ConfigError(
            f"model {name!r} takes {info.input_shape} inputs, not MNIST "
            "digits; it is for inspection only: train an MNIST model or a spec"
        )
    return model, info


def _threads_and_layout(device: torch.device, config: TrainConfig) -> tuple[int, bool]:
    """(threads, channels_last): measured or chosen on the CPU, as asked on a GPU."""
    if device.type == "cpu":
        settings = choose_cpu_settings(
            config.model, config.batch_size, config.threads, config.channels_last
        )
        # Measuring builds models of its own; the seeded model the caller built is the one
        # trained.
        return settings.threads, settings.channels_last
    if config.threads:
        torch.set_num_threads(config.threads)
    channels_last = True if config.channels_last is None else config.channels_last
    return torch.get_num_threads(), channels_last


def build_state(config: TrainConfig, resume: str | Path | None) -> TrainState:
    """A run ready for its first (or, resuming, next) step, with its run directory made."""
    config = config.validate()
    ckpt = load_checkpoint(resume) if resume is not None else None
    _check_request(config, ckpt, resume)
    augment = make_augment(config.augment)  # an unknown name fails before data is loaded
    device = resolve_device(config.device)
    prepare_device(device)
    train = load_split("train", config.data_dir).subset(config.train_subset)
    test = load_split("test", config.data_dir).subset(config.test_subset)
    torch.manual_seed(config.seed)
    model, info = _mnist_model(config.model)
    threads, channels_last = _threads_and_layout(device, config)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=memory_format)
    train_model, precision = training_graph(model), make_precision(device)
    if device.type == "cpu":  # bf16 / torch.compile only where the bench showed a payoff
        train_model, precision = apply_verdicts(train_model, precision, threads)
    state = TrainState(
        model=model,
        info=info,
        optimizer=make_optimizer(model, config),
        scheduler=None,
        config=replace(config, threads=threads, channels_last=channels_last),
        device=device,
        steps_per_epoch=math.ceil(len(train) / config.batch_size),
        epoch_totals=new_totals(),
        memory_format=memory_format,
        train=train.to(device),
        test=test.to(device),
        precision=precision,
        train_model=train_model,
    )
    if augment is not None:  # uncovered pixels get the normalised value of black
        augment.background = -float(info.mean[0]) / float(info.std[0])
        state.augment = augment.to(device)
    if ckpt is None:
        state.scheduler = make_scheduler(state.optimizer, config, state.steps_per_epoch)
    else:
        restore_checkpoint(state, ckpt, config, resume)
    state.run_dir = run_dir_for(config, resume)
    if warms_up(device):
        warm_up_state(state)
    return state


def warm_up_state(state: TrainState) -> None:
    """engine.training.steps.warm_up with this run's model, data, layout, augmentation and precision."""
    assert state.train is not None
    warm_up(
        state.train_model or state.model,
        state.config,
        state.train,
        memory_format=state.memory_format,
        augment=state.augment,
        precision=state.precision,
    )


# ----------------------------------------------------------------------------- resuming


def restore_checkpoint(
    state: TrainState, ckpt: dict[str, Any], config: TrainConfig, resume: str | Path | None
) -> None:
    """Load weights, optimizer, schedule, counters and random state from a checkpoint."""
    old = TrainConfig.from_dict(ckpt["config"])
    same_optimizer = _load_weights(state, ckpt, old, config, resume)
    old_steps = int(ckpt.get("steps_per_epoch") or state.steps_per_epoch)
    _restore_schedule(state, ckpt, old, config, same_optimizer, old_steps)
    for group in state.optimizer.param_groups:
        group["weight_decay"] = config.weight_decay
        if config.optimizer == "sgd":
            group["momentum"] = config.momentum
    _restore_counters(state, ckpt, old_steps)
    set_rng_state(ckpt.get("rng_state"))


def _load_weights(
    state: TrainState,
    ckpt: dict[str, Any],
    old: TrainConfig,
    config: TrainConfig,
    resume: str | Path | None,
) -> bool:
    """The model's weights, and the optimizer's state when it is the same optimizer (True)."""
    try:
        state.model.load_state_dict(ckpt["model_state"])
        same_optimizer = old.optimizer == config.optimizer and ckpt.get("optimizer_state")
        if same_optimizer:
            state.optimizer.load_state_dict(ckpt["optimizer_state"])
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(
            f"{resume} does not fit model {config.model!r} "
            f"({one_line(str(exc), 100)}); the checkpoint is corrupt or from "
            "another version"
        ) from None
    return bool(same_optimizer)


def _restore_schedule(
    state: TrainState,
    ckpt: dict[str, Any],
    old: TrainConfig,
    config: TrainConfig,
    same_optimizer: bool,
    old_steps: int,
) -> None:
    """The saved schedule if the plan is unchanged, else a new one moved to global_step."""
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
        return
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


def _restore_counters(state: TrainState, ckpt: dict[str, Any], old_steps: int) -> None:
    """Epoch, step, the unfinished epoch's totals, training seconds and metrics so far."""
    state.epoch = int(ckpt["epoch"])
    state.global_step = int(ckpt["global_step"])
    state.step_in_epoch = int(ckpt.get("step_in_epoch", 0))
    if state.step_in_epoch > state.steps_per_epoch or old_steps != state.steps_per_epoch:
        state.step_in_epoch = 0  # another batch size or subset: start the epoch afresh
    totals = ckpt.get("epoch_totals") or {}
    state.epoch_totals = {**new_totals(), **totals} if state.step_in_epoch else new_totals()
    state.elapsed = float(ckpt.get("elapsed", 0.0))
    state.metrics = [dict(m) for m in ckpt.get("metrics", [])]
