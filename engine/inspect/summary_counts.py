"""One summary row's numbers: kernel size, parameters and multiply-accumulates, as torchinfo.

Multiply-accumulates follow torchinfo 1.8 (``LayerInfo.calculate_macs``) for a batch-1 pass, so
totals equal its "Total mult-adds":

* a layer whose class name contains ``Conv`` counts its ``weight`` and ``bias`` elements once per
  output position: ``(out_ch * in_ch / groups * kh * kw + out_ch) * H_out * W_out`` for Conv2d
  (groups, dilation and stride change the output size or the weight, nothing else);
* any other layer counts its ``weight`` and ``bias`` elements once (BatchNorm: ``2 * C``);
  parameters named like ``weight_ih_l0`` (recurrent layers) count once per element of the
  output's first two dimensions;
* layers without parameters (ReLU, pooling, flatten, dropout) count 0.

One deliberate exception: a ``Linear`` whose output has more than two dimensions, say
``(1, 6, 28, 28)`` mixed along the last axis, multiplies at every leading position, so it counts
``(in_features * out_features + out_features) * rows`` with ``rows = output elements /
out_features`` (168 rows for ``(1, 6, 28, 28)``): every output element costs ``in_features``
multiply-adds plus one bias add. torchinfo 1.8 counts that layer once per sample; for the usual
``(1, features)`` output both counts are the same.

Pruned layers (``torch.nn.utils.prune``: ``weight_orig`` plus a 0/1 ``weight_mask``) count the
ones of the mask, as torchinfo does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

RECURRENT_PARAM_WORDS = ("weight", "bias")


def kernel_size(module: nn.Module) -> list[int] | None:
    """The kernel's spatial size as a list (conv and pooling layers), else None."""
    size = getattr(module, "kernel_size", None)
    if size is None:
        return None
    if isinstance(size, int):
        dims = 2 if "2d" in type(module).__name__.lower() else 1
        return [size] * dims
    return [int(s) for s in size]


def param_count(module: nn.Module, name: str, param: torch.Tensor) -> tuple[int, str]:
    """(elements, name) of one parameter of ``module``; a pruned ``X_orig`` counts the ones of
    its ``X_mask`` buffer and is named ``X``, as torchinfo's ``get_param_count``."""
    if name.endswith("_orig"):
        base = name[: -len("_orig")]
        mask = _find_tensor(module, f"{base}_mask")
        if mask is not None:
            return int(torch.sum(mask)), base
    return int(param.nelement()), name


def _find_tensor(module: nn.Module, dotted: str) -> torch.Tensor | None:
    value: object = module
    for part in dotted.split("."):
        if not hasattr(value, part):
            return None
        value = getattr(value, part)
    return value if isinstance(value, torch.Tensor) else None


def module_params(module: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameter elements of ``module`` and everything inside it."""
    total = trainable = 0
    for name, param in module.named_parameters():
        count, _ = param_count(module, name, param)
        total += count
        trainable += count if param.requires_grad else 0
    return total, trainable


def own_params(module: nn.Module, has_row: Callable[[nn.Module], bool]) -> int:
    """Parameter elements of a container that no row below it shows: its own tensors and those
    of children that have no row (never ran). Equals torchinfo's ``leftover_params`` when the
    container's children all run inside its call; where a child runs elsewhere its parameters
    stay with the child's row, so each tensor is shown at exactly one non-recursive row."""
    children = dict(module.named_children())
    total = 0
    for name, param in module.named_parameters():
        head, dot, _ = name.partition(".")
        if dot and head in children and has_row(children[head]):
            continue
        total += param_count(module, name, param)[0]
    return total


def model_params(model: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameter elements of the whole model, each shared tensor once."""
    seen: set[int] = set()
    total = trainable = 0
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            count, _ = param_count(module, name, param)
            total += count
            trainable += count if param.requires_grad else 0
    return total, trainable


def layer_macs(module: nn.Module, output_shape: list[int] | None) -> int:
    """Multiply-accumulates of one call of a leaf layer at batch size 1 (rules in the module
    docstring). ``output_shape`` is the call's output shape with its batch dimension first
    (any value there, -1 included, counts as 1); None or [] (no tensor output) gives 0."""
    if not output_shape:
        return 0
    sizes = [1, *(int(s) for s in output_shape[1:])]
    if isinstance(module, nn.Linear) and len(sizes) > 2:
        rows = math.prod(sizes[:-1])
        return rows * sum(param_count(module, n, p)[0] for n, p in module.named_parameters())
    conv = "Conv" in type(module).__name__
    total = 0
    for raw_name, param in module.named_parameters():
        count, name = param_count(module, raw_name, param)
        if name in RECURRENT_PARAM_WORDS:
            total += count * (math.prod(sizes[2:]) if conv else 1)
        elif any(word in name for word in RECURRENT_PARAM_WORDS):
            total += count * math.prod(sizes[:2])
    return int(total)
