"""The facts behind each layer type's one-line story (engine.inspect.layer_story).

Each ``*_facts`` function takes one sample's input (``before``) and output (``after``) as CPU
float32 tensors without the batch dimension and returns a dict of plain values and numpy
arrays: ``kind``, ``line`` (one sentence on what the layer computes here), ``channel`` (the map
worth looking at: that of the strongest output) and the kind's own numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

ACTIVATION_WORDS = {
    "ReLU": "sets negative values to 0",
    "ReLU6": "sets negative values to 0 and caps the rest at 6",
    "LeakyReLU": "keeps positive values and multiplies negative ones by a small slope",
    "ELU": "keeps positive values and bends negative ones towards -1",
    "GELU": "keeps large positive values and damps small and negative ones",
    "SiLU": "multiplies each value by its sigmoid (x·σ(x))",
    "Sigmoid": "squashes every value into (0, 1)",
    "Tanh": "squashes every value into (-1, 1)",
    "Hardtanh": "clips every value to [-1, 1]",
    "Softplus": "smooths ReLU: log(1 + eˣ) of every value",
}


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def strongest_channel(after: torch.Tensor) -> int:
    """The channel holding the largest output value (0 for a vector)."""
    if after.dim() < 2:
        return 0
    return int(after.reshape(after.shape[0], -1).max(dim=1).values.argmax())


def activation_facts(module: nn.Module, before: torch.Tensor, after: torch.Tensor) -> dict:
    """``negatives`` (inputs below 0), ``zeroed`` (non-zero inputs whose output is 0),
    ``total`` values and ``fraction`` zeroed."""
    kind = type(module).__name__
    total = int(before.numel())
    zeroed = int(((after == 0) & (before != 0)).sum())
    negatives = int((before < 0).sum())
    words = ACTIVATION_WORDS.get(kind, "applies one function to every value")
    line = f"{kind} {words}"
    if zeroed:
        line += f": {zeroed:,} of {total:,} values ({zeroed / max(total, 1):.1%}) zeroed"
    return {
        "kind": "activation",
        "line": line,
        "channel": strongest_channel(after),
        "negatives": negatives,
        "zeroed": zeroed,
        "total": total,
        "fraction": zeroed / max(total, 1),
    }


def _pool_axes(module: nn.Module, size: tuple[int, int], out: tuple[int, int], i: int, j: int):
    """The input rows and columns (lists; outside the input: padding) of output cell (i, j)."""
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):

        def span(index: int, n_in: int, n_out: int) -> list[int]:
            start = (index * n_in) // n_out
            return list(range(start, -((-(index + 1) * n_in) // n_out)))

        return span(i, size[0], out[0]), span(j, size[1], out[1])
    kh, kw = _pair(module.kernel_size)
    sh, sw = _pair(module.stride or module.kernel_size)
    ph, pw = _pair(module.padding)
    dh, dw = _pair(getattr(module, "dilation", 1))
    rows = [i * sh - ph + dh * a for a in range(kh)]
    cols = [j * sw - pw + dw * b for b in range(kw)]
    return rows, cols


def pool_window(
    module: nn.Module, before: torch.Tensor, after: torch.Tensor, cell: tuple[int, int, int]
) -> dict:
    """Output cell ``cell`` (c, i, j) of a pooling layer: ``window`` (its input values; NaN
    on padding), ``rows``/``cols`` (their input indices), ``kept`` (the max, or the mean)
    and for max pooling ``kept_at`` (row, col within the window)."""
    c, i, j = cell
    height, width = int(before.shape[-2]), int(before.shape[-1])
    rows, cols = _pool_axes(module, (height, width), tuple(after.shape[-2:]), i, j)
    window = np.full((len(rows), len(cols)), np.nan, dtype=np.float64)
    for a, r in enumerate(rows):
        for b, col in enumerate(cols):
            if 0 <= r < height and 0 <= col < width:
                window[a, b] = float(before[c, r, col])
    facts: dict[str, Any] = {"cell": (c, i, j), "rows": rows, "cols": cols, "window": window}
    if isinstance(module, (nn.MaxPool2d, nn.AdaptiveMaxPool2d)):
        at = np.unravel_index(int(np.nanargmax(window)), window.shape)
        facts.update(kept=float(window[at]), kept_at=(int(at[0]), int(at[1])), how="max")
        return facts
    valid = np.nan_to_num(window, nan=0.0)
    divisor = window.size
    if getattr(module, "divisor_override", None):
        divisor = int(module.divisor_override)
    elif not getattr(module, "count_include_pad", False):
        divisor = int(np.isfinite(window).sum())
    facts.update(kept=float(valid.sum() / max(divisor, 1)), how="mean")
    return facts


def pool_facts(module: nn.Module, before: torch.Tensor, after: torch.Tensor) -> dict:
    """Kernel size and stride, and the window of the strongest output cell (pool_window)."""
    c, i, j = (int(v) for v in np.unravel_index(int(after.argmax()), tuple(after.shape)))
    facts = pool_window(module, before, after, (c, i, j))
    kind = type(module).__name__
    adaptive = kind.startswith("Adaptive")
    size = "x".join(str(v) for v in _pair(getattr(module, "kernel_size", 1)))
    stride = "x".join(str(v) for v in _pair(getattr(module, "stride", None) or 1))
    how = "max" if facts["how"] == "max" else "mean"
    where = "window" if adaptive else f"{size} window (stride {stride})"
    line = (
        f"{kind} keeps the {how} of each {where}: "
        f"{before.shape[-2]}x{before.shape[-1]} → {after.shape[-2]}x{after.shape[-1]}"
    )
    facts.update(kind="pool", line=line, channel=c, output=float(after[c, i, j]))
    return facts


def batchnorm_facts(
    module: nn.modules.batchnorm._BatchNorm, inputs: torch.Tensor, outputs: torch.Tensor
) -> dict:
    """Per channel: ``running_mean``/``running_var`` (used in eval mode), ``batch_mean``/
    ``batch_var`` (of the ``batch_size`` samples of ``inputs``, biased as training normalises
    with), ``gamma``/``beta`` and ``eps``. ``outputs`` (the layer's, computed in eval mode)
    pick the channel; the module itself is never called (in train mode it would update its
    running statistics)."""
    channels = int(inputs.shape[1])
    dims = [d for d in range(inputs.dim()) if d != 1]
    ones, zeros = np.ones(channels, np.float32), np.zeros(channels, np.float32)

    def array(tensor: torch.Tensor | None, default: np.ndarray) -> np.ndarray:
        if tensor is None:
            return default
        return tensor.detach().to("cpu", torch.float32).numpy().copy()

    line = (
        f"{type(module).__name__}: per channel (x − mean)/√(var + ε)·γ + β; in eval mode "
        "the running statistics are used (in training: the batch's own)"
    )
    return {
        "kind": "batchnorm",
        "line": line,
        "channel": strongest_channel(outputs[0]),
        "running_mean": array(module.running_mean, zeros),
        "running_var": array(module.running_var, ones),
        "batch_mean": inputs.mean(dim=dims).numpy().copy(),
        "batch_var": inputs.var(dim=dims, unbiased=False).numpy().copy(),
        "gamma": array(module.weight, ones),
        "beta": array(module.bias, zeros),
        "eps": float(module.eps),
        "batch_size": int(inputs.shape[0]),
    }


def flatten_facts(before: torch.Tensor, after: torch.Tensor) -> dict:
    """``cell`` (the input's strongest cell, e.g. (c, y, x)), its ``flat_index`` in the output
    vector (c·H·W + y·W + x) and ``value``; ``shape`` of the input."""
    shape = tuple(int(s) for s in before.shape)
    cell = tuple(int(v) for v in np.unravel_index(int(before.argmax()), shape))
    index = int(np.ravel_multi_index(cell, shape))
    dims_text = "×".join(str(s) for s in shape)
    line = f"Flatten: {dims_text} → one vector of {math.prod(shape):,}, row by row"
    if len(shape) == 3:
        line += ": (c, y, x) → c·H·W + y·W + x"
    return {
        "kind": "flatten",
        "line": line,
        "channel": cell[0] if len(shape) == 3 else 0,
        "shape": shape,
        "cell": cell,
        "flat_index": index,
        "value": float(after.reshape(-1)[index]),
    }


def dropout_facts(module: nn.Module, before: torch.Tensor, seed: int = 0) -> dict:
    """``p``; an example training ``mask`` (bool, ``before``'s shape; whole channels for
    Dropout2d), ``train_after`` (before · mask / (1 − p)) and ``scale`` 1 / (1 − p)."""
    p = float(module.p)
    generator = torch.Generator().manual_seed(seed)
    whole_channels = isinstance(module, (nn.Dropout1d, nn.Dropout2d)) and before.dim() >= 2
    draw_shape = (before.shape[0],) + (1,) * (before.dim() - 1) if whole_channels else before.shape
    mask = (torch.rand(draw_shape, generator=generator) >= p).expand_as(before)
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    line = (
        f"Dropout p={p:g}: in eval mode (here) values pass unchanged; training zeroes a "
        f"random {p:.0%} and scales the rest by 1/(1 − p) = {scale:.3g}"
    )
    return {
        "kind": "dropout",
        "line": line,
        "channel": strongest_channel(before),
        "p": p,
        "mask": mask.numpy().copy(),
        "train_after": (before * mask * scale).numpy().copy(),
        "scale": scale,
    }


def linear_facts(module: nn.Linear, before: torch.Tensor, after: torch.Tensor) -> dict:
    """The strongest ``unit``: ``dot`` (its weights · the input), ``bias`` and ``output``."""
    unit = int(after.argmax())
    weights = module.weight.detach()[unit].to("cpu", torch.float64)
    dot = float(weights @ before.to(torch.float64).reshape(-1))
    bias = float(module.bias.detach()[unit]) if module.bias is not None else 0.0
    sign = "+" if bias >= 0 else "−"
    line = (
        f"y = Wx + b: {module.out_features:,} units, each its {module.in_features:,} weights "
        f"· input + bias; unit {unit}: {dot:.3f} {sign} {abs(bias):.3f} = {float(after[unit]):.3f}"
    )
    return {
        "kind": "linear",
        "line": line,
        "channel": 0,
        "unit": unit,
        "dot": dot,
        "bias": bias,
        "output": float(after[unit]),
        "in_features": int(module.in_features),
        "out_features": int(module.out_features),
    }


def conv_facts(module: nn.Conv2d, before: torch.Tensor) -> dict:
    """One line on the convolution (press b to see one output cell's multiply-adds): how many
    input maps each output map sums (in/groups), the window (dilated, strided) and bias."""
    kh, kw = module.kernel_size
    per_group = module.in_channels // module.groups
    if module.groups == 1:
        over = f"{module.in_channels} input maps"
    elif per_group == 1:
        over = f"its own input map (depthwise, {module.groups} groups)"
    else:
        over = f"the {per_group} input maps of its group ({module.groups} groups)"
    window = f"{kh}x{kw}"
    if tuple(module.dilation) != (1, 1):
        window += f" dilated {module.dilation[0]}x{module.dilation[1]}"
    if tuple(module.stride) != (1, 1):
        window += f" (stride {module.stride[0]}x{module.stride[1]})"
    bias = ", + bias" if module.bias is not None else ", no bias"
    line = (
        f"Conv2d: each of {module.out_channels} maps = Σ over {over} of {window} window "
        f"× kernel{bias}; b explains a cell"
    )
    return {"kind": "conv", "line": line, "channel": 0, "groups": int(module.groups)}
