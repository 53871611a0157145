"""Why a network predicts what it does for one digit: saliency, Grad-CAM and occlusion maps.

Each takes the model input (1, C, H, W) and a target class (the predicted one when None) and
returns a float32 map over the input with the class it explains; the weights are not touched.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import SpecError
from engine.inspect.evaluation import eval_mode, model_device
from engine.models.registry import named_layers


def layer_module(model: nn.Module, layer: str) -> nn.Module:
    """The named layer; SpecError listing the layers when there is none."""
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
    module = layer_module(model, name)
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
