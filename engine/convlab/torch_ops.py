"""The convolution lab's torch side: explain one cell of a real conv layer, receptive fields.

``explain_conv_cell`` breaks a conv layer's output value at (channel, i, j) into the exact
multiply-adds of each input channel's kernel with the window it covers, plus the bias; its total
equals the layer's real output there. ``receptive_field`` maps a cell of a layer's output back
to the box of network-input pixels it depends on, through the conv and pooling layers before it.
Boxes are half-open ``(top, left, bottom, right)`` like Python slices and may reach outside the
input where padding lies; ``RFBox.clip(h, w)`` keeps the part inside.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.convlab.inputs import ConvError
from engine.convlab.network import fixed_filter_weights

# Modules that change the spatial grid; everything else (activations, batch norm, dropout,
# identity, local response norm) keeps every cell where it is.
_POOLS = (nn.MaxPool2d, nn.AvgPool2d)
_GLOBAL = (nn.Flatten, nn.Linear, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@dataclass(frozen=True)
class RFBox:
    """A half-open box of input pixels: rows top..bottom-1, cols left..right-1."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def clip(self, height: int, width: int) -> RFBox:
        """The part of the box inside a height x width input."""
        return RFBox(
            max(self.top, 0), max(self.left, 0), min(self.bottom, height), min(self.right, width)
        )

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.top, self.left, self.bottom, self.right)


