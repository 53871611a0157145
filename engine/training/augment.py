"""Batch augmentation on the device: random shifts and small rotations as one affine warp."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ConfigError
from engine.training.config import AUGMENTS

MAX_SHIFT_PX = 2.0  # digits are centred by mass in a 20x20 box inside 28x28: 2 px keeps them in
MAX_DEGREES = 10.0  # handwriting slants about this much; more turns 6 into 9-like shapes


class ShiftRotate(nn.Module):
    """Each image of a (N, C, H, W) batch shifted by up to ``max_shift`` pixels and rotated by up
    to ``max_degrees``, with one ``affine_grid`` + ``grid_sample`` for the whole batch.

    Works on normalised images: the area uncovered by the warp gets ``background`` (the
    normalised value of a black pixel: one number, or a (1, C, 1, 1) tensor with one value per
    channel for colour images), not 0. The random numbers come from torch's global
    generator on the batch's device, so a seeded run is repeatable. Identity in eval mode.
    """

    def __init__(
        self,
        background: float | torch.Tensor = 0.0,
        max_shift: float = MAX_SHIFT_PX,
        max_degrees: float = MAX_DEGREES,
    ) -> None:
        super().__init__()
        self.background = background
        self.max_shift = max_shift
        self.max_degrees = max_degrees

    def theta(self, count: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        """(count, 2, 3) affine matrices in grid_sample's [-1, 1] coordinates."""
        draws = torch.rand(count, 3, device=device) * 2 - 1
        angle = draws[:, 0] * math.radians(self.max_degrees)
        # One pixel is 2/size in [-1, 1] coordinates.
        shift_x = draws[:, 1] * self.max_shift * 2 / width
        shift_y = draws[:, 2] * self.max_shift * 2 / height
        cos, sin = torch.cos(angle), torch.sin(angle)
        return torch.stack(
            [torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n, c, h, w = x.shape
        theta = self.theta(n, h, w, x.device).to(x.dtype)
        grid = F.affine_grid(theta, [n, c, h, w], align_corners=False)
        warped = F.grid_sample(
            x - self.background, grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )
        return warped + self.background


def black_background(
    mean: tuple[float, ...], std: tuple[float, ...], device: torch.device | str = "cpu"
) -> float | torch.Tensor:
    """The normalised value of a black pixel: one number for one channel, else (1, C, 1, 1)
    on ``device`` (channel c: -mean[c] / std[c])."""
    values = [-float(m) / float(s) for m, s in zip(mean, std, strict=True)]
    if len(values) == 1:
        return values[0]
    return torch.tensor(values, dtype=torch.float32, device=device).reshape(1, -1, 1, 1)


def make_augment(name: str | None, background: float = 0.0) -> nn.Module | None:
    """The augmentation a config names (None for "none"), or ConfigError for an unknown name."""
    key = (name or "none").strip().lower()
    if key == "none":
        return None
    if key == "shift-rotate":
        return ShiftRotate(background)
    raise ConfigError(
        f"bad training option: --augment {name!r} is unknown; use one of {', '.join(AUGMENTS)}"
    )
