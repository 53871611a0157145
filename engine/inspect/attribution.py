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
        known = layer in dict(model.named_modules())
        what = "is not a conv layer" if known else "is not a layer of this model"
        raise SpecError(f"layer {layer!r} {what}; use one of {', '.join(convs)}")
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


# Layers that rectify (or otherwise squash) a conv's output; Grad-CAM reads their output.
_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Hardswish)
# Layers that may sit between a conv and its activation without ending the block.
_BETWEEN = (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d, nn.Identity)


def rectified_layer(model: nn.Module, conv: str) -> str:
    """The layer whose output is ``conv``'s rectified activation: the activation right after it
    (past any batch norm), or ``conv`` itself when no activation follows it directly."""
    layers = named_layers(model)
    names = [name for name, _ in layers]
    for name, module in layers[names.index(conv) + 1 :]:
        if isinstance(module, _ACTIVATIONS):
            return name
        if not isinstance(module, _BETWEEN):
            break
    return conv


def gradcam_layers(model: nn.Module) -> list[str]:
    """The layers Grad-CAM offers, in forward order: each conv's rectified output (see
    :func:`rectified_layer`); SpecError when the model has no conv layer."""
    convs = conv_layers(model)
    if not convs:
        require_conv(model, None)  # raises the "needs a CNN" error
    return [rectified_layer(model, conv) for conv in convs]


def require_gradcam_layer(model: nn.Module, layer: str | None) -> str:
    """``layer`` if Grad-CAM can use it (a conv layer or its activation); the last conv's
    rectified output when None; SpecError naming the choices otherwise."""
    offered = gradcam_layers(model)
    if layer is None:
        return offered[-1]
    if layer in offered or layer in conv_layers(model):
        return layer
    choices = ", ".join(dict.fromkeys([*conv_layers(model), *offered]))
    raise SpecError(f"layer {layer!r} is not a conv layer or its activation; use one of {choices}")


def forward_capturing(
    model: nn.Module, module: nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits and ``module``'s output, kept in the autograd graph.

    The layers after ``module`` get a copy of its output, so an in-place op further on (an
    ``nn.ReLU(inplace=True)``, the training graph's ``relu_``) cannot overwrite the captured
    values; gradients flow back through the copy unchanged. SpecError if ``module`` never ran.
    """
    captured: list[torch.Tensor] = []

    def hook(_m: nn.Module, _i: object, out: torch.Tensor) -> torch.Tensor:
        captured.append(out)
        return out.clone()

    handle = module.register_forward_hook(hook)
    try:
        logits = model(x)
    finally:
        handle.remove()
    if not captured:
        raise SpecError(f"layer {type(module).__name__} did not run in this model's forward pass")
    return logits, captured[0]


def grad_cam(
    model: nn.Module, x: torch.Tensor, layer: str | None = None, target: int | None = None
) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Grad-CAM of ``layer`` for one input; by default the last conv's rectified output.

    ``layer`` is a conv layer or the activation after one (:func:`gradcam_layers`); None
    takes the last conv's activation, since the pre-ReLU output of a trained net is mostly
    negative and its map mostly empty. Channel weights are the spatial means of d score /
    d activation; the map is the ReLU of the weighted sum of the channels. Returns (cam at the
    layer's resolution, float32 >= 0; cam upsampled bilinearly to the input's H x W and scaled
    to [0, 1], all zero when the map is empty; target; layer).
    """
    name = require_gradcam_layer(model, layer)
    module = layer_module(model, name)
    device = model_device(model)
    with eval_mode(model), torch.enable_grad():
        inp = x[:1].detach().to(device).float().requires_grad_(True)
        logits, acts = forward_capturing(model, module, inp)
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


def is_empty_cam(cam: np.ndarray) -> bool:
    """Whether a Grad-CAM map has no positive (finite) value: nothing to show."""
    values = np.asarray(cam, dtype=np.float64)
    return not bool(np.any(np.isfinite(values) & (values > 0)))


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
