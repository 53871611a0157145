"""What a model computes inside: every layer's output, its kernels, and pictures as inputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.data.images import read_picture
from engine.data.mnist_style import light_on_dark, mnist_style
from engine.errors import SpecError
from engine.inspect.evaluation import eval_mode, model_device
from engine.inspect.layer_calls import LayerKeyError, hooked_call, resolve_layer
from engine.models.registry import ModelInfo, kernel_layers, named_layers


def capture_activations(
    model: nn.Module, x: torch.Tensor, layers: Iterable[str] | None = None
) -> OrderedDict[str, torch.Tensor]:
    """Every leaf layer's output (first call) or those of the layer keys ``layers`` (any
    module, containers included; ``conv1#2``: its second call), for input ``x``, in the
    order the calls ran.

    The model runs once in eval mode under ``torch.inference_mode``; outputs are copied
    (so a later in-place ReLU cannot change them) into ordinary float32 CPU tensors without
    grad. Hooks are removed and each module's train/eval mode restored even when the forward
    pass fails. LayerKeyError (a SpecError) for an unknown key, naming close names, or for a
    call that did not run.
    """
    explicit = layers is not None
    keys = list(layers) if explicit else [name for name, _ in named_layers(model)]
    resolved = [(key, *resolve_layer(model, key)) for key in dict.fromkeys(keys)]
    with ExitStack() as stack:
        captures = [
            stack.enter_context(hooked_call(module, key, call)) for key, _, call, module in resolved
        ]
        with eval_mode(model), torch.inference_mode():
            model(x.to(model_device(model)))
    if explicit:
        for capture in captures:
            capture.require("output")
    ran = sorted((c for c in captures if c.output is not None), key=lambda c: c.order)
    return OrderedDict((c.key, c.output) for c in ran)


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Softmax probabilities (N, classes) on the CPU, in eval + inference mode, mode restored."""
    modes = {module: module.training for module in model.modules()}
    try:
        model.eval()
        reference = next(iter(model.parameters()), None)
        device = reference.device if reference is not None else x.device
        with torch.inference_mode():
            logits = model(x.to(device))
            probs = torch.softmax(logits.float(), dim=1).cpu()
        return probs.clone()  # a normal tensor, not an inference tensor
    finally:
        for module, mode in modes.items():
            module.training = mode


def layer_kernels(model: nn.Module, layer: str) -> torch.Tensor:
    """A layer's weights as float32 (out, in/groups, kh, kw) on the CPU; a Linear gives
    (out, in, 1, 1). ``layer`` is a layer key (``conv1#2`` names conv1's weights).

    Raises SpecError for an unknown layer (close names listed) or one without kernels,
    listing the layers with them.
    """
    choices = kernel_layers(model)
    shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    try:
        _, _, module = resolve_layer(model, layer)
    except LayerKeyError:
        raise SpecError(
            f"unknown layer {layer!r}; layers with weights: {shown or 'none'}"
        ) from None
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() not in (2, 4):
        raise SpecError(
            f"layer {layer!r} ({type(module).__name__}) has no kernels; "
            f"layers with weights: {shown or 'none'}"
        )
    weight = weight.detach().to("cpu", torch.float32, copy=True)
    if weight.dim() == 2:
        weight = weight[:, :, None, None]
    return weight


def prepare_image(image: Any, info: ModelInfo, invert: bool | None = None) -> torch.Tensor:
    """A PIL image as the model's input (1, C, H, W), resized and normalised.

    One-channel models (MNIST): grayscale, inverted when the picture is dark on light (mean
    above 127; ``invert`` True or False decides instead) since MNIST digits are light on dark,
    then pre-processed as MNIST was (``engine.data.mnist_style``: the ink's bounding box fitted
    to 20x20 keeping its aspect, anti-aliased, centred by its centre of mass in 28x28).
    Three-channel models (AlexNet): RGB, shorter side resized to 256/224 of the input,
    centre-cropped to H x W.
    """
    from PIL import Image

    channels, height, width = info.input_shape
    if channels == 1:
        ink = light_on_dark(image.convert("L"), invert)
        array = mnist_style(ink, size=max(height, width))
        if height != width:  # no registry model has one; kept general
            field = Image.fromarray(array).resize((width, height), Image.BILINEAR)
            array = np.asarray(field, dtype=np.float32)
        pixels = array[None, :, :]  # already in [0, 1]
    else:
        rgb = image.convert("RGB")
        short = round(min(height, width) * 256 / 224)
        w0, h0 = rgb.size
        scale = short / min(w0, h0)
        resized = rgb.resize(
            (max(width, round(w0 * scale)), max(height, round(h0 * scale))), Image.BILINEAR
        )
        left = (resized.size[0] - width) // 2
        top = (resized.size[1] - height) // 2
        cropped = resized.crop((left, top, left + width, top + height))
        array = np.asarray(cropped, dtype=np.float32).transpose(2, 0, 1)
        if channels != 3:
            array = array.mean(axis=0, keepdims=True).repeat(channels, axis=0)
        pixels = array / 255.0
    tensor = torch.from_numpy(np.ascontiguousarray(pixels)).float()
    mean = torch.tensor(info.mean, dtype=torch.float32).reshape(-1, 1, 1)
    std = torch.tensor(info.std, dtype=torch.float32).reshape(-1, 1, 1)
    return ((tensor - mean) / std).unsqueeze(0)


def load_image(path: str | Path, info: ModelInfo) -> torch.Tensor:
    """A picture file as the model's input (1, C, H, W), decoded as a person sees it
    (``engine.data.images.read_picture``: orientation, transparency over white, any mode);
    DataError (one line) if it is missing, unreadable or oversize."""
    return prepare_image(read_picture(path), info)


def denormalize(x: torch.Tensor, info: ModelInfo) -> np.ndarray:
    """An input tensor (1, C, H, W) or (C, H, W) back to float32 pixels in [0, 1], (C, H, W)."""
    tensor = x.detach().cpu().float()
    if tensor.dim() == 4:
        tensor = tensor[0]
    mean = torch.tensor(info.mean, dtype=torch.float32).reshape(-1, 1, 1)
    std = torch.tensor(info.std, dtype=torch.float32).reshape(-1, 1, 1)
    return (tensor * std + mean).clamp(0, 1).numpy()
