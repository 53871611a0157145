"""Custom networks from short spec strings such as ``c32k3-p-c64k3-p-c128k3-p-f128-d0.25``.

The grammar, its bounds and the checks live torch-free in ``engine.models.spec_grammar`` (the
UI's run form checks a spec with it); this module builds the planned layers as torch modules.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from torch import nn

from engine.models.spec_grammar import (
    DEFAULT_INPUT,
    GRAMMAR,
    MAX_ACTIVATION,
    MAX_CHANNELS,
    MAX_LAYERS,
    MAX_PARAMS,
    MAX_UNITS,
    LayerPlan,
    looks_like_spec,
    plan_spec,
)

__all__ = [
    "GRAMMAR",
    "MAX_ACTIVATION",
    "MAX_CHANNELS",
    "MAX_LAYERS",
    "MAX_PARAMS",
    "MAX_UNITS",
    "build_from_spec",
    "looks_like_spec",
]


def _conv(c_in: int, out: int, k: int, stride: int, pad: int, bias: bool) -> nn.Module:
    return nn.Conv2d(c_in, out, k, stride=stride, padding=pad, bias=bias)


MODULES: dict[str, Callable[..., nn.Module]] = {
    "conv": _conv,
    "bn2d": nn.BatchNorm2d,
    "bn1d": nn.BatchNorm1d,
    "relu": nn.ReLU,
    "maxpool": nn.MaxPool2d,
    "avgpool": nn.AvgPool2d,
    "flatten": nn.Flatten,
    "linear": lambda c_in, out, bias: nn.Linear(c_in, out, bias=bias),
    "dropout": nn.Dropout,
    "gap": lambda: nn.AdaptiveAvgPool2d(1),
}


def module_of(layer: LayerPlan) -> nn.Module:
    """The torch module of one planned layer."""
    return MODULES[layer.kind](*layer.args)


def build_from_spec(
    spec: str, num_classes: int = 10, input_shape: tuple[int, int, int] = DEFAULT_INPUT
) -> nn.Sequential:
    """Build the network a spec describes for inputs of ``input_shape`` (C, H, W), ending in a
    dense layer to num_classes outputs. Raises SpecError (one line naming the token) for a
    token that is not a layer, a number out of its range, a layer that does not fit its maps,
    or a network over MAX_PARAMS weights or MAX_ACTIVATION values per layer and image; nothing
    big is allocated before the check."""
    layers = plan_spec(spec, num_classes, input_shape)
    return nn.Sequential(OrderedDict((layer.name, module_of(layer)) for layer in layers))
