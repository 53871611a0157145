"""Conv layers of any model for the inspection ops: one output cell of any call explained as
patch x kernel products, and what a conv's kernels payload adds (groups, RGB pictures).

A layer key names one call of a module (``conv1#2``: its second), so the cell explained is that
call's, from the input that call received. The receptive field on the network input is given
only when it is known exactly: the calls up to the layer form a chain (each leaf fed the one
before's output, the first fed the image, declared in the order they run, as in an
``nn.Sequential``); a residual block or a functional op between modules makes it None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from engine.convlab.inputs import ConvError
from engine.convlab.torch_ops import explain_conv_cell, receptive_field
from engine.inspect.evaluation import eval_mode, model_device
from engine.inspect.kernel_views import group_facts, rgb_pictures
from engine.inspect.layer_calls import first_tensor, resolve_layer
from engine.process.current_model import OpError


def _leaf_calls(model: nn.Module, x: torch.Tensor, stop: nn.Module, call: int) -> list[tuple]:
    """(module, input, output) of every leaf call up to call ``call`` of ``stop``, in the
    order they ran (references kept, so identities can be compared)."""
    leaves = [m for m in model.modules() if m is not model and not list(m.children())]
    calls: list[tuple] = []
    stops = [0]

    class _Done(Exception):
        pass

    def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
        calls.append((module, first_tensor(inputs), first_tensor(output)))
        if module is stop:
            stops[0] += 1
            if stops[0] > call:
                raise _Done

    handles = [leaf.register_forward_hook(hook) for leaf in leaves]
    try:
        with eval_mode(model), torch.inference_mode():
            model(x)
    except _Done:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _is_chain(model: nn.Module, x: torch.Tensor, calls: list[tuple]) -> bool:
    """Whether ``calls`` ran as a chain from ``x``, in their declared order."""
    if not calls or calls[0][1] is not x:
        return False
    if any(later[1] is not earlier[2] for earlier, later in zip(calls, calls[1:], strict=False)):
        return False
    declared = [m for m in model.modules() if m is not model and not list(m.children())]
    return [c[0] for c in calls] == declared[: len(calls)]


def explain_call_cell(
    model: nn.Module, x: torch.Tensor, key: str, channel: int, i: int | None, j: int | None
) -> dict[str, Any]:
    """``explain_conv_cell`` for output cell (``channel``, i, j) of the conv call ``key``
    for one sample ``x`` (1, C, H, W); i or j None: the channel's strongest cell
    (``strongest`` True). Adds ``layer``, ``captured`` (the forward pass's value there),
    ``groups`` and ``input_box``/``input_box_clipped`` (None unless exact, see the module
    docstring). OpError for a key that is not a conv call or a cell outside the output."""
    name, call, module = resolve_layer(model, key)
    if not isinstance(module, nn.Conv2d):
        raise OpError(f"{key} is a {type(module).__name__}; pick a conv layer to explain")
    x = x[:1].to(model_device(model))
    calls = _leaf_calls(model, x, module, call)
    mine = [c for c in calls if c[0] is module]
    if len(mine) <= call:
        raise OpError(f"layer {key!r} did not run for this input; pick another layer")
    _, given, output = mine[call]
    out = output[0]
    if not 0 <= channel < out.shape[0]:
        raise OpError(f"channel {channel} is outside {key}'s {out.shape[0]} maps; pick one inside")
    strongest = i is None or j is None
    if strongest:
        i, j = divmod(int(out[channel].argmax()), int(out.shape[-1]))
    try:
        result = explain_conv_cell(module, given.detach().clone(), channel, int(i), int(j))
    except ConvError as exc:
        raise OpError(str(exc)) from None
    height, width = int(x.shape[-2]), int(x.shape[-1])
    box = None
    if call == 0 and _is_chain(model, x, calls):
        try:
            box = receptive_field(model, name, int(i), int(j), (height, width))
        except ConvError:
            box = None
    result.update(
        layer=key,
        strongest=strongest,
        captured=float(out[channel, int(i), int(j)]),
        groups=int(module.groups),
        input_box=box.as_tuple() if box else None,
        input_box_clipped=box.clip(height, width).as_tuple() if box else None,
    )
    return result


def reads_the_image(model: nn.Module, module: nn.Module, input_shape: tuple[int, ...]) -> bool:
    """Whether ``module``'s first call receives the model's input itself (a first layer)."""
    x = torch.zeros((1, *input_shape), device=model_device(model))
    calls = _leaf_calls(model, x, module, 0)
    return bool(calls) and calls[-1][0] is module and calls[-1][1] is x


def conv_kernel_extras(
    model: nn.Module, module: nn.Conv2d, weights: np.ndarray, info: Any
) -> dict[str, Any]:
    """What a conv's ``kernels`` payload adds to its weights (out, in/groups, kh, kw):
    ``group_facts`` (``groups``, ``in_channels``, ``in_per_group``, ``out_per_group``,
    ``depthwise``, ``channels_seen`` (out, 2) [start, stop)), and ``rgb``: True for a
    first layer on colour images (3 input channels, groups 1, fed the image itself), with
    ``rgb_kernels`` float32 (out, 3, kh, kw) in [0, 1], each kernel scaled to its own
    min..max as torchvision's make_grid(normalize=True, scale_each=True)."""
    extras = group_facts(module.out_channels, module.in_channels, module.groups)
    shape = tuple(getattr(info, "input_shape", ()) or ())
    rgb = (
        module.in_channels == 3
        and module.groups == 1
        and len(shape) == 3
        and int(shape[0]) == 3
        and reads_the_image(model, module, shape)
    )
    extras["rgb"] = bool(rgb)
    if rgb:
        extras["rgb_kernels"] = rgb_pictures(weights)
    return extras
