"""Training building blocks: optimizer, learning-rate schedule, one step, one epoch, evaluation.

The same split as nanoGPT's or torchvision's reference scripts: ``train_one_epoch`` and
``evaluate`` work on any model and ``engine.data.mnist.MnistSplit``; ``engine.training.loop`` drives
``train_step`` itself so that it can pause, stop and report between steps.
"""

from __future__ import annotations

import contextlib
import copy
import math
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.data.idx import MNIST_MEAN, MNIST_STD
from engine.data.mnist import MnistSplit, batch_spans, batches, normalize
from engine.errors import ConfigError, TrainingDiverged
from engine.models.train_graph import training_graph
from engine.training.accel import Precision, backward_step, optimizer_options
from engine.training.config import TrainConfig

EVAL_BATCH = 1000
# OneCycle shape: warm up over the first ONECYCLE_PCT of the steps from lr/DIV to lr, then
# anneal (cosine) to lr/(DIV*FINAL_DIV).
ONECYCLE_PCT = 0.25
ONECYCLE_DIV = 25.0
ONECYCLE_FINAL_DIV = 1e4
STEP_GAMMA = 0.7  # schedule "step": lr x 0.7 after every epoch (PyTorch's MNIST example)
Stat = float | tuple[float, ...]  # a mean or std: one number, or one per channel


def normalization(info: Any) -> tuple[Stat, Stat]:
    """(mean, std) of a ModelInfo as ``normalize`` takes them: plain numbers for one channel
    (the MNISTs' fast path), per-channel tuples for colour."""
    mean = tuple(float(m) for m in info.mean)
    std = tuple(float(s) for s in info.std)
    if len(mean) == 1 and len(std) == 1:
        return mean[0], std[0]
    return mean, std


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD (with momentum) or Adam over the model's parameters, as the config says."""
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


def schedule_at(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int, position: int
) -> Any:
    """A fresh schedule over ``config.epochs * steps_per_epoch`` steps, moved forward to step
    ``position`` (the epochs done times the steps per epoch now, plus the steps of the epoch
    under way): a resume with another batch size or subset ends its OneCycle or cosine at the
    final learning rate instead of stopping short of it or stepping past its end."""
    scheduler = make_scheduler(optimizer, config, steps_per_epoch)
    with warnings.catch_warnings():  # stepping without optimizer steps warns; it is intended
        warnings.simplefilter("ignore")
        for _ in range(min(position, config.epochs * steps_per_epoch)):
            advance(scheduler)
    return scheduler


def advance(scheduler: Any) -> None:
    """Step the schedule after a batch, but never past OneCycle's last value (index
    total_steps - 1, the final learning rate): one step further its learning rate rises
    again, and two raise "Tried to step ... times"."""
    total = getattr(scheduler, "total_steps", None)
    if total is not None and scheduler.last_epoch >= total - 1:
        return
    scheduler.step()


def check_batch_norm_batches(model: nn.Module, train_count: int, batch_size: int) -> None:
    """ConfigError when a batch of this run would hold one sample and the model has batch norm
    (which cannot train on one sample). ``batches`` folds a one-sample rest into the batch
    before it, so this is only batch size 1 or a training split of one digit."""
    smallest = min((end - start for start, end in batch_spans(train_count, batch_size)), default=0)
    if smallest == 1 and any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()
    ):
        raise ConfigError(
            "bad training option: this model has batch norm, which needs at least 2 digits per "
            "batch; use --batch-size 2 or more and a --train-subset of 2 or more"
        )


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    mean: Stat = MNIST_MEAN,
    std: Stat = MNIST_STD,
    memory_format: torch.memory_format = torch.contiguous_format,
    label_smoothing: float = 0.0,
    check_finite: bool = False,
    augment: nn.Module | None = None,
    precision: Precision | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on a uint8 batch; returns (loss, correct) as tensors on the device.

    With check_finite (cheap on the CPU) a NaN or infinite loss raises TrainingDiverged before
    the weights are touched. ``augment`` warps the normalised batch on its device; ``precision``
    (engine.training.accel) runs the forward pass under autocast and scales fp16 losses.
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
        advance(scheduler)
    return loss.detach(), (logits.detach().argmax(1) == labels).sum()


def warm_up(
    model: nn.Module,
    config: TrainConfig,
    split: MnistSplit,
    *,
    memory_format: torch.memory_format = torch.contiguous_format,
    augment: nn.Module | None = None,
    precision: Precision | None = None,
) -> None:
    """Steps on a throwaway copy of the model at the run's batch shapes (full and last partial).

    On CUDA the first step at a shape pays for cuDNN's benchmark search and lazy kernel loading
    (tenths of a second, against a few milliseconds per step later); doing it here keeps that
    out of the training time. The run itself is untouched: the copy has its own weights,
    optimizer and scaler, and the random number generators are restored afterwards.
    """
    shadow = copy.deepcopy(model).train()
    optimizer = make_optimizer(shadow, config)
    plan = copy.deepcopy(precision)  # a scaler of its own: the run's keeps its scale
    device = split.images.device
    sizes = {end - start for start, end in batch_spans(len(split), config.batch_size)}
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        for size in sorted(sizes - {0}):
            train_step(
                shadow, optimizer, None, split.images[:size], split.labels[:size],
                memory_format=memory_format, augment=augment, precision=plan,
            )  # fmt: skip
    if device.type == "cuda":
        torch.cuda.synchronize(device)


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
    mean: Stat = MNIST_MEAN,
    std: Stat = MNIST_STD,
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
    mean: Stat = MNIST_MEAN,
    std: Stat = MNIST_STD,
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
