"""What one layer does to the current digit: its input and output, and the facts for one line.

``layer_story(model, x, layer)`` runs the model once (eval mode) and returns, for the selected
layer, ``before`` (its input) and ``after`` (its output) for the first sample of ``x`` plus the
numbers that explain the step: the values a ReLU set to zero, a pooling window and the value it
kept, batch norm's running and batch statistics, a flatten index, a dropout mask, a dense unit's
dot product. Payloads are plain Python values and numpy arrays (the UI process reads them).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.inspect.evaluation import eval_mode, model_device
from engine.inspect.layer_calls import hooked_call, resolve_layer
from engine.inspect.layer_facts import (
    activation_facts,
    batchnorm_facts,
    conv_facts,
    dropout_facts,
    flatten_facts,
    linear_facts,
    pool_facts,
)
from engine.models.layer_keys import CALL_MARK, split_layer_key
from engine.models.registry import named_layers

ACTIVATIONS = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Softplus,
)
POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
DROPOUTS = (nn.Dropout, nn.Dropout2d, nn.Dropout1d, nn.AlphaDropout)


def layer_input_output(
    model: nn.Module, x: torch.Tensor, layer: str
) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """(module, input, output) of the call layer key ``layer`` names (``conv1#2``: conv1's
    second call; a container: its input and output) for the batch ``x``, the model in eval
    mode.

    Input and output are float32 CPU copies taken in the hook (a later in-place layer cannot
    change them); every module's train/eval flag is restored. LayerKeyError (a SpecError)
    for an unknown key or a call that did not run.
    """
    _, call, module = resolve_layer(model, layer)
    with hooked_call(module, layer, call) as seen, eval_mode(model), torch.inference_mode():
        model(x.to(model_device(model)))
    return module, seen.require("input"), seen.require("output")


def image_template_shape(
    model: nn.Module, layer: str, input_shape: tuple[int, ...]
) -> tuple[int, int] | None:
    """(H, W) when ``layer`` is a dense layer fed by the one-channel input image itself (only
    flatten, identity or dropout layers before it, ``in_features`` = H·W, e.g. the mlp's first
    layer): each unit's weights then form an H x W template. None otherwise."""
    layers = named_layers(model)
    names = [name for name, _ in layers]
    layer = split_layer_key(layer)[0] if CALL_MARK in layer else layer
    if layer not in names or len(input_shape) != 3 or int(input_shape[0]) != 1:
        return None
    module = layers[names.index(layer)][1]
    height, width = int(input_shape[1]), int(input_shape[2])
    if not isinstance(module, nn.Linear) or module.in_features != height * width:
        return None
    passing = (nn.Flatten, nn.Identity, *DROPOUTS)
    if all(isinstance(m, passing) for _, m in layers[: names.index(layer)]):
        return height, width
    return None


def layer_story(model: nn.Module, x: torch.Tensor, layer: str, seed: int = 0) -> dict[str, Any]:
    """What ``layer`` computes for the first sample of ``x`` (N, C, H, W).

    Returns ``layer``, ``type``, ``kind`` (activation, pool, batchnorm, flatten, dropout,
    linear, conv or other), ``line`` (one sentence), ``before`` and ``after`` (float32 arrays:
    the layer's input and output for sample 0, without the batch dimension) and the kind's
    facts (see ``engine.inspect.layer_facts``). The other samples of ``x`` only serve batch
    norm's batch statistics. ``seed`` fixes dropout's example mask. LayerKeyError (a
    SpecError naming close names): unknown layer.
    """
    module, inputs, outputs = layer_input_output(model, x, layer)
    before, after = inputs[0], outputs[0]
    story: dict[str, Any] = {
        "layer": layer,
        "type": type(module).__name__,
        "before": before.numpy().copy(),
        "after": after.numpy().copy(),
    }
    if isinstance(module, ACTIVATIONS):
        story.update(activation_facts(module, before, after))
    elif isinstance(module, POOLS):
        story.update(pool_facts(module, before, after))
    elif isinstance(module, NORMS):
        story.update(batchnorm_facts(module, inputs, outputs))
    elif isinstance(module, nn.Flatten):
        story.update(flatten_facts(before, after))
    elif isinstance(module, DROPOUTS):
        story.update(dropout_facts(module, before, seed))
    elif isinstance(module, nn.Linear):
        story.update(linear_facts(module, before, after))
        story["template_shape"] = image_template_shape(model, layer, tuple(x.shape[1:]))
    elif isinstance(module, nn.Conv2d):
        story.update(conv_facts(module, before))
    else:
        story.update(kind="other", line=f"{type(module).__name__}: output {tuple(after.shape)}")
    return story
