"""Shaping op payloads: dense weight matrices block-averaged, layer outputs quantised to uint8.

Payloads carry numpy arrays only (never tensors), so the parent process reads them without torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

DENSE_LIMIT = 512  # dense weight matrices are block-averaged down to at most this per side


def block_average(matrix: np.ndarray, limit: int = DENSE_LIMIT) -> np.ndarray:
    """Average ``matrix`` (rows, cols) over blocks so that neither side exceeds ``limit``.

    A side of n > limit is cut into ceil(n / ceil(n / limit)) blocks of ceil(n / limit)
    entries (the last one may be shorter); each output entry is the mean of its block.
    """
    out = np.asarray(matrix, dtype=np.float32)
    for axis in (0, 1):
        size = out.shape[axis]
        if size <= limit:
            continue
        factor = math.ceil(size / limit)
        starts = np.arange(0, size, factor)
        counts = np.diff(np.append(starts, size)).astype(np.float32)
        sums = np.add.reduceat(out, starts, axis=axis)
        shape = [1, 1]
        shape[axis] = len(starts)
        out = (sums / counts.reshape(shape)).astype(np.float32)
    return out


def kernel_payload(layer: str, weights: np.ndarray, shape: tuple[int, ...]) -> dict[str, Any]:
    """The ``kernels`` payload: float32 weights (dense ones block-averaged), range and shape."""
    if weights.ndim == 2:
        weights = block_average(weights)
    lo, hi = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
    return {
        "layer": layer,
        "weights": weights.astype(np.float32, copy=False),
        "range": (lo, hi),
        "shape": shape,
    }


def dense_template_payload(
    layer: str, weights: np.ndarray, shape: tuple[int, ...], template: tuple[int, int]
) -> dict[str, Any]:
    """The ``kernels`` payload of a dense layer fed by the input image: whole (out, H·W) rows,
    never block-averaged, and ``template_shape`` (H, W) to draw each unit's row as a picture."""
    payload = kernel_payload(layer, weights.reshape(weights.shape[0], 1, *template), shape)
    payload["weights"] = payload["weights"].reshape(weights.shape[0], -1)
    payload["template_shape"] = tuple(int(v) for v in template)
    return payload


def quantized_maps(layer: str, output: torch.Tensor) -> dict[str, Any]:
    """A layer output without its batch dimension as uint8 maps: (C, H, W), dense (1, 1, N);
    ``nonfinite`` (bool, the maps' shape) only when some values are NaN or infinite."""
    from engine.render.maps import quantize

    shape = tuple(int(s) for s in output.shape)
    values = output.detach().to("cpu", torch.float32).numpy()
    if values.ndim == 0:
        values = values.reshape(1, 1, 1)
    elif values.ndim == 1:
        values = values.reshape(1, 1, -1)
    elif values.ndim == 2:
        values = values.reshape(1, *values.shape)
    elif values.ndim > 3:
        values = values.reshape(values.shape[0], values.shape[1], -1)
    maps, ranges = quantize(values)
    payload = {
        "layer": layer,
        "maps": np.asarray(maps, dtype=np.uint8),
        "ranges": np.asarray(ranges, dtype=np.float32),
        "shape": shape,
    }
    nonfinite = ~np.isfinite(values)
    if nonfinite.any():  # uint8 cannot say "not a number": where, for the picture to mark
        payload["nonfinite"] = nonfinite
    return payload