def _pair(value) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def _conv_padding(layer: nn.Conv2d) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zeros the layer adds, including padding='same' / 'valid'."""
    kh, kw = layer.kernel_size
    dh, dw = layer.dilation
    if isinstance(layer.padding, str):
        if layer.padding == "valid":
            return 0, 0, 0, 0
        total_h, total_w = dh * (kh - 1), dw * (kw - 1)
        return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    ph, pw = layer.padding
    return ph, ph, pw, pw


def explain_conv_cell(
    layer: nn.Conv2d, layer_input: torch.Tensor, out_channel: int, i: int, j: int
) -> dict:
    """The exact multiply-adds behind ``layer(layer_input)[0, out_channel, i, j]``.

    Returns a dict of plain values and numpy arrays: ``box`` / ``box_clipped`` (the window on
    the layer input, half-open (top, left, bottom, right)), ``channels`` (input channel indices
    the kernel reads; a group's with groups > 1), ``patch``, ``kernel``, ``products`` (each
    (len(channels), kh, kw)), ``contributions`` (per input channel, the sum of its products),
    ``pad_mask`` ((kh, kw) bool: zero padding), ``sum``, ``bias`` (0.0 without one),
    ``has_bias``, ``total`` (sum + bias, float64) and ``output`` (torch's own value).
    """
    if not isinstance(layer, nn.Conv2d):
        raise ConvError(
            f"only conv layers can be explained cell by cell, not "
            f"{type(layer).__name__}; pick a Conv2d layer"
        )
    x = layer_input.detach()
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1 or x.shape[1] != layer.in_channels:
        raise ConvError(
            f"the layer input must be (1, {layer.in_channels}, H, W), not "
            f"{tuple(x.shape)}; pass one sample's input to this layer"
        )
    with torch.no_grad():
        actual = layer(x.to(layer.weight.device, layer.weight.dtype)).cpu()
    _, out_channels, out_h, out_w = actual.shape
    if not (0 <= out_channel < out_channels and 0 <= i < out_h and 0 <= j < out_w):
        raise ConvError(
            f"cell ({out_channel}, {i}, {j}) is outside the layer's "
            f"{out_channels}x{out_h}x{out_w} output; pick a cell inside it"
        )
    top_pad, bottom_pad, left_pad, right_pad = _conv_padding(layer)
    pad = (left_pad, right_pad, top_pad, bottom_pad)
    values = x[0].to(torch.float64).cpu()
    if any(pad):
        mode = "constant" if layer.padding_mode == "zeros" else layer.padding_mode
        values = torch.nn.functional.pad(values.unsqueeze(0), pad, mode=mode)[0]
    kh, kw = layer.kernel_size
    sh, sw = layer.stride
    dh, dw = layer.dilation
    per_group = layer.in_channels // layer.groups
    group = out_channel // (layer.out_channels // layer.groups)
    channels = list(range(group * per_group, (group + 1) * per_group))
    top, left = i * sh, j * sw
    patch = values[
        channels, top : top + dh * (kh - 1) + 1 : dh, left : left + dw * (kw - 1) + 1 : dw
    ].numpy()
    kernel = layer.weight.detach()[out_channel].to(torch.float64).cpu().numpy()
    products = patch * kernel
    rows, cols = top - top_pad + dh * np.arange(kh), left - left_pad + dw * np.arange(kw)
    outside = ((rows < 0) | (rows >= x.shape[2]))[:, None] | ((cols < 0) | (cols >= x.shape[3]))
    pad_mask = outside & (layer.padding_mode == "zeros")  # zero padding: no input value
    contributions = products.sum(axis=(1, 2))
    bias = float(layer.bias.detach()[out_channel]) if layer.bias is not None else 0.0
    total_sum = float(contributions.sum())
    box = RFBox(
        top - top_pad,
        left - left_pad,
        top - top_pad + dh * (kh - 1) + 1,
        left - left_pad + dw * (kw - 1) + 1,
    )
    return {
        "out_channel": out_channel,
        "row": i,
        "col": j,
        "box": box.as_tuple(),
        "box_clipped": box.clip(x.shape[2], x.shape[3]).as_tuple(),
        "channels": channels,
        "patch": patch,
        "kernel": kernel,
        "products": products,
        "contributions": contributions,
        "sum": total_sum,
        "bias": bias,
        "has_bias": layer.bias is not None,
        "pad_mask": pad_mask,
        "total": total_sum + bias,
        "output": float(actual[0, out_channel, i, j]),
        "stride": (sh, sw),
        "padding": (top_pad, left_pad),
        "dilation": (dh, dw),
    }


def _leaf_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [
        (name, module)
        for name, module in model.named_modules()
        if name and not list(module.children())
    ]


def _geometry(module: nn.Module) -> tuple[tuple[int, int], ...] | None:
    """(kernel, stride, padding, dilation) pairs for conv and pooling layers, else None."""
    if isinstance(module, nn.Conv2d):
        top, _, left, _ = _conv_padding(module)
        return (
            tuple(module.kernel_size),
            tuple(module.stride),
            (top, left),
            tuple(module.dilation),
        )
    if isinstance(module, _POOLS):
        kernel = _pair(module.kernel_size)
        stride = _pair(module.stride if module.stride not in (None, ()) else module.kernel_size)
        dilation = _pair(getattr(module, "dilation", 1))
        return kernel, stride, _pair(module.padding), dilation
    return None


def receptive_field(
    model: nn.Module, layer: str, i: int, j: int, input_size: tuple[int, int] | None = None
) -> RFBox:
    """The box of network-input pixels that cell (i, j) of ``layer``'s output depends on.

    Walks the model's leaf layers in order (Sequential models) up to and including ``layer``;
    convolutions and poolings map a range [a, b] of output cells to [a*s - p, b*s - p +
    d*(k - 1)]. A layer after a flatten, dense or adaptive pooling layer sees the whole input
    (``input_size`` (H, W) is then required). The box is not clipped: call ``.clip(H, W)``.
    """
    layers = _leaf_layers(model)
    names = [name for name, _ in layers]
    if layer not in names:
        raise ConvError(f"no layer named {layer!r}; use one of {', '.join(names)}")
    chain = layers[: names.index(layer) + 1]
    if i < 0 or j < 0:
        raise ConvError(f"cell ({i}, {j}) has a negative index; use indices from 0")
    if any(isinstance(module, _GLOBAL) for _, module in chain):
        if input_size is None:
            raise ConvError(
                f"{layer} comes after a dense or global layer and sees the whole "
                "input; pass input_size to get its box"
            )
        return RFBox(0, 0, int(input_size[0]), int(input_size[1]))
    geometry = [g for _, module in chain if (g := _geometry(module)) is not None]
    if input_size is not None:
        h, w = int(input_size[0]), int(input_size[1])
        for kernel, stride, padding, dilation in geometry:
            h = (h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
            w = (w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        if i >= h or j >= w:
            raise ConvError(
                f"cell ({i}, {j}) is outside {layer}'s {h}x{w} output; pick a cell inside it"
            )
    rows, cols = [i, i], [j, j]
    for kernel, stride, padding, dilation in reversed(geometry):
        rows = [
            rows[0] * stride[0] - padding[0],
            rows[1] * stride[0] - padding[0] + dilation[0] * (kernel[0] - 1),
        ]
        cols = [
            cols[0] * stride[1] - padding[1],
            cols[1] * stride[1] - padding[1] + dilation[1] * (kernel[1] - 1),
        ]
    return RFBox(rows[0], cols[0], rows[1] + 1, cols[1] + 1)


def explain_model_cell(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    out_channel: int,
    i: int | None,
    j: int | None,
) -> dict:
    """explain_conv_cell for ``layer`` of ``model`` run (in eval mode) on ``x`` (1, C, H, W),
    plus its receptive field on the network input (``input_box`` and ``input_box_clipped``)
    and the value the forward pass produced there (``captured``). ``i`` or ``j`` None: the
    cell of ``out_channel``'s strongest (largest) output, with ``strongest`` True."""
    modules = dict(_leaf_layers(model))
    if layer not in modules:
        raise ConvError(f"no layer named {layer!r}; use one of {', '.join(modules)}")
    module = modules[layer]
    if not isinstance(module, nn.Conv2d):
        raise ConvError(f"{layer} is a {type(module).__name__}; pick a conv layer to explain")
    seen: dict[str, torch.Tensor] = {}

    def hook(_module, inputs, output):
        seen["input"] = inputs[0].detach().clone()  # later in-place layers cannot change them
        seen["output"] = output.detach().clone()

    handle = module.register_forward_hook(hook)
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
        model.train(was_training)
    strongest = i is None or j is None
    if strongest:
        outputs = seen["output"][0]
        if not 0 <= out_channel < outputs.shape[0]:
            raise ConvError(
                f"channel {out_channel} is outside {layer}'s {outputs.shape[0]} maps; "
                "pick one inside"
            )
        flat = int(outputs[out_channel].argmax())
        i, j = divmod(flat, int(outputs.shape[-1]))
    result = explain_conv_cell(module, seen["input"], out_channel, i, j)
    result["strongest"] = strongest
    height, width = int(x.shape[-2]), int(x.shape[-1])
    try:
        box = receptive_field(model, layer, i, j, (height, width))
    except ConvError:
        box = None
    result["layer"] = layer
    result["captured"] = float(seen["output"][0, out_channel, i, j])
    result["input_box"] = box.as_tuple() if box else None
    result["input_box_clipped"] = box.clip(height, width).as_tuple() if box else None
    return result


def fixed_filter_model(pool_size: int = 2) -> nn.Sequential:
    """The fixed-filter network as torch layers: conv (the four edge filters, no bias), ReLU,
    max pool."""
    conv = nn.Conv2d(1, 4, kernel_size=4, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(fixed_filter_weights())))
    conv.weight.requires_grad_(False)
    return nn.Sequential(
        OrderedDict(
            [("conv", conv), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(pool_size, pool_size))]
        )
    )
