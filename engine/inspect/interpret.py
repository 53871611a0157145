"""Where a trained network fails and why: confusion, saliency, Grad-CAM, occlusion, act-max."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import SpecError
from engine.models.registry import named_layers


@dataclass(frozen=True)
class EvalResult:
    """One pass over a labelled split: per-sample predictions, confidences and losses."""

    labels: np.ndarray  # int64 (N,)
    preds: np.ndarray  # int64 (N,)
    confidence: np.ndarray  # float32 (N,): softmax probability of the predicted class
    losses: np.ndarray  # float32 (N,): cross-entropy of each sample
    classes: int

    @property
    def loss(self) -> float:
        return float(self.losses.mean()) if len(self.losses) else float("nan")

    @property
    def accuracy(self) -> float:
        return float((self.preds == self.labels).mean()) if len(self.labels) else float("nan")

    @property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.labels, self.preds, self.classes)


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, classes: int = 10) -> np.ndarray:
    """int64 (classes, classes): rows are true classes, columns predicted classes."""
    labels = np.asarray(labels, dtype=np.int64)
    preds = np.asarray(preds, dtype=np.int64)
    flat = np.bincount(labels * classes + preds, minlength=classes * classes)
    return flat[: classes * classes].reshape(classes, classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """float64 (classes,): the diagonal over the row sums; NaN for a class with no samples."""
    totals = confusion.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)


def cell_indices(
    labels: np.ndarray, preds: np.ndarray, true: int | None = None, pred: int | None = None
) -> np.ndarray:
    """Indices of samples with this true class and prediction (None: any; both None: wrong)."""
    mask = np.ones(len(labels), dtype=bool)
    if true is None and pred is None:
        return np.flatnonzero(labels != preds)
    if true is not None:
        mask &= labels == true
    if pred is not None:
        mask &= preds == pred
    return np.flatnonzero(mask)


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """The model in eval mode; every module's train/eval flag restored afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def model_device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def evaluate_batches(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], classes: int = 10
) -> EvalResult:
    """Run prepared (inputs, labels) batches through the model in eval mode, no grad."""
    device = model_device(model)
    parts: dict[str, list[np.ndarray]] = {"labels": [], "preds": [], "conf": [], "loss": []}
    with eval_mode(model), torch.inference_mode():
        for x, y in batches:
            logits = model(x.to(device)).float()
            target = y.to(device)
            probs = torch.softmax(logits, dim=1)
            confidence, preds = probs.max(dim=1)
            losses = F.cross_entropy(logits, target, reduction="none")
            parts["labels"].append(y.cpu().numpy().astype(np.int64))
            parts["preds"].append(preds.cpu().numpy().astype(np.int64))
            parts["conf"].append(confidence.cpu().numpy().astype(np.float32))
            parts["loss"].append(losses.cpu().numpy().astype(np.float32))

    def joined(key: str, dtype: Any) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.empty(0, dtype=dtype)

    return EvalResult(
        joined("labels", np.int64),
        joined("preds", np.int64),
        joined("conf", np.float32),
        joined("loss", np.float32),
        classes,
    )


def _layer_module(model: nn.Module, layer: str) -> nn.Module:
    layers = dict(named_layers(model))
    if layer not in layers:
        raise SpecError(f"unknown layer {layer!r}; layers: {', '.join(layers) or 'none'}")
    return layers[layer]


def conv_layers(model: nn.Module) -> list[str]:
    """Names of the 2-D convolution layers, in forward order."""
    return [name for name, module in named_layers(model) if isinstance(module, nn.Conv2d)]


def require_conv(model: nn.Module, layer: str | None) -> str:
    """``layer`` if it is a conv layer, the last conv layer when None; else SpecError."""
    convs = conv_layers(model)
    if not convs:
        raise SpecError(
            "this model has no conv layers; Grad-CAM and activation maximisation "
            "need a CNN (e.g. --model convnet)"
        )
    if layer is None:
        return convs[-1]
    if layer not in convs:
        raise SpecError(f"layer {layer!r} is not a conv layer; use one of {', '.join(convs)}")
    return layer


def _target(logits: torch.Tensor, target: int | None) -> int:
    classes = logits.shape[1]
    if target is None:
        return int(logits[0].argmax())
    if not 0 <= int(target) < classes:
        raise SpecError(f"class {target} is out of range; use 0 to {classes - 1}")
    return int(target)


def saliency(
    model: nn.Module, x: torch.Tensor, target: int | None = None
) -> tuple[np.ndarray, int]:
    """|d score_target / d input| (max over input channels) as float32 (H, W), and the target.

    The score is the target class's logit (before softmax), the prediction when None.
    """
    device = model_device(model)
    with eval_mode(model), torch.enable_grad():
        inp = x[:1].detach().to(device).float().requires_grad_(True)
        logits = model(inp)
        chosen = _target(logits, target)
        (grad,) = torch.autograd.grad(logits[0, chosen], inp)
    values = grad[0].abs().amax(dim=0).cpu().numpy().astype(np.float32)
    return values, chosen


def _forward_capturing(
    model: nn.Module, module: nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits and ``module``'s output (kept in the autograd graph)."""
    captured: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out))
    try:
        logits = model(x)
    finally:
        handle.remove()
    return logits, captured[0]


