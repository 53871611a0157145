"""Activation maximisation: an input optimised to excite a class logit or one conv channel.

Regularised as the field does it so the picture shows strokes, not adversarial noise: a random
jitter every step (Olah et al. 2017, "Feature Visualization", Distill: transformation
robustness), a total-variation penalty (Mahendran & Vedaldi 2015, "Understanding Deep Image
Representations by Inverting Them"; Olah et al. 2017), L2 decay and a Gaussian blur every few
steps (Yosinski et al. 2015, "Understanding Neural Networks Through Deep Visualization"),
several hundred Adam steps from a faint start, pixels clamped to the valid input range.
The priors live in ``engine.inspect.regularisers``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import SpecError
from engine.inspect import regularisers
from engine.inspect.attribution import require_conv
from engine.inspect.evaluation import eval_mode, model_device
from engine.inspect.layer_calls import probe_input, resolve_layer
from engine.models.registry import named_layers

Objective = Callable[[torch.Tensor], torch.Tensor]  # (1, C, H, W) input -> scalar to raise
LEAK = 0.1  # the slope below 0 of the channel objective's ReLU while ascending


class _Reached(Exception):
    """Raised by a hook to stop the forward pass once the wanted layer has run."""


def channel_activation(
    model: nn.Module,
    module: nn.Module,
    channel: int,
    x: torch.Tensor,
    slope: float | None = None,
    call: int = 0,
) -> torch.Tensor:
    """Mean activation of ``channel`` of the output of call ``call`` (0-based) of ``module``
    over all positions; with ``slope``, of its leaky ReLU (0.0: of its ReLU). Later layers
    are not run."""
    captured: list[torch.Tensor] = []
    seen = [0]

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
        seen[0] += 1
        if seen[0] == call + 1:
            captured.append(out)
            raise _Reached

    handle = module.register_forward_hook(hook)
    try:
        model(x)
    except _Reached:
        pass
    finally:
        handle.remove()
    if not captured:
        raise SpecError(f"{type(module).__name__} call {call + 1} did not run; pick another layer")
    values = captured[0][:, channel]
    return (values if slope is None else F.leaky_relu(values, slope)).mean()


@dataclass(frozen=True)
class ActMaxSettings:
    """How the input is optimised (the defaults are the ones measured on fast-net).

    ``steps`` Adam steps of rate ``lr`` (model input units) from ``start_scale`` times normal
    noise; each step the input is rolled by up to ``jitter`` pixels before the forward pass,
    ``tv`` times its total variation (``regularisers.tv_penalty``) is subtracted from the
    objective (divided by its gradient's RMS at the start, see ``gradient_size``), the input
    is multiplied by ``1 - decay`` (L2 decay towards 0, the data set's mean pixel) and every
    ``blur_every`` steps blurred by a Gaussian of ``blur_sigma`` pixels. Measured on fast-net
    (1 epoch, all ten classes): tv 1-5x smaller keeps more noise, 40x larger flattens the
    picture until no class reaches p 0.9."""

    steps: int = 400
    lr: float = 0.05
    jitter: int = 2
    tv: float = 50.0
    decay: float = 0.0005
    blur_every: int = 4
    blur_sigma: float = 0.5
    start_scale: float = 0.05

    def __post_init__(self) -> None:
        if self.steps < 1 or self.steps > 100_000:
            raise SpecError(f"steps {self.steps} is out of range; use 1 to 100000")


@dataclass(frozen=True)
class ActMaxResult:
    """One optimised input and what it does to the model.

    ``image`` float32 (C, H, W) in the model's input units (clamped to ``bounds`` when given);
    ``start``/``end`` the objective (class logit, or the mean of the channel's ReLU) for the
    faint start and for the final image; ``probability`` the softmax probability of
    ``target_class`` for the final image (None for a channel); ``layer`` the logits layer for a
    class, the conv layer for a channel."""

    image: np.ndarray
    start: float
    end: float
    layer: str
    channel: int | None
    target_class: int | None = None
    probability: float | None = None
    steps: int = 0
    seed: int = 0

    @property
    def target(self) -> int:
        """The class or the channel maximised."""
        return int(self.target_class if self.target_class is not None else self.channel or 0)


def logits_layer(model: nn.Module) -> str:
    """The name of the layer that outputs the logits: the last Linear (else the last layer)."""
    layers = named_layers(model)
    linear = [name for name, module in layers if isinstance(module, nn.Linear)]
    return linear[-1] if linear else (layers[-1][0] if layers else "output")


def class_count(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """How many logits the model outputs for one input of ``input_shape``."""
    device = model_device(model)
    with eval_mode(model), torch.no_grad():
        return int(model(torch.zeros((1, *input_shape), device=device)).shape[1])


def class_objective(model: nn.Module, target_class: int, classes: int) -> Objective:
    """The logit of ``target_class``; SpecError naming the valid classes when out of range."""
    if not 0 <= int(target_class) < classes:
        raise SpecError(f"class {target_class} is out of range; use 0 to {classes - 1}")
    return lambda x: model(x)[0, int(target_class)]


def channel_objectives(
    model: nn.Module, layer: str | None, channel: int, input_shape: tuple[int, ...] = (1, 28, 28)
) -> tuple[str, Objective, Objective]:
    """The conv call's key, the measure and the ascent objective of its ``channel``.

    ``layer`` is a conv call's key (``conv1``, ``conv1#2``); None: the last conv executed
    for an input of ``input_shape``. The measure is the mean of the channel's rectified
    output, ReLU(conv), over all
    positions: the picture may excite it anywhere (a centre neuron would fight the jitter),
    and the ReLU keeps it from being a linear function of the input's mean (the mean of a
    conv output is, and a flat image would win). The ascent uses a leaky ReLU (slope
    ``LEAK``) so that a channel silent on the faint start still gets a gradient (the role of
    Lucid's "redirected ReLU" in Olah et al. 2017)."""
    name = require_conv(model, layer, probe_input(model, input_shape))
    _, call, module = resolve_layer(model, name)
    if not 0 <= int(channel) < module.out_channels:
        raise SpecError(
            f"channel {channel} is out of range for {name}; use 0 to {module.out_channels - 1}"
        )
    c = int(channel)
    return (
        name,
        lambda x: channel_activation(model, module, c, x, slope=0.0, call=call),
        lambda x: channel_activation(model, module, c, x, slope=LEAK, call=call),
    )


def gradient_size(objective: Objective, image: torch.Tensor) -> float:
    """Root mean square of d objective / d input at ``image`` (1.0 when it is 0).

    The objective is divided by it, so that the penalty weights mean the same for a class
    logit and for a channel's mean activation, whose gradients differ twentyfold."""
    (grad,) = torch.autograd.grad(objective(image), image)
    size = float(grad.pow(2).mean().sqrt())
    return size if size > 0 and np.isfinite(size) else 1.0


def optimise_input(
    objective: Objective,
    start: torch.Tensor,
    settings: ActMaxSettings,
    generator: torch.Generator,
    bounds: tuple[Any, Any] | None,
) -> torch.Tensor:
    """Adam ascent of ``objective`` from ``start`` (1, C, H, W) with the regularisers of
    ``settings``; returns the final input (detached). No gradient lands on the weights."""
    image = start.clone().requires_grad_(True)
    scale = 1.0 / gradient_size(objective, image)
    optimizer = torch.optim.Adam([image], lr=settings.lr)
    for step in range(settings.steps):
        shift = regularisers.random_shift(generator, settings.jitter)
        loss = -scale * objective(regularisers.jitter(image, shift))
        if settings.tv:
            loss = loss + settings.tv * regularisers.tv_penalty(image)
        (grad,) = torch.autograd.grad(loss, image)
        image.grad = grad
        optimizer.step()
        with torch.no_grad():
            image.mul_(1.0 - settings.decay)
            if settings.blur_every and (step + 1) % settings.blur_every == 0:
                image.copy_(regularisers.gaussian_blur(image, settings.blur_sigma))
            if bounds is not None:
                image.clamp_(min=bounds[0], max=bounds[1])
    return image.detach()


def activation_maximisation(
    model: nn.Module,
    layer: str | None = None,
    channel: int = 0,
    input_shape: tuple[int, int, int] = (1, 28, 28),
    steps: int | None = None,
    *,
    target_class: int | None = None,
    settings: ActMaxSettings | None = None,
    seed: int = 0,
    bounds: tuple[Any, Any] | None = None,
) -> ActMaxResult:
    """Optimise an input (1, *input_shape) to raise a class logit or a conv channel.

    ``target_class`` given: the logit of that class (``layer``/``channel`` ignored); else the
    mean rectified activation of ``channel`` of conv ``layer`` (the last conv layer when None;
    see ``channel_objectives``).
    ``bounds`` (lo, hi) in model input units clamps every pixel after each step (the valid
    range: (0 - mean)/std to (1 - mean)/std; numbers, or sequences of one per channel);
    ``steps`` overrides ``settings.steps``; the same
    seed gives the same picture. The model's weights and train/eval flags are untouched.
    Raises SpecError (one line naming the valid range) for a bad class, layer or channel.
    """
    settings = settings or ActMaxSettings()
    if steps is not None:
        settings = ActMaxSettings(**{**settings.__dict__, "steps": int(steps)})
    probability: float | None = None
    if target_class is not None:
        name = logits_layer(model)
        measure = class_objective(model, target_class, class_count(model, input_shape))
        ascent = measure
    else:
        name, measure, ascent = channel_objectives(model, layer, channel, input_shape)
    generator = torch.Generator().manual_seed(seed)
    start = settings.start_scale * torch.randn((1, *input_shape), generator=generator)
    start = start.to(model_device(model))
    if bounds is not None:  # one (lo, hi) for all channels, or one per channel
        bounds = tuple(
            torch.as_tensor(b, dtype=start.dtype, device=start.device).reshape(1, -1, 1, 1)
            for b in bounds
        )
        start = start.clamp(min=bounds[0], max=bounds[1])
    with eval_mode(model), torch.enable_grad():
        first = float(measure(start).detach())
        image = optimise_input(ascent, start, settings, generator, bounds)
        with torch.no_grad():
            last = float(measure(image))
            if target_class is not None:
                probs = torch.softmax(model(image).float(), dim=1)
                probability = float(probs[0, int(target_class)])
    picture = image[0].cpu().numpy().astype(np.float32)
    return ActMaxResult(
        picture, first, last, name, None if target_class is not None else int(channel),
        None if target_class is None else int(target_class), probability, settings.steps, seed,
    )  # fmt: skip
