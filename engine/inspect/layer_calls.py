"""Any module of any model by layer key (``conv1``, ``layer1.0``, ``conv1#2``), and what one of
its calls saw and returned, caught by a forward hook that counts the module's calls.

Keys are ``engine.models.layer_keys`` keys over ``model.named_modules()`` (containers
included: a residual block's key names the block, and its "feature maps" are its output). The
call order is the order ``forward`` runs modules in, which need not be the order they were
declared in (``executed_calls``): Grad-CAM's default layer and the lists the UI offers follow it.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from engine.errors import SpecError
from engine.inspect.evaluation import eval_mode, model_device
from engine.models.layer_keys import layer_key, split_layer_key

CLOSE_NAMES = 5  # names an unknown-layer message suggests
ALL_NAMES = 16  # a model with at most this many modules has them all listed too
_ORDER = itertools.count()  # when each capture was filled: forward order across modules


class LayerKeyError(SpecError):
    """A layer key that names no module of the model, or a call the module never made; one
    line naming a few close names."""


def module_names(model: nn.Module) -> list[str]:
    """Every module's dotted name except the model itself, in declaration order."""
    return [name for name, _ in model.named_modules() if name]


def close_names(key: str, names: list[str], count: int = CLOSE_NAMES) -> list[str]:
    """Up to ``count`` of ``names`` closest to ``key`` (difflib), else the first ``count``."""
    return difflib.get_close_matches(key, names, n=count, cutoff=0.5) or names[:count]


def unknown_layer(key: str, names: list[str]) -> LayerKeyError:
    """The one-line error for ``key`` naming nothing among ``names``."""
    close = close_names(key, names)
    if not close:
        return LayerKeyError(f"unknown layer {key!r}; the model has no layers")
    every = f"; layers: {', '.join(names)}" if len(names) <= ALL_NAMES else ""
    return LayerKeyError(f"unknown layer {key!r}; close names: {', '.join(close)}{every}")


def resolve_layer(model: nn.Module, key: str) -> tuple[str, int, nn.Module]:
    """(dotted name, 0-based call, module) of layer ``key``; LayerKeyError for a malformed
    key or a name that is not one of the model's modules."""
    try:
        name, call = split_layer_key(str(key))
    except ValueError as exc:
        raise LayerKeyError(str(exc)) from None
    modules = dict(model.named_modules())
    if not name or name not in modules:
        raise unknown_layer(str(key), module_names(model))
    return name, call, modules[name]


def first_tensor(value: Any) -> torch.Tensor | None:
    """``value`` itself, or the first tensor of a tuple/list output (None when there is none)."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        return next((v for v in value if isinstance(v, torch.Tensor)), None)
    return None


@dataclass
class CallCapture:
    """What call ``call`` of a module received (``input``: its first tensor argument) and
    returned (``output``: its first tensor); None until that call has run. ``calls`` counts
    the module's calls seen so far."""

    key: str
    call: int
    input: torch.Tensor | None = None
    output: torch.Tensor | None = None
    calls: int = 0
    order: int = -1  # when the call ran, comparable across captures

    def require(self, what: str = "output") -> torch.Tensor:
        """The captured ``what``; LayerKeyError when the call never ran."""
        value = getattr(self, what)
        if value is None:
            name, _ = split_layer_key(self.key)
            last = layer_key(name, max(self.calls - 1, 0))
            keys = f"use {name}" + (f" to {last}" if self.calls > 1 else "")
            raise LayerKeyError(
                f"layer {self.key!r} did not run: {name} ran {self.calls} time(s) in this "
                f"forward pass" + (f"; {keys}" if self.calls else "")
            )
        return value


@contextmanager
def hooked_call(
    module: nn.Module, key: str, call: int, *, keep_graph: bool = False
) -> Iterator[CallCapture]:
    """Catch call ``call`` of ``module`` while the ``with`` body runs the model.

    Without ``keep_graph`` input and output are detached float32 CPU copies (a later
    in-place layer cannot change them). With it they stay in the autograd graph on their
    device and the layers after the module get a clone of its output, so an in-place op
    further on cannot overwrite the captured values; gradients pass through the clone.
    """
    capture = CallCapture(key, call)

    def hook(_module: nn.Module, inputs: tuple[Any, ...], output: Any) -> Any:
        index, capture.calls = capture.calls, capture.calls + 1
        if index != call:
            return None
        capture.order = next(_ORDER)
        given, returned = first_tensor(inputs), first_tensor(output)
        if keep_graph:
            capture.input, capture.output = given, returned
            return returned.clone() if output is returned and returned is not None else None
        with torch.inference_mode(False):  # ordinary tensors the caller may modify
            capture.input = None if given is None else _copy(given)
            capture.output = None if returned is None else _copy(returned)
        return None

    handle = module.register_forward_hook(hook)
    try:
        yield capture
    finally:
        handle.remove()


def _copy(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.detach().to("cpu", torch.float32, copy=True)


def capture_call(model: nn.Module, key: str, x: torch.Tensor) -> tuple[CallCapture, torch.Tensor]:
    """(what call ``key`` saw and returned, the model's output as a float32 CPU copy) for
    input ``x``, run once in eval mode without gradients (modes restored). LayerKeyError for
    an unknown key or a call that did not run."""
    _, call, module = resolve_layer(model, key)
    with hooked_call(module, key, call) as capture, eval_mode(model), torch.inference_mode():
        output = first_tensor(model(x.to(model_device(model))))
    capture.require("output")
    with torch.inference_mode(False):
        logits = _copy(output) if output is not None else torch.empty(0)
    return capture, logits


@dataclass(frozen=True)
class ExecutedCall:
    """One module call of a forward pass: its key, dotted name, 0-based call and module."""

    key: str
    name: str
    call: int
    module: nn.Module


def executed_calls(
    model: nn.Module, x: torch.Tensor, leaves_only: bool = True
) -> list[ExecutedCall]:
    """Every module call of one forward pass of ``x`` (eval mode, no gradients), in the order
    the calls finished (a leaf's call ends before the next one starts, so for leaves this is
    the order they ran in); containers too when ``leaves_only`` is False."""
    names = {module: name for name, module in model.named_modules() if name}
    counts: dict[str, int] = {}
    calls: list[ExecutedCall] = []

    def hook(module: nn.Module, _inputs: Any, _output: Any) -> None:
        name = names[module]
        call = counts.get(name, 0)
        counts[name] = call + 1
        calls.append(ExecutedCall(layer_key(name, call), name, call, module))

    handles = [
        module.register_forward_hook(hook)
        for module in names
        if not leaves_only or not list(module.children())
    ]
    try:
        with eval_mode(model), torch.inference_mode():
            model(x.to(model_device(model)))
    finally:
        for handle in handles:
            handle.remove()
    return calls


def probe_input(model: nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """A zero batch of one input of ``input_shape`` (C, H, W) on the model's device, for
    finding the call order when no sample is at hand."""
    return torch.zeros((1, *input_shape), device=model_device(model))
