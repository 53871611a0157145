"""A per-layer table of shapes, parameters and multiply-accumulates, as torchsummary/torchinfo give.

One forward pass of a batch-1 input runs with forward hooks on every leaf layer (the names from
:func:`engine.models.registry.named_layers`), in eval mode and inference mode, so nothing about
the model changes: the hooks are removed and the train/eval mode restored whatever happens.

Multiply-accumulates follow torchinfo 1.8 so totals equal its "Total mult-adds" for batch 1:
a conv layer counts (weight + bias elements) x output positions, i.e.
``out_elems * (in_ch / groups * kh * kw + 1 if bias)``; every other layer with parameters counts
its weight and bias elements once (Linear: ``out * in + out``; BatchNorm: ``2 * C``); layers
without parameters (ReLU, pooling, flatten, dropout) count 0. The memory estimates follow
torchsummary: 4 bytes per input element, 2 x 4 bytes per element of every layer's output
(forward and backward), 4 bytes per parameter.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from engine.models.registry import named_layers

BYTES_PER_VALUE = 4.0
MB = 1024.0**2


@dataclass(frozen=True)
class LayerSummary:
    """One leaf layer; shapes carry a leading -1 batch dimension (None if the layer never ran)."""

    name: str
    type: str
    input_shape: list[int] | None
    output_shape: list[int] | None
    kernel_size: list[int] | None
    params: int
    trainable: bool
    macs: int


@dataclass(frozen=True)
class ModelSummary:
    """The whole table plus torchsummary's totals and memory estimates."""

    layers: list[LayerSummary] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    input_size_mb: float = 0.0
    forward_backward_size_mb: float = 0.0
    params_size_mb: float = 0.0
    estimated_total_mb: float = 0.0
    input_shape: tuple[int, ...] = ()

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values with the keys documented in ARCHITECTURE.md."""
        return {
            "layers": [asdict(layer) for layer in self.layers],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "total_macs": self.total_macs,
            "input_size_mb": self.input_size_mb,
            "forward_backward_size_mb": self.forward_backward_size_mb,
            "params_size_mb": self.params_size_mb,
            "estimated_total_mb": self.estimated_total_mb,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSummary:
        """The inverse of :meth:`to_dict` (used by the TUI on payloads from the child process)."""
        layers = [LayerSummary(**layer) for layer in data.get("layers", [])]
        keys = (
            "total_params",
            "trainable_params",
            "total_macs",
            "input_size_mb",
            "forward_backward_size_mb",
            "params_size_mb",
            "estimated_total_mb",
        )
        return cls(layers=layers, **{key: data[key] for key in keys if key in data})


def kernel_size(module: nn.Module) -> list[int] | None:
    """The kernel's spatial size as a list (conv and pooling layers), else None."""
    size = getattr(module, "kernel_size", None)
    if size is None:
        return None
    if isinstance(size, int):
        dims = 2 if "2d" in type(module).__name__.lower() else 1
        return [size] * dims
    return [int(s) for s in size]


def layer_macs(module: nn.Module, output_shape: list[int] | None) -> int:
    """torchinfo's multiply-accumulate count for one leaf layer at batch size 1."""
    if output_shape is None:
        return 0
    spatial = math.prod(output_shape[2:]) if len(output_shape) > 2 else 1
    total = 0
    for name, param in module.named_parameters(recurse=False):
        count = param.numel()
        if name in ("weight", "bias"):
            total += count * spatial if "Conv" in type(module).__name__ else count
        elif "weight" in name or "bias" in name:  # recurrent layers' weight_ih_l0 and the like
            total += (output_shape[1] if len(output_shape) > 1 else 1) * count
    return int(total)


def _shape(value: Any) -> list[int] | None:
    """[-1, ...] for a tensor (or the first tensor in a tuple/list), as torchsummary prints it."""
    if isinstance(value, (tuple, list)):
        value = next((v for v in value if isinstance(v, torch.Tensor)), None)
    if not isinstance(value, torch.Tensor):
        return None
    return [-1, *(int(s) for s in value.shape[1:])]


def _elements(value: Any) -> int:
    if isinstance(value, (tuple, list)):
        return sum(_elements(v) for v in value)
    return int(value.numel()) if isinstance(value, torch.Tensor) else 0


def _first_tensor(model: nn.Module) -> torch.Tensor | None:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor
    return None


