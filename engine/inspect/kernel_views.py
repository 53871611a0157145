"""What a conv layer's kernels need besides their weights to be drawn right: the groups (which
input channels each kernel sees) and, for a first layer on colour images, each kernel as one
RGB picture.

A conv with ``groups`` g has weight (out, in/g, kh, kw): kernel k belongs to group
k // (out/g) and reads input channels [group·in/g, (group + 1)·in/g). Depthwise convs (g = in)
read one channel each. Numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SMALLEST_RANGE = 1e-5  # as torchvision's make_grid: a flat kernel is not divided by ~0


def group_facts(out_channels: int, in_channels: int, groups: int) -> dict[str, Any]:
    """``groups``, ``in_channels`` (of the layer), ``in_per_group``, ``out_per_group``,
    ``depthwise`` (each kernel reads one channel of its own group: g = in > 1) and
    ``channels_seen``: int32 (out, 2), the half-open range [start, stop) of input channels
    kernel k reads. ValueError when the channels do not divide into the groups."""
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{in_channels} in and {out_channels} out channels in {groups} groups")
    in_per, out_per = in_channels // groups, out_channels // groups
    group = np.arange(out_channels) // out_per
    seen = np.stack([group * in_per, (group + 1) * in_per], axis=1).astype(np.int32)
    return {
        "groups": int(groups),
        "in_channels": int(in_channels),
        "in_per_group": int(in_per),
        "out_per_group": int(out_per),
        "depthwise": groups == in_channels and groups > 1,
        "channels_seen": seen,
    }


def rgb_pictures(weights: np.ndarray) -> np.ndarray:
    """Kernels (out, 3, kh, kw) as RGB pictures float32 (out, 3, kh, kw) in [0, 1], each
    kernel scaled by its own min and max over all three channels, as torchvision's
    ``make_grid(normalize=True, scale_each=True)`` does (a flat kernel stays 0)."""
    values = np.asarray(weights, dtype=np.float32)
    if values.ndim != 4 or values.shape[1] != 3:
        raise ValueError(f"RGB kernels are (out, 3, kh, kw), not {values.shape}")
    low = values.min(axis=(1, 2, 3), keepdims=True)
    high = values.max(axis=(1, 2, 3), keepdims=True)
    return ((values - low) / np.maximum(high - low, SMALLEST_RANGE)).astype(np.float32)
