"""Resuming a run: a checkpoint's config with overrides, and restoring its weights, optimizer,
schedule, counters and random state into a freshly built TrainState; or starting a new run from
a checkpoint's weights alone (fine-tuning: ``TrainConfig.weights``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import CheckpointError, ConfigError
from engine.models.weights import fit_state_dict, load_weights
from engine.training.checkpoint import load_checkpoint, set_rng_state
from engine.training.config import TrainConfig
from engine.training.events import counted
from engine.training.model_source import same_dataset
from engine.training.state import new_totals, one_line
from engine.training.steps import make_scheduler, schedule_at

if TYPE_CHECKING:
    from engine.training.state import TrainState


def resume_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """The config stored in a checkpoint (its threads, layout and precision included) with every
    non-None override applied, validated; its run_dir is dropped."""
    ckpt = load_checkpoint(path)
    # The run folder recorded in the file is never used: a resumed run writes next to the
    # checkpoint it continues (engine.training.run_folder.run_dir_for) or into --run-dir.
    base = replace(TrainConfig.from_dict(ckpt["config"]), run_dir=None)
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return replace(base, **given).validate()
    except TypeError as exc:
        raise ConfigError(f"unknown training option: {exc}") from None


def load_initial_weights(model: Any, config: TrainConfig) -> None:
    """Fine-tuning: a fresh run (new folder, new optimizer and schedule) starts from the
    weights in ``config.weights`` (a checkpoint or a state dict) instead of random ones.
    CheckpointError (one line) when the file is missing, unreadable or does not fit."""
    if config.weights:
        fix = f"pass a checkpoint or weights saved from {config.model}"
        load_weights(model, config.weights, repr(config.model), fix)


def check_same_model(ckpt: dict[str, Any], config: TrainConfig, resume: str | Path) -> None:
    """CheckpointError when the run asks for another model, dataset or input shape than the
    checkpoint was trained with (resuming continues the same run)."""
    saved = ckpt["config"]
    if saved.get("model", ckpt["model"]) != config.model:
        raise CheckpointError(
            f"{resume} holds model {ckpt['model']!r} but the run asks for "
            f"{config.model!r}; leave out --model to resume it"
        )
    if not same_dataset(saved.get("dataset"), config.dataset):
        raise CheckpointError(
            f"{resume} was trained on {saved.get('dataset') or 'mnist'} but the run asks for "
            f"{config.dataset}; leave out --dataset to resume it, or start a new run from its "
            "weights with --weights"
        )
    old_shape = saved.get("input_shape")
    if config.input_shape is not None and tuple(old_shape or ()) != tuple(config.input_shape):
        shown = "the dataset's" if old_shape is None else ",".join(map(str, old_shape))
        raise CheckpointError(
            f"{resume} was trained at input shape {shown} but the run asks for "
            f"{','.join(map(str, config.input_shape))}; leave out --input-shape to resume it"
        )


def check_work_left(ckpt: dict[str, Any], config: TrainConfig, resume: str | Path) -> None:
    """ConfigError when resuming ``ckpt`` with ``config`` would train nothing: it has already
    trained ``config.epochs`` epochs or more (refused before the run folder is touched)."""
    done = int(ckpt["epoch"])
    if done >= config.epochs:
        raise ConfigError(
            f"{resume} has already trained {counted(done, 'epoch')}; pass --epochs N with "
            f"N > {done} to train more"
        )


def resumable_checkpoint(config: TrainConfig, resume: str | Path | None) -> dict[str, Any] | None:
    """``resume``'s checkpoint (None without one), checked to leave epochs to train."""
    if resume is None:
        return None
    ckpt = load_checkpoint(resume)
    check_same_model(ckpt, config, resume)  # the more basic mistake is named first
    check_work_left(ckpt, config.validate(), resume)
    return ckpt


def restore_checkpoint(
    state: TrainState, ckpt: dict[str, Any], config: TrainConfig, resume: str | Path | None
) -> None:
    """Load weights, optimizer, schedule, counters and random state from a checkpoint."""
    old = TrainConfig.from_dict(ckpt["config"])
    same_optimizer = _load_weights(state, ckpt, old, config, resume)
    old_steps = int(ckpt.get("steps_per_epoch") or state.steps_per_epoch)
    _restore_counters(state, ckpt, old_steps)  # the schedule is placed where they say
    _restore_schedule(state, ckpt, old, config, same_optimizer, old_steps)
    for group in state.optimizer.param_groups:
        group["weight_decay"] = config.weight_decay
        if config.optimizer == "sgd":
            group["momentum"] = config.momentum
    set_rng_state(ckpt.get("rng_state"))


def _load_weights(
    state: TrainState,
    ckpt: dict[str, Any],
    old: TrainConfig,
    config: TrainConfig,
    resume: str | Path | None,
) -> bool:
    """The model's weights, and the optimizer's state when it is the same optimizer (True)."""
    fit_state_dict(  # names the first differing keys; accepts DataParallel's prefixes
        state.model,
        ckpt["model_state"],
        str(resume),
        repr(config.model),
        "the checkpoint is corrupt or from another version",
    )
    try:
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
    """The saved schedule if the plan is unchanged, else a new one moved to where the run is
    in the new plan (epochs done x steps per epoch now + the steps of the epoch under way)."""
    depends_on_total = config.schedule in ("onecycle", "cosine")
    same_plan = (
        old.schedule == config.schedule
        and old.lr == config.lr
        and same_optimizer
        and old_steps == state.steps_per_epoch  # another batch size or subset: replan
        and (not depends_on_total or old.epochs == config.epochs)
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
    position = state.epoch * state.steps_per_epoch + state.step_in_epoch
    state.scheduler = schedule_at(state.optimizer, config, state.steps_per_epoch, position)


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
