"""What a model computes inside: every layer's output, its kernels, and pictures as inputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.data.images import read_picture
from engine.data.mnist_style import light_on_dark, mnist_style
from engine.errors import SpecError
from engine.models.registry import ModelInfo, kernel_layers, named_layers


def _layer_names(model: nn.Module) -> list[str]:
    return [name for name, _ in named_layers(model)]


def _unknown_layer(layer: str, choices: Iterable[str], what: str = "layers") -> SpecError:
    return SpecError(f"unknown layer {layer!r}; {what}: {', '.join(choices) or 'none'}")


def _first_output(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        return next((o for o in output if isinstance(o, torch.Tensor)), None)
    return None


def capture_activations(
    model: nn.Module, x: torch.Tensor, layers: Iterable[str] | None = None
) -> OrderedDict[str, torch.Tensor]:
    """Every leaf layer's output (or only ``layers``) for input ``x``, in forward order.

    The model runs once in eval mode under ``torch.inference_mode``; outputs are copied
    (so a later in-place ReLU cannot change them) into ordinary CPU tensors without grad. Hooks are
    removed and each module's train/eval mode restored even when the forward pass fails.
    Unknown layer names raise SpecError listing the model's layers.
    """
    available = named_layers(model)
    modules = dict(available)
    wanted = list(modules) if layers is None else list(layers)
    for name in wanted:
        if name not in modules:
            raise _unknown_layer(name, modules)
    wanted_set = set(wanted)
    captured: dict[str, torch.Tensor] = {}

    def make_hook(name: str):
        def hook(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            tensor = _first_output(output)
            if tensor is not None and name not in captured:
                with torch.inference_mode(False):  # a normal tensor the caller may modify
                    captured[name] = tensor.detach().to("cpu", copy=True)

        return hook

    modes = {module: module.training for module in model.modules()}
    handles = []
    try:
        for name, module in available:
            if name in wanted_set:
                handles.append(module.register_forward_hook(make_hook(name)))
        model.eval()
        reference = next(iter(model.parameters()), None)
        device = reference.device if reference is not None else x.device
        with torch.inference_mode():
            model(x.to(device))
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes.items():
            module.training = mode
    return OrderedDict((name, captured[name]) for name in modules if name in captured)


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
    """A layer's weights as float32 (out, in, kh, kw) on the CPU; a Linear gives (out, in, 1, 1).

    Raises SpecError for an unknown layer or one without kernels, listing the layers with them.
    """
    modules = dict(named_layers(model))
    choices = kernel_layers(model)
    if layer not in modules:
        raise _unknown_layer(layer, choices, "layers with weights")
    if layer not in choices:
        raise SpecError(
            f"layer {layer!r} ({type(modules[layer]).__name__}) has no kernels; "
            f"layers with weights: {', '.join(choices) or 'none'}"
        )
    weight = modules[layer].weight.detach().to("cpu", torch.float32, copy=True)
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
