"""Activation maximisation: an input optimised from noise to excite one conv channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.errors import SpecError
from engine.inspect.attribution import layer_module, require_conv
from engine.inspect.evaluation import eval_mode, model_device


class _Reached(Exception):
    """Raised by a hook to stop the forward pass once the wanted layer has run."""


def channel_activation(
    model: nn.Module, module: nn.Module, channel: int, x: torch.Tensor
) -> torch.Tensor:
    """Mean activation of ``channel`` of ``module``'s output; later layers are not run."""
    captured: list[torch.Tensor] = []

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
        captured.append(out)
        raise _Reached

    handle = module.register_forward_hook(hook)
    try:
        model(x)
    except _Reached:
        pass
    finally:
        handle.remove()
    return captured[0][:, channel].mean()


@dataclass(frozen=True)
class ActMaxResult:
    image: np.ndarray  # float32 (C, H, W), the optimised input in the model's input units
    start: float  # the channel's mean activation for the starting noise
    end: float  # ... and for the optimised image
    layer: str
    channel: int


def activation_maximisation(
    model: nn.Module,
    layer: str | None,
    channel: int,
    input_shape: tuple[int, int, int],
    steps: int = 60,
    lr: float = 0.1,
    l2: float = 1e-3,
    seed: int = 0,
    bounds: tuple[float, float] | None = None,
) -> ActMaxResult:
    """Optimise an input from small noise to excite one conv channel (mean activation).

    Adam ascends the channel's mean activation minus ``l2`` times the input's mean square
    (the small regulariser that keeps the picture from blowing up); ``bounds`` clamps pixels
    to the valid input range after every step. The model's weights are not touched.
    """
    name = require_conv(model, layer)
    module = layer_module(model, name)
    if not 0 <= channel < module.out_channels:
        raise SpecError(
            f"channel {channel} is out of range for {name}; use 0 to {module.out_channels - 1}"
        )
    generator = torch.Generator().manual_seed(seed)
    start = 0.1 * torch.randn((1, *input_shape), generator=generator)
    image = start.to(model_device(model)).requires_grad_(True)
    optimizer = torch.optim.Adam([image], lr=lr)
    with eval_mode(model), torch.enable_grad():
        first = float(channel_activation(model, module, channel, image).detach())
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            objective = channel_activation(model, module, channel, image)
            loss = -objective + l2 * image.pow(2).mean()
            (grad,) = torch.autograd.grad(loss, image)  # no grads land on the weights
            image.grad = grad
            optimizer.step()
            if bounds is not None:
                with torch.no_grad():
                    image.clamp_(*bounds)
        last = float(channel_activation(model, module, channel, image).detach())
    picture = image.detach()[0].cpu().numpy().astype(np.float32)
    return ActMaxResult(picture, first, last, name, channel)
