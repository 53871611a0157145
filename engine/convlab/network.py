"""The fixed-filter network of the convolution lab: four hand-made edge filters, ReLU, max pool.

numpy only; each stage's maps are kept so the CLI can show them one after another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.convlab.arithmetic import (
    as_volume,
    check_padding_fits,
    check_stride_fits,
    conv2d_vectorised,
    pool2d,
    relu,
    resolve_padding,
)
from engine.convlab.inputs import FILTER_GROUPS, FILTERS

FIXED_FILTERS = FILTER_GROUPS["fixed"]


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    maps: np.ndarray  # (C, H, W)


def fixed_filter_weights() -> np.ndarray:
    """The four hand-made edge filters as conv weights (4, 1, 4, 4)."""
    return np.stack([FILTERS[name][1] for name in FIXED_FILTERS])[:, None]


def fixed_filter_network(
    image: np.ndarray,
    padding: str | int = "valid",
    pool_size: int = 2,
    pool_stride: int | None = None,
) -> list[Stage]:
    """Each stage of conv(4 edge filters, no bias) -> ReLU -> max pool for one image."""
    x = as_volume(image)
    weights = fixed_filter_weights()
    if x.shape[0] != 1:
        weights = np.repeat(weights, x.shape[0], axis=1)
    check_padding_fits(resolve_padding(padding, weights.shape), weights.shape)
    conv = conv2d_vectorised(x, weights, padding=padding)
    activated = relu(conv)
    pooled = pool2d(activated, pool_size, pool_stride, "max")  # checks the window fits first
    if isinstance(pool_stride, int):
        check_stride_fits(pool_stride, max(conv.shape[1:]), "convolution output", "pool stride")
    names = ", ".join(FIXED_FILTERS)
    return [
        Stage("input", f"input {x.shape[1]}x{x.shape[2]}", x),
        Stage(
            "conv",
            f"conv with the four edge filters ({names}) -> {conv.shape[1]}x{conv.shape[2]}",
            conv,
        ),
        Stage("relu", "ReLU: negatives become 0", activated),
        Stage(
            "pool",
            f"max pool {pool_size}x{pool_size} stride {pool_stride or pool_size} -> "
            f"{pooled.shape[1]}x{pooled.shape[2]}",
            pooled,
        ),
    ]
