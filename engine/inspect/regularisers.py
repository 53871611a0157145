"""Image priors for activation maximisation: jitter, blur, total variation (torch and numpy).

The field's recipe for feature visualisations that show structure rather than adversarial
noise: Yosinski et al. 2015, "Understanding Neural Networks Through Deep Visualization" (L2
decay, Gaussian blur every few steps), Olah, Mordvintsev & Schubert 2017, "Feature
Visualization" (Distill; transformation robustness: random jitter each step) and Mahendran &
Vedaldi 2015, "Understanding Deep Image Representations by Inverting Them" (total-variation
prior). ``total_variation`` and ``noise_total_variation`` measure the result (numpy only).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def total_variation(image: np.ndarray) -> float:
    """Anisotropic L1 total variation of an image (H, W) or (C, H, W), per pixel.

    The sum of |x[c, i, j+1] - x[c, i, j]| and |x[c, i+1, j] - x[c, i, j]| over all
    neighbouring pairs, divided by the number of values C*H*W: the mean absolute step to the
    right and downward neighbours, in the image's own units (for [0, 1] pixels a solid image
    is 0 and a chequerboard of 0 and 1 is nearly 2). Compare it with ``noise_total_variation``
    over the same value range; the ratio does not depend on the units.
    """
    values = np.asarray(image, dtype=np.float64)
    if values.ndim == 2:
        values = values[None]
    if values.ndim != 3 or values.size == 0:
        raise ValueError(f"total_variation needs an (H, W) or (C, H, W) image, got {values.shape}")
    across = np.abs(np.diff(values, axis=2)).sum()
    down = np.abs(np.diff(values, axis=1)).sum()
    return float((across + down) / values.size)


def noise_total_variation(shape: tuple[int, ...], lo: float, hi: float, seed: int = 0) -> float:
    """``total_variation`` of uniform noise in [lo, hi] of ``shape`` ((H, W) or (C, H, W)).

    The yardstick for smoothness: an image with the same value range whose total variation is
    well below this one is made of strokes and areas, not of independent pixels. About
    (hi - lo) * 2/3 per pixel for large images (the mean |a - b| of two uniform draws is a
    third of the range, two neighbours per pixel).
    """
    noise = np.random.default_rng(seed).uniform(lo, hi, size=shape)
    return total_variation(noise)


def tv_penalty(image: torch.Tensor) -> torch.Tensor:
    """Differentiable anisotropic L1 total variation of (N, C, H, W), mean per value (the
    same units as ``total_variation``; Mahendran & Vedaldi 2015 with beta = 1)."""
    across = (image[..., :, 1:] - image[..., :, :-1]).abs().sum()
    down = (image[..., 1:, :] - image[..., :-1, :]).abs().sum()
    return (across + down) / image.numel()


def jitter(image: torch.Tensor, shift: tuple[int, int]) -> torch.Tensor:
    """(N, C, H, W) rolled by (rows, cols) pixels: the random translation each step that
    makes the optimised picture robust to where exactly it sits (Olah et al. 2017; the
    DeepDream notebook's np.roll)."""
    return torch.roll(image, shifts=shift, dims=(-2, -1))


def random_shift(generator: torch.Generator, pixels: int) -> tuple[int, int]:
    """A (rows, cols) shift, each uniform in [-pixels, pixels], from the seeded generator."""
    if pixels <= 0:
        return (0, 0)
    rows, cols = torch.randint(-pixels, pixels + 1, (2,), generator=generator).tolist()
    return (int(rows), int(cols))


def gaussian_kernel(sigma: float, radius: int | None = None) -> torch.Tensor:
    """A normalised 1-D Gaussian (2 * radius + 1,), radius 2 sigma by default (at least 1)."""
    radius = max(1, int(round(2 * sigma))) if radius is None else radius
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    weights = torch.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / weights.sum()


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, C, H, W) blurred per channel by a separable Gaussian of ``sigma`` pixels (edges
    replicated), as Yosinski et al. 2015 do every few steps to damp high frequencies."""
    if sigma <= 0:
        return image
    kernel = gaussian_kernel(sigma).to(image.device, image.dtype)
    radius = kernel.numel() // 2
    channels = image.shape[1]
    rows = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    cols = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    padded = F.pad(image, (radius, radius, radius, radius), mode="replicate")
    blurred = F.conv2d(padded, rows, groups=channels)
    return F.conv2d(blurred, cols, groups=channels)
