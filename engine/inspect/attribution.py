"""Why a network predicts what it does for one digit: saliency, Grad-CAM and occlusion maps.

Each takes the model input (1, C, H, W) and a target class (the predicted one when None) and
returns a float32 map over the input with the class it explains; the weights are not touched.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import SpecError
from engine.inspect.evaluation import eval_mode, model_device
from engine.inspect.layer_calls import (
    ExecutedCall,
    LayerKeyError,
    executed_calls,
    hooked_call,
    resolve_layer,
)


def layer_module(model: nn.Module, layer: str) -> nn.Module:
    """The module of layer key ``layer`` (any module, containers included; ``conv1#2`` names
    conv1); LayerKeyError naming close names when there is none."""
    return resolve_layer(model, layer)[2]


def conv_calls(model: nn.Module, x: torch.Tensor) -> list[ExecutedCall]:
    """The 2-D convolution calls of one forward pass of ``x[:1]``, in the order they ran."""
    return [c for c in executed_calls(model, x[:1]) if isinstance(c.module, nn.Conv2d)]


def conv_layers(model: nn.Module, x: torch.Tensor) -> list[str]:
    """Keys of the 2-D convolution calls (``conv1``, ``conv1#2``), in the order they ran."""
    return [call.key for call in conv_calls(model, x)]


def _no_convs() -> SpecError:
    return SpecError(
        "this model has no conv layers; Grad-CAM and activation maximisation "
        "need a CNN (e.g. --model convnet)"
    )


def require_conv(model: nn.Module, layer: str | None, x: torch.Tensor) -> str:
    """``layer`` if it is the key of a conv call; the last conv EXECUTED for ``x`` when None;
    else SpecError (LayerKeyError with close names for a key naming no module)."""
    convs = conv_layers(model, x)
    if not convs:
        raise _no_convs()
    if layer is None:
        return convs[-1]
    if layer not in convs:
        try:
            module = resolve_layer(model, layer)[2]
        except LayerKeyError:
            module = None
        kinds = {True: "did not run", False: "is not a conv layer", None: "is not a layer"}
        what = kinds[isinstance(module, nn.Conv2d) if module is not None else None]
        what += " of this model" if module is None else ""
        close = difflib.get_close_matches(layer, convs, n=5, cutoff=0.6)
        hint = f"close names: {', '.join(close)}" if close else f"use one of {_shown(convs)}"
        raise SpecError(f"layer {layer!r} {what}; {hint}")
    return layer


def _shown(keys: list[str], limit: int = 8) -> str:
    """The last ``limit`` keys (the deep ones people ask for), comma separated."""
    return ("..., " if len(keys) > limit else "") + ", ".join(keys[-limit:])


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
# Layers that may run between a conv and its activation without ending the block.
_BETWEEN = (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d, nn.Identity)


def rectified_key(calls: list[ExecutedCall], index: int) -> str:
    """The key of the call whose output is conv call ``calls[index]``'s rectified activation:
    the next activation call that runs after it with only norm layers or identities (an
    empty ``nn.Sequential`` shortcut) between (a residual block's add is not a module and is
    passed over: its ReLU is the block's output), else the
    conv call's own key. ``calls`` are one forward pass's leaf calls in the order they ran."""
    for call in calls[index + 1 :]:
        if isinstance(call.module, _ACTIVATIONS):
            return call.key
        empty = isinstance(call.module, nn.Sequential) and len(call.module) == 0  # identity
        if not isinstance(call.module, _BETWEEN) and not empty:
            break
    return calls[index].key


def gradcam_layers(model: nn.Module, x: torch.Tensor) -> list[str]:
    """The layer keys Grad-CAM offers, in the order they run: each conv call's rectified
    output (see :func:`rectified_key`); SpecError when the model has no conv layer."""
    calls = executed_calls(model, x[:1])
    offered = [
        rectified_key(calls, i) for i, c in enumerate(calls) if isinstance(c.module, nn.Conv2d)
    ]
    if not offered:
        raise _no_convs()
    return list(dict.fromkeys(offered))


def require_gradcam_layer(model: nn.Module, layer: str | None, x: torch.Tensor) -> str:
    """``layer`` if Grad-CAM can use it (the key of a conv call or of its rectified output);
    the last EXECUTED conv's rectified output when None; SpecError naming the choices."""
    calls = executed_calls(model, x[:1])
    convs = [c.key for c in calls if isinstance(c.module, nn.Conv2d)]
    offered = gradcam_layers(model, x)
    if layer is None:
        return offered[-1]
    if layer in offered or layer in convs:
        return layer
    choices = list(dict.fromkeys([*convs, *offered]))
    close = difflib.get_close_matches(layer, choices, n=5, cutoff=0.6)
    hint = f"close names: {', '.join(close)}" if close else f"use one of {_shown(choices)}"
    raise SpecError(f"layer {layer!r} is not a conv layer or its activation; {hint}")


def forward_capturing(
    model: nn.Module, layer: str, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits and the output of the call ``layer`` names, kept in the autograd graph.

    The layers after it get a copy of its output, so an in-place op further on (an
    ``nn.ReLU(inplace=True)``, the training graph's ``relu_``) cannot overwrite the captured
    values; gradients flow back through the copy unchanged. LayerKeyError if it never ran.
    """
    _, call, module = resolve_layer(model, layer)
    with hooked_call(module, layer, call, keep_graph=True) as capture:
        logits = model(x)
    return logits, capture.require("output")


def grad_cam(
    model: nn.Module, x: torch.Tensor, layer: str | None = None, target: int | None = None
) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Grad-CAM (Selvaraju et al. 2017) of layer key ``layer`` for one input.

    None takes the last conv EXECUTED in this forward pass (hooks on one pass, not the last
    declared), read at its rectified output: the activation call that follows it (past batch
    norm; :func:`rectified_key`), since the pre-ReLU output of a trained net is mostly
    negative and its map mostly empty; a conv call's own key reads it before the ReLU.
    Channel weights are the spatial means of
    d score / d activation; the map is the ReLU of the weighted sum of the channels (as
    captum's ``LayerGradCam``). Returns (cam at the layer's resolution, float32 >= 0; cam
    upsampled bilinearly to the input's H x W and scaled to [0, 1], all zero when the map is
    empty; target; layer key). SpecError for a layer whose output is not maps.
    """
    name = require_gradcam_layer(model, layer, x)
    device = model_device(model)
    with eval_mode(model), torch.enable_grad():
        inp = x[:1].detach().to(device).float().requires_grad_(True)
        logits, acts = forward_capturing(model, name, inp)
        if acts.dim() != 4:
            raise SpecError(
                f"layer {name!r} outputs {tuple(acts.shape[1:])}, not maps; Grad-CAM needs a "
                f"layer with (channels, height, width) output such as a conv layer"
            )
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
    baseline: float | Sequence[float] = 0.0,
    batch: int = 128,
) -> tuple[np.ndarray, int]:
    """How much the target's probability drops when a patch x patch square is blanked.

    Every position (``stride`` apart) is filled with ``baseline`` (the input value of a blank
    pixel: one number, or one per input channel for a colour input); each pixel gets the
    mean drop over the patches covering it. Positive = evidence
    for the target. Returns float32 (H, W) and the target.
    """
    device = model_device(model)
    inp = x[:1].detach().to(device).float()
    fill = torch.as_tensor(baseline, dtype=inp.dtype, device=device).reshape(-1, 1, 1)
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
                copies[i, :, r : r + patch, c : c + patch] = fill
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