def grad_cam(
    model: nn.Module, x: torch.Tensor, layer: str | None = None, target: int | None = None
) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Grad-CAM of ``layer`` (the last conv layer when None) for one input.

    Channel weights are the spatial means of d score / d activation; the map is the ReLU of
    the weighted sum of the channels. Returns (cam at the layer's resolution, float32 >= 0;
    cam upsampled bilinearly to the input's H x W and scaled to [0, 1]; target; layer).
    """
    name = require_conv(model, layer)
    module = _layer_module(model, name)
    device = model_device(model)
    with eval_mode(model), torch.enable_grad():
        inp = x[:1].detach().to(device).float().requires_grad_(True)
        logits, acts = _forward_capturing(model, module, inp)
        chosen = _target(logits, target)
        (grads,) = torch.autograd.grad(logits[0, chosen], acts)
    weights = grads[0].mean(dim=(1, 2))
    cam = torch.relu((weights[:, None, None] * acts[0].detach()).sum(dim=0))
    upsampled = F.interpolate(
        cam[None, None], size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False
    )[0, 0].clamp(min=0)
    peak = float(upsampled.max())
    scaled = upsampled / peak if peak > 0 else upsampled
    return (
        cam.cpu().numpy().astype(np.float32),
        scaled.cpu().numpy().astype(np.float32),
        chosen,
        name,
    )


def occlusion(
    model: nn.Module,
    x: torch.Tensor,
    target: int | None = None,
    patch: int = 6,
    stride: int = 2,
    baseline: float = 0.0,
    batch: int = 128,
) -> tuple[np.ndarray, int]:
    """How much the target's probability drops when a patch x patch square is blanked.

    Every position (``stride`` apart) is filled with ``baseline`` (the input value of a blank
    pixel); each pixel gets the mean drop over the patches covering it. Positive = evidence
    for the target. Returns float32 (H, W) and the target.
    """
    device = model_device(model)
    inp = x[:1].detach().to(device).float()
    height, width = inp.shape[-2:]
    rows = list(range(0, max(height - patch, 0) + 1, stride))
    cols = list(range(0, max(width - patch, 0) + 1, stride))
    positions = [(r, c) for r in rows for c in cols]
    with eval_mode(model), torch.inference_mode():
        base_probs = torch.softmax(model(inp).float(), dim=1)
        chosen = _target(base_probs, target)
        drops = []
        for start in range(0, len(positions), batch):
            chunk = positions[start : start + batch]
            copies = inp.repeat(len(chunk), 1, 1, 1)
            for i, (r, c) in enumerate(chunk):
                copies[i, :, r : r + patch, c : c + patch] = baseline
            probs = torch.softmax(model(copies).float(), dim=1)[:, chosen]
            drops.append(base_probs[0, chosen] - probs)
    return _spread(torch.cat(drops).cpu().numpy(), positions, patch, (height, width)), chosen


def _spread(
    values: np.ndarray, positions: list[tuple[int, int]], patch: int, shape: tuple[int, int]
) -> np.ndarray:
    """Average each patch's value over the pixels it covers."""
    total = np.zeros(shape, dtype=np.float64)
    count = np.zeros(shape, dtype=np.float64)
    for value, (r, c) in zip(values, positions, strict=True):
        total[r : r + patch, c : c + patch] += value
        count[r : r + patch, c : c + patch] += 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0).astype(np.float32)


class _Reached(Exception):
    """Raised by a hook to stop the forward pass once the wanted layer has run."""


def channel_activation(
    model: nn.Module, module: nn.Module, channel: int, x: torch.Tensor
) -> torch.Tensor:
    """Mean activation of ``channel`` of ``module``'s output; later layers are not run."""
    captured: list[torch.Tensor] = []

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
        captured.append(out)
        raise _Reached

    handle = module.register_forward_hook(hook)
    try:
        model(x)
    except _Reached:
        pass
    finally:
        handle.remove()
    return captured[0][:, channel].mean()


@dataclass(frozen=True)
class ActMaxResult:
    image: np.ndarray  # float32 (C, H, W), the optimised input in the model's input units
    start: float  # the channel's mean activation for the starting noise
    end: float  # ... and for the optimised image
    layer: str
    channel: int


def activation_maximisation(
    model: nn.Module,
    layer: str | None,
    channel: int,
    input_shape: tuple[int, int, int],
    steps: int = 60,
    lr: float = 0.1,
    l2: float = 1e-3,
    seed: int = 0,
    bounds: tuple[float, float] | None = None,
) -> ActMaxResult:
    """Optimise an input from small noise to excite one conv channel (mean activation).

    Adam ascends the channel's mean activation minus ``l2`` times the input's mean square
    (the small regulariser that keeps the picture from blowing up); ``bounds`` clamps pixels
    to the valid input range after every step. The model's weights are not touched.
    """
    name = require_conv(model, layer)
    module = _layer_module(model, name)
    if not 0 <= channel < module.out_channels:
        raise SpecError(
            f"channel {channel} is out of range for {name}; use 0 to {module.out_channels - 1}"
        )
    generator = torch.Generator().manual_seed(seed)
    start = 0.1 * torch.randn((1, *input_shape), generator=generator)
    image = start.to(model_device(model)).requires_grad_(True)
    optimizer = torch.optim.Adam([image], lr=lr)
    with eval_mode(model), torch.enable_grad():
        first = float(channel_activation(model, module, channel, image).detach())
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            objective = channel_activation(model, module, channel, image)
            loss = -objective + l2 * image.pow(2).mean()
            (grad,) = torch.autograd.grad(loss, image)  # no grads land on the weights
            image.grad = grad
            optimizer.step()
            if bounds is not None:
                with torch.no_grad():
                    image.clamp_(*bounds)
        last = float(channel_activation(model, module, channel, image).detach())
    picture = image.detach()[0].cpu().numpy().astype(np.float32)
    return ActMaxResult(picture, first, last, name, channel)


def batches_of(
    count: int, batch: int, prepare: Callable[[int, int], torch.Tensor], labels: torch.Tensor
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(inputs, labels) batches from ``prepare(start, end)`` over ``count`` samples."""
    for start in range(0, count, batch):
        end = min(start + batch, count)
        yield prepare(start, end), labels[start:end]
