"""Half-block heatmap lines (numpy + rich, no Textual): codes and merged Segment runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style

from engine.render.colormap import ASCII_RAMP, COLORMAPS, DIVERGING_RAMP

if TYPE_CHECKING:
    from tui.widgets.palette import Palette

EMPTY = -1
NONFINITE = -2  # a value that is not a number (given as +-inf): drawn as a marked character
PLAIN = Style()  # the style of unstyled text: every Segment gets one (NO_COLOR's filter needs it)
UPPER_HALF = "▀"
LOWER_HALF = "▄"
MODES = ("truecolor", "256", "ascii")
RUN_BITS = 16  # run keys pack (pair << RUN_BITS) | run length; maps are < 65536 wide
RUN_MASK = (1 << RUN_BITS) - 1


def check_mode(mode: str) -> str:
    """``mode`` if it is a colour mode the widgets can draw; ValueError otherwise."""
    if mode not in MODES:
        raise ValueError(f"colour mode must be one of {MODES}, got {mode!r}")
    return mode


def resolve_lut(cmap: str | np.ndarray) -> np.ndarray:
    """A (256, 3) uint8 lookup table from a colour-map name or an array."""
    if isinstance(cmap, str):
        try:
            return COLORMAPS[cmap]
        except KeyError:
            raise ValueError(
                f"unknown colour map {cmap!r}; use one of {sorted(COLORMAPS)}"
            ) from None
    lut = np.asarray(cmap, dtype=np.uint8)
    if lut.shape != (256, 3):
        raise ValueError(f"a colour map LUT must be (256, 3) uint8, got {lut.shape}")
    return lut


def codes_from_values(maps: np.ndarray) -> np.ndarray:
    """int16 codes 0..255 from floats in [0, 1] (clipped) or uint8 indices; EMPTY for NaN (no
    pixel), NONFINITE for +-inf (a value that was not a number, see :func:`mark_nonfinite`)."""
    array = np.asarray(maps)
    if array.dtype == np.uint8:
        return array.astype(np.int16)
    values = array.astype(np.float32, copy=False)
    nan, inf = np.isnan(values), np.isinf(values)
    finite = np.where(nan | inf, 0.0, values)
    codes = np.clip(np.floor(finite * 255.0 + 0.5), 0, 255).astype(np.int16)
    codes[nan] = EMPTY
    codes[inf] = NONFINITE
    return codes


def mark_nonfinite(scaled: np.ndarray) -> np.ndarray:
    """Scaled maps (``scale_maps(...).values``: NaN where the input was not finite) with those
    places set to +inf, which the grid draws as the not-a-number mark instead of no pixel."""
    values = np.asarray(scaled, dtype=np.float32)
    return np.where(np.isnan(values), np.float32(np.inf), values)


def codes_from_rgb(images: np.ndarray) -> np.ndarray:
    """int32 ``0xRRGGBB`` codes from uint8 RGB ``(..., 3)``."""
    rgb = np.asarray(images, dtype=np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def map_rows(keys: np.ndarray, palette: Palette) -> list[list[Segment]]:
    """Segments for each terminal row of one map of keys ``(H, W)`` (``ceil(H/2)`` rows).

    Runs of equal (top, bottom) pairs are merged into one segment. Run boundaries are found
    for the whole map at once with numpy; segments come from the palette's bounded cache.
    """
    height, width = keys.shape
    if height % 2:
        keys = np.concatenate([keys, np.full((1, width), palette.empty, dtype=keys.dtype)])
    n_rows = keys.shape[0] // 2
    if width == 0 or n_rows == 0:
        return [[] for _ in range(n_rows)]
    if palette.mode == "ascii":
        pairs = _ascii_pairs(keys, palette)
    else:
        pairs = keys[0::2] * palette.n_keys + keys[1::2]
    flat = pairs.reshape(-1)
    starts_mask = np.empty(flat.size, dtype=bool)
    starts_mask[0] = True
    np.not_equal(flat[1:], flat[:-1], out=starts_mask[1:])
    starts_mask[::width] = True
    starts = np.flatnonzero(starts_mask)
    lengths = np.diff(starts, append=flat.size)
    run_keys = (flat[starts] << RUN_BITS) | lengths
    segments = palette.segments(run_keys.tolist())
    bounds = np.searchsorted(starts, np.arange(n_rows + 1) * width).tolist()
    return [segments[bounds[i] : bounds[i + 1]] for i in range(n_rows)]


def _ascii_pairs(keys: np.ndarray, palette: Palette) -> np.ndarray:
    """ASCII pairs quantised to the shading ramp so equal characters merge into runs."""
    top, bottom = keys[0::2], keys[1::2]
    special = (top == palette.highlight) | (bottom == palette.highlight)
    marked = (top == palette.nonfinite) | (bottom == palette.nonfinite)
    empty_top, empty_bottom = top == palette.empty, bottom == palette.empty
    both = ~empty_top & ~empty_bottom
    level = np.where(both, (top + bottom) // 2, np.where(empty_top, bottom, top))
    # canonical pair: (level, level) for shaded cells; the ramp maps equal levels identically
    ramp_len = len(DIVERGING_RAMP) if palette.diverging else len(ASCII_RAMP)
    level = np.minimum(level * ramp_len // 256, ramp_len - 1) * 255 // max(1, ramp_len - 1)
    n = palette.n_keys
    pairs = level * n + level
    pairs = np.where(empty_top & empty_bottom, palette.empty * n + palette.empty, pairs)
    pairs = np.where(marked, palette.nonfinite * n + palette.nonfinite, pairs)
    return np.where(special, palette.highlight * n + palette.highlight, pairs)


def outline(codes_shape: tuple[int, int], box: Sequence[int]) -> np.ndarray:
    """Boolean mask of the rectangle just outside ``box`` = (y0, x0, y1, x1) (end-exclusive),
    clipped to the map; where the outside falls off the map the box's own border is used."""
    height, width = codes_shape
    y0, x0, y1, x1 = (int(v) for v in box)
    top, left = max(0, y0 - 1), max(0, x0 - 1)
    bottom, right = min(height - 1, y1), min(width - 1, x1)
    mask = np.zeros((height, width), dtype=bool)
    if top > bottom or left > right:
        return mask
    mask[top, left : right + 1] = True
    mask[bottom, left : right + 1] = True
    mask[top : bottom + 1, left] = True
    mask[top : bottom + 1, right] = True
    return mask


def resample_index(size: int, new_size: int) -> np.ndarray:
    """Nearest-neighbour source indices to resize an axis of ``size`` to ``new_size``."""
    new_size = max(1, int(new_size))
    return np.minimum((np.arange(new_size) * size) // new_size, size - 1)