def summarize(model: nn.Module, input_shape: tuple[int, ...] | list[int]) -> ModelSummary:
    """Run one batch-1 input of shape ``input_shape`` (C, H, W) and describe every leaf layer."""
    shape = tuple(int(s) for s in input_shape)
    reference = _first_tensor(model)
    device = reference.device if reference is not None else torch.device("cpu")
    dtype = reference.dtype if reference is not None and reference.is_floating_point() else None
    records: dict[str, dict[str, Any]] = {}
    output_elements = [0]

    def make_hook(name: str):
        def hook(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            output_elements[0] += _elements(output)
            if name not in records:
                records[name] = {"input": _shape(inputs), "output": _shape(output)}

        return hook

    layers = named_layers(model)
    was_training = {module: module.training for module in model.modules()}
    handles = []
    try:
        for name, module in layers:
            handles.append(module.register_forward_hook(make_hook(name)))
        model.eval()
        x = torch.zeros((1, *shape), device=device, dtype=dtype or torch.float32)
        with torch.inference_mode():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in was_training.items():
            module.training = mode

    rows = []
    for name, module in layers:
        record = records.get(name, {"input": None, "output": None})
        params = list(module.parameters(recurse=False))
        rows.append(
            LayerSummary(
                name=name,
                type=type(module).__name__,
                input_shape=record["input"],
                output_shape=record["output"],
                kernel_size=kernel_size(module),
                params=sum(p.numel() for p in params),
                trainable=any(p.requires_grad for p in params),
                macs=layer_macs(module, record["output"]),
            )
        )
    unique = {id(p): p for p in model.parameters()}.values()
    total_params = sum(p.numel() for p in unique)
    trainable = sum(p.numel() for p in unique if p.requires_grad)
    input_mb = math.prod(shape) * BYTES_PER_VALUE / MB
    forward_backward_mb = 2.0 * output_elements[0] * BYTES_PER_VALUE / MB
    params_mb = total_params * BYTES_PER_VALUE / MB
    return ModelSummary(
        layers=rows,
        total_params=int(total_params),
        trainable_params=int(trainable),
        total_macs=int(sum(row.macs for row in rows)),
        input_size_mb=input_mb,
        forward_backward_size_mb=forward_backward_mb,
        params_size_mb=params_mb,
        estimated_total_mb=input_mb + forward_backward_mb + params_mb,
        input_shape=shape,
    )


def _fmt_shape(shape: list[int] | None) -> str:
    return "--" if shape is None else str(list(shape))


def _fmt_kernel(size: list[int] | None) -> str:
    return "--" if size is None else "x".join(str(s) for s in size)


def format_macs(macs: int) -> str:
    """MACs with a unit: 1.23 G, 45.6 M, 7.89 k."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if macs >= scale:
            return f"{macs / scale:.2f} {unit}"
    return str(macs)


def format_summary(summary: ModelSummary) -> str:
    """A torchsummary-style table with kernel sizes and mult-adds, then totals and memory."""
    headers = ("Layer (type)", "Input Shape", "Output Shape", "Kernel", "Param #", "Mult-Adds")
    rows = [
        (
            f"{layer.name} ({layer.type})",
            _fmt_shape(layer.input_shape),
            _fmt_shape(layer.output_shape),
            _fmt_kernel(layer.kernel_size),
            f"{layer.params:,}",
            f"{layer.macs:,}" if layer.macs else "--",
        )
        for layer in summary.layers
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    total_width = sum(widths) + 2 * (len(widths) - 1)
    rule, double = "-" * total_width, "=" * total_width
    out = [rule, line(headers), double, *(line(row) for row in rows), double]
    out += [
        f"Total params: {summary.total_params:,}",
        f"Trainable params: {summary.trainable_params:,}",
        f"Non-trainable params: {summary.non_trainable_params:,}",
        f"Total mult-adds: {summary.total_macs:,} ({format_macs(summary.total_macs)})",
        rule,
        f"Input size (MB): {summary.input_size_mb:0.2f}",
        f"Forward/backward pass size (MB): {summary.forward_backward_size_mb:0.2f}",
        f"Params size (MB): {summary.params_size_mb:0.2f}",
        f"Estimated Total Size (MB): {summary.estimated_total_mb:0.2f}",
        rule,
    ]
    return "\n".join(out)
