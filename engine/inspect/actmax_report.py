"""What an activation maximisation result says, as plain values: pixels, smoothness, class."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from engine.inspect.activation_max import ActMaxResult
from engine.inspect.attribution import conv_layers, layer_module
from engine.inspect.layer_calls import probe_input
from engine.inspect.regularisers import noise_total_variation, total_variation
from engine.models.registry import ModelInfo


def pixel_bounds(info: ModelInfo) -> tuple[float, float]:
    """The valid input range in the model's units: [0, 1] pixels normalised by mean and std
    (the widest over the channels)."""
    mean = np.asarray(info.mean, dtype=np.float64)
    std = np.asarray(info.std, dtype=np.float64)
    return float((-mean / std).min()), float(((1 - mean) / std).max())


def channel_bounds(info: ModelInfo) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The valid input range per channel in the model's units: ((0 - mean)/std per channel,
    (1 - mean)/std per channel), for clamping a colour input channel by channel."""
    mean = np.asarray(info.mean, dtype=np.float64)
    std = np.asarray(info.std, dtype=np.float64)
    return tuple(float(v) for v in -mean / std), tuple(float(v) for v in (1 - mean) / std)


def to_pixels(image: np.ndarray, info: ModelInfo) -> np.ndarray:
    """float32 (C, H, W) model units -> float32 (C, H, W) pixels in [0, 1]."""
    mean = np.asarray(info.mean, dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(info.std, dtype=np.float32).reshape(-1, 1, 1)
    return np.clip(image * std + mean, 0, 1).astype(np.float32)


def smoothness(pixels: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """(total variation of ``pixels``, that of uniform noise over the same value range and
    shape), both per value in pixel units (see ``regularisers.total_variation``)."""
    lo, hi = float(pixels.min()), float(pixels.max())
    return total_variation(pixels), noise_total_variation(pixels.shape, lo, hi, seed)


def actmax_payload(model: nn.Module, info: ModelInfo, result: ActMaxResult) -> dict[str, Any]:
    """The ``actmax`` op's reply: ``image`` float32 pixels in [0, 1], (H, W) for a 1-channel
    model and (3, H, W) RGB for a colour one (the app draws it in colour), ``pixels``
    (C, H, W) always, the target, the objective's ``start``/``end``,
    ``probability`` (class mode; None for a channel), ``total_variation`` and
    ``noise_total_variation``, ``steps`` and ``seed``."""
    pixels = to_pixels(result.image, info)
    tv, noise_tv = smoothness(pixels)
    is_class = result.target_class is not None
    channels = None if is_class else int(layer_module(model, result.layer).out_channels)
    return {
        "mode": "class" if is_class else "channel",
        "layer": result.layer,
        "target": result.target,
        "target_class": result.target_class,
        "channel": result.channel,
        "channels": channels,
        "layers": conv_layers(model, probe_input(model, tuple(info.input_shape))),
        "image": pixels[0] if pixels.shape[0] == 1 else pixels,
        "pixels": pixels,
        "start": result.start,
        "end": result.end,
        "probability": result.probability,
        "total_variation": tv,
        "noise_total_variation": noise_tv,
        "steps": result.steps,
        "seed": result.seed,
    }
