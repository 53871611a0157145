"""Numpy-only map arithmetic shared by the CLI, the child process and the TUI.

Feature maps and kernels arrive as float arrays ``(N, H, W)``; before they are drawn they are
scaled to ``[0, 1]`` against either one range shared by every map (so brightness compares across
maps) or each map's own range. For the trip between processes they are quantised to uint8 with
their per-map ranges, which is 4x smaller than float32 and exact enough for a 256-entry colour map.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScaledMaps:
    """Maps scaled to [0, 1] and the ranges they were scaled from.

    ``values``: float32, the input's shape, in [0, 1]; NaN where the input was not finite.
    ``ranges``: float64 ``(N, 2)``, each map's own (lo, hi) (widened to be symmetric about 0
    when scaled symmetrically). ``shared_range``: (lo, hi) over all maps. With ``shared=True``
    every map was scaled by ``shared_range``; otherwise map i was scaled by ``ranges[i]``.
    """

    values: np.ndarray
    ranges: np.ndarray
    shared_range: tuple[float, float]


def _as_maps(maps: np.ndarray) -> np.ndarray:
    array = np.asarray(maps)
    if array.ndim == 0:
        raise ValueError("maps must have at least one dimension (N, ...)")
    return array.astype(np.float64, copy=False)


def map_ranges(maps: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """(N, 2) per-map (lo, hi) over finite values; (0, 0) for a map with none.

    ``symmetric=True`` gives (-m, m) with m the largest magnitude, so 0 sits in the middle.
    """
    array = _as_maps(maps)
    flat = array.reshape(array.shape[0], -1)
    finite = np.isfinite(flat)
    has_any = finite.any(axis=1)
    lo = np.where(finite, flat, np.inf).min(axis=1, initial=np.inf)
    hi = np.where(finite, flat, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(has_any, lo, 0.0)
    hi = np.where(has_any, hi, 0.0)
    if symmetric:
        magnitude = np.maximum(np.abs(lo), np.abs(hi))
        lo, hi = -magnitude, magnitude
    return np.stack([lo, hi], axis=1).astype(np.float64)


def _scale(
    array: np.ndarray, lo: np.ndarray, hi: np.ndarray, symmetric: bool, keep_nonfinite: bool = False
) -> np.ndarray:
    """(array - lo) / (hi - lo) clipped to [0, 1]; a zero-width range gives 0 (0.5 if symmetric).

    Non-finite inputs give NaN with ``keep_nonfinite`` (so a picture can mark them), else the
    flat value (NaN), 1 (+inf) or 0 (-inf)."""
    span = hi - lo
    flat_value = 0.5 if symmetric else 0.0
    safe = np.where(span > 0, span, 1.0)
    with np.errstate(invalid="ignore"):  # inf - inf: marked or replaced below
        scaled = np.where(span > 0, (array - lo) / safe, flat_value)
    scaled = np.nan_to_num(scaled, nan=flat_value, posinf=1.0, neginf=0.0)
    scaled = np.clip(scaled, 0.0, 1.0).astype(np.float32)
    if keep_nonfinite:
        scaled[~np.isfinite(np.broadcast_to(array, scaled.shape))] = np.nan
    return scaled


def count_nonfinite(values: np.ndarray) -> int:
    """How many NaN or infinite values ``values`` holds (a diverged run's weights, say)."""
    return int(np.size(values) - np.count_nonzero(np.isfinite(values)))


def scale_maps(maps: np.ndarray, shared: bool = True, symmetric: bool = False) -> ScaledMaps:
    """Scale ``maps`` (N, ...) to [0, 1] against one shared range or each map's own range.

    Constant maps never divide by zero: a zero-width range maps to 0 (0.5 when symmetric, the
    centre of a diverging colour map). NaN and infinities are ignored when finding ranges and
    come out as NaN, so that a picture shows them as not-a-number rather than as a value.
    """
    array = _as_maps(maps)
    ranges = map_ranges(array, symmetric=symmetric)
    if ranges.shape[0]:
        shared_lo, shared_hi = float(ranges[:, 0].min()), float(ranges[:, 1].max())
    else:
        shared_lo = shared_hi = 0.0
    if shared:
        values = _scale(array, np.float64(shared_lo), np.float64(shared_hi), symmetric, True)
    else:
        extra = (1,) * (array.ndim - 1)
        lo = ranges[:, 0].reshape(-1, *extra)
        hi = ranges[:, 1].reshape(-1, *extra)
        values = _scale(array, lo, hi, symmetric, True)
    return ScaledMaps(values, ranges, (shared_lo, shared_hi))


def quantize(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-map uint8 quantisation: ``(q uint8 like maps, ranges float32 (N, 2))``.

    ``q = round((x - lo) / (hi - lo) * 255)`` with each map's own (lo, hi); constant maps give 0.
    """
    array = _as_maps(maps)
    ranges = map_ranges(array)
    extra = (1,) * (array.ndim - 1)
    scaled = _scale(
        array, ranges[:, 0].reshape(-1, *extra), ranges[:, 1].reshape(-1, *extra), symmetric=False
    )
    q = np.rint(scaled.astype(np.float64) * 255.0).astype(np.uint8)
    return q, ranges.astype(np.float32)


def dequantize(q: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Float32 maps back from :func:`quantize` output: ``lo + q / 255 * (hi - lo)``."""
    codes = np.asarray(q, dtype=np.float64)
    bounds = np.asarray(ranges, dtype=np.float64).reshape(-1, 2)
    if codes.ndim == 0 or codes.shape[0] != bounds.shape[0]:
        raise ValueError(f"{codes.shape[0] if codes.ndim else 0} maps but {bounds.shape[0]} ranges")
    extra = (1,) * (codes.ndim - 1)
    lo = bounds[:, 0].reshape(-1, *extra)
    hi = bounds[:, 1].reshape(-1, *extra)
    return (lo + codes / 255.0 * (hi - lo)).astype(np.float32)


def downsample(values: np.ndarray, max_h: int, max_w: int) -> np.ndarray:
    """Block-average a 2-D map to fit ``max_h`` x ``max_w`` (unchanged if it already fits)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError("downsample expects a 2-D map")
    h, w = array.shape
    fy = max(1, -(-h // max(1, max_h)))
    fx = max(1, -(-w // max(1, max_w)))
    if fy == 1 and fx == 1:
        return array.astype(np.float32)
    out_h, out_w = -(-h // fy), -(-w // fx)
    padded = np.full((out_h * fy, out_w * fx), np.nan)
    padded[:h, :w] = array
    blocks = padded.reshape(out_h, fy, out_w, fx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a block holding only NaN stays NaN
        return np.nanmean(blocks, axis=(1, 3)).astype(np.float32)


def upscale(values: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement of a 2-D map by an integer factor (tiny kernels)."""
    array = np.asarray(values)
    factor = max(1, int(factor))
    if factor == 1:
        return array
    return np.repeat(np.repeat(array, factor, axis=0), factor, axis=1)
