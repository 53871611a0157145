"""Building a training run's TrainState: device, data, model, optimizer, schedule, precision.

``build_state(config, resume)`` checks the request, loads the dataset's splits (the bundled
MNIST, Fashion-MNIST, an image folder or CIFAR-10: engine.data.datasets) onto the device,
builds the seeded model for its input shape and classes and its training graph
(engine.models.train_graph), the optimizer, the schedule, the augmentation and the precision
(engine.training.accel), restores a checkpoint when resuming (engine.training.resume) and
creates the run directory (engine.training.run_folder). ``engine.training.loop`` runs the loop
over the result.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.data.mnist import MnistSplit, batch_spans
from engine.errors import ConfigError
from engine.models.registry import ModelInfo, build_model, count_params
from engine.models.train_graph import training_graph
from engine.training.accel import (
    make_precision,
    named_precision,
    precision_name,
    prepare_device,
    warms_up,
)
from engine.training.augment import black_background, make_augment
from engine.training.checkpoint import load_checkpoint
from engine.training.config import TrainConfig
from engine.training.dataset_model import info_for_dataset
from engine.training.device import choose_cpu_settings, resolve_device
from engine.training.device_label import device_label
from engine.training.events import Started
from engine.training.model_source import model_source_for
from engine.training.resume import check_same_model, load_initial_weights, restore_checkpoint
from engine.training.run_folder import run_dir_for
from engine.training.state import TrainState, new_totals
from engine.training.steps import (
    check_batch_norm_batches,
    make_optimizer,
    make_scheduler,
    warm_up,
)
from engine.training.switches import verdicts


def _trainable_model(
    config: TrainConfig, dataset: Any, ckpt: dict[str, Any] | None = None
) -> tuple[nn.Module, ModelInfo]:
    """The model (seeded by the caller) built for the dataset's input shape and classes, its
    info carrying the dataset's name, classes and per-channel mean/std; ConfigError (one line)
    for a model that is for inspection only or cannot take these inputs."""
    if config.model.strip() == "alexnet":  # known without building its 61 M parameters
        raise ConfigError(
            "model 'alexnet' is for inspection only (ImageNet's 1000 classes at 3x224x224); "
            "train a registry model, a spec or your own model (--model FILE.py:Name)"
        )
    model, info = build_model(
        model_source_for(config, ckpt), input_shape=dataset.input_shape, classes=dataset.classes
    )
    if not info.trainable:
        raise ConfigError(f"model {config.model!r} is for inspection only; train another model")
    return model, info_for_dataset(info, dataset, config.dataset)


def load_run_dataset(config: TrainConfig) -> Any:
    """The run's dataset (engine.data.datasets.Dataset): the bundled MNIST as fast as ever, a
    folder or CIFAR-10 read from disk; DataError (one line) when it cannot be read."""
    from engine.data.datasets import load_dataset

    return load_dataset(config.dataset, config.input_shape, config.data_dir)


def subset_of(split: MnistSplit, count: int | None, dataset: str) -> MnistSplit:
    """``count`` samples of a split: the first ones for the MNISTs and CIFAR-10 (their files
    mix the classes), a fixed random draw (seed 0) for an image folder, whose files come
    class by class (the first ones would be one class)."""
    if count is None or count >= len(split) or not dataset.startswith("folder"):
        return split.subset(count)
    generator = torch.Generator().manual_seed(0)
    chosen = torch.randperm(len(split), generator=generator)[:count].sort().values
    return MnistSplit(split.images[chosen], split.labels[chosen])


def _threads_and_layout(
    device: torch.device, config: TrainConfig, train_count: int, model_name: str, info: ModelInfo
) -> tuple[int, bool]:
    """(threads, channels_last): measured or chosen on the CPU, as asked on a GPU."""
    if device.type == "cpu":
        # Measured at the largest batch the run really takes (never more than its split).
        batch = min(config.batch_size, max(train_count, 1))
        settings = choose_cpu_settings(
            model_name,
            batch,
            config.threads,
            config.channels_last,
            input_shape=info.input_shape,
            classes=info.classes,
        )
        # Measuring builds models of its own; the seeded model the caller built is the one
        # trained.
        return settings.threads, settings.channels_last
    if config.threads:
        torch.set_num_threads(config.threads)
    channels_last = True if config.channels_last is None else config.channels_last
    return torch.get_num_threads(), channels_last


def _precision_plan(device: torch.device, config: TrainConfig, threads: int) -> tuple[Any, bool]:
    """(Precision, compiled): as the config records them, else chosen: autocast on CUDA, and on
    the CPU bf16 / torch.compile only where the bench's verdict for this machine showed a
    payoff."""
    chosen = config.precision is None or config.compile is None
    found = verdicts(threads) if device.type == "cpu" and chosen else {}
    if config.precision is not None:
        precision = named_precision(config.precision, device)
    elif found.get("bf16"):
        precision = named_precision("bf16", device)
    else:
        precision = make_precision(device)
    compiled = config.compile if config.compile is not None else bool(found.get("compile"))
    return precision, compiled


def build_state(
    config: TrainConfig,
    resume: str | Path | None,
    run_dir: Path | None = None,
    ckpt: dict[str, Any] | None = None,
) -> TrainState:
    """A run ready for its first (or, resuming, next) step, writing into ``run_dir`` (default
    ``run_dir_for(config, resume)``; made by the caller). Its config records the threads,
    layout, precision and compilation chosen, so config.json and the checkpoint hold them.
    ``ckpt``: ``resume``'s checkpoint when the caller has already loaded it."""
    config = config.validate()
    if resume is not None and ckpt is None:
        ckpt = load_checkpoint(resume)
    if ckpt is not None:
        check_same_model(ckpt, config, resume)  # before loading data
    augment = make_augment(config.augment)  # an unknown name fails before data is loaded
    device = resolve_device(config.device)
    prepare_device(device)
    dataset = load_run_dataset(config)
    train = subset_of(dataset.train, config.train_subset, config.dataset)
    test = subset_of(dataset.test, config.test_subset, config.dataset)
    torch.manual_seed(config.seed)
    model, info = _trainable_model(config, dataset, ckpt)
    if ckpt is None:  # fine-tuning: a new run from saved weights
        load_initial_weights(model, config)
    check_batch_norm_batches(model, len(train), config.batch_size)
    threads, channels_last = _threads_and_layout(
        device, config, len(train), model_source_for(config, ckpt), info
    )
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=memory_format)
    precision, compiled = _precision_plan(device, config, threads)
    train_model = training_graph(model)
    if compiled:
        train_model = torch.compile(train_model)
    recorded = replace(
        config,
        threads=threads,
        channels_last=channels_last,
        precision=precision_name(precision),
        compile=compiled,
    )
    state = TrainState(
        model=model,
        info=info,
        optimizer=make_optimizer(model, config),
        scheduler=None,
        config=recorded,
        device=device,
        steps_per_epoch=len(batch_spans(len(train), config.batch_size)),
        epoch_totals=new_totals(),
        memory_format=memory_format,
        train=train.to(device),
        test=test.to(device),
        precision=precision,
        train_model=train_model,
        dataset=dataset,
    )
    if augment is not None:  # uncovered pixels get the normalised value of black
        augment.background = black_background(info.mean, info.std, device)
        state.augment = augment.to(device)
    if ckpt is None:
        state.scheduler = make_scheduler(state.optimizer, config, state.steps_per_epoch)
    else:
        restore_checkpoint(state, ckpt, config, resume)
    state.run_dir = run_dir if run_dir is not None else run_dir_for(config, resume)
    if warms_up(device):
        warm_up_state(state)
    return state


def warm_up_state(state: TrainState) -> None:
    """engine.training.steps.warm_up with this run's model, data, layout, augmentation and
    precision."""
    assert state.train is not None
    warm_up(
        state.train_model or state.model,
        state.config,
        state.train,
        memory_format=state.memory_format,
        augment=state.augment,
        precision=state.precision,
    )


def started_event(state: TrainState) -> Started:
    """The Started event announcing a built run: model, device, size, config, precision."""
    cfg = state.config
    return Started(
        run_dir=str(state.run_dir),
        model=cfg.model,
        device=str(state.device),
        epochs=cfg.epochs,
        steps_per_epoch=state.steps_per_epoch,
        start_epoch=state.epoch,
        params=count_params(state.model),
        config=cfg.to_dict(),
        precision=state.precision.describe(),
        device_name=device_label(state.device),
    )
