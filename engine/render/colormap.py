"""Numpy-only colour maps: 256-entry RGB lookup tables, xterm-256 mapping and an ASCII ramp.

``SEQUENTIAL`` approximates matplotlib's viridis (perceptually uniform, dark purple to yellow)
from its nine published anchor colours; ``DIVERGING`` runs dark blue - white - dark red with white
at index 128, the value 0 under a symmetric range. ``GRAY`` is for input images.
"""

from __future__ import annotations

import numpy as np

from engine.render.ascii_ramp import DIVERGING_SHADES, SEQUENTIAL_SHADES, shade_chars

# Nine evenly spaced samples of viridis (matplotlib's _viridis_data at 0, 1/8, ..., 1).
VIRIDIS_ANCHORS = (
    (68, 1, 84),
    (72, 40, 120),
    (62, 73, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (110, 206, 88),
    (253, 231, 37),
)
# Blue half then red half of a ColorBrewer RdBu-like map, meeting at white.
DIVERGING_BLUE = ((5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240))
DIVERGING_RED = ((253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43), (103, 0, 31))
WHITE = (255, 255, 255)
CENTER = 128  # DIVERGING[CENTER] is white: value 0 under a range symmetric about 0

# The shading characters without colour live in engine.render.ascii_ramp (one ramp for the CLI
# and the app): ten shades low to high, and for a diverging map negatives (-~=xX) and positives
# (.:+*#) around a blank 0, so that the sign survives (a grey ramp alone would lose it).
ASCII_RAMP = SEQUENTIAL_SHADES
DIVERGING_RAMP = DIVERGING_SHADES
# A value that is not a number (NaN, +-inf: a diverged run's weights) is drawn as this
# character, white on magenta in colour: in no ramp and no colour map, so never read as a value.
NONFINITE_CHAR = "!"
NONFINITE_FG = (255, 255, 255)
NONFINITE_BG = (255, 0, 255)
NONFINITE_NOTE = "! = NaN/inf"

CUBE_LEVELS = np.array([0, 95, 135, 175, 215, 255], dtype=np.int64)
GREY_LEVELS = 8 + 10 * np.arange(24, dtype=np.int64)  # xterm 232..255


def interpolate(anchors: tuple[tuple[int, int, int], ...], count: int) -> np.ndarray:
    """``count`` RGB colours linearly interpolated through evenly spaced anchors, uint8."""
    points = np.asarray(anchors, dtype=np.float64)
    if count == 1:
        return points[:1].round().astype(np.uint8)
    positions = np.linspace(0.0, 1.0, len(points))
    t = np.linspace(0.0, 1.0, count)
    channels = [np.interp(t, positions, points[:, c]) for c in range(3)]
    return np.clip(np.rint(np.stack(channels, axis=1)), 0, 255).astype(np.uint8)


def _diverging() -> np.ndarray:
    blue = interpolate((*DIVERGING_BLUE, WHITE), CENTER + 1)  # indices 0..128, white at 128
    red = interpolate((WHITE, *DIVERGING_RED), 256 - CENTER)  # indices 128..255
    return np.concatenate([blue, red[1:]], axis=0)


SEQUENTIAL: np.ndarray = interpolate(VIRIDIS_ANCHORS, 256)
DIVERGING: np.ndarray = _diverging()
GRAY: np.ndarray = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
for _lut in (SEQUENTIAL, DIVERGING, GRAY):
    _lut.setflags(write=False)

COLORMAPS = {"sequential": SEQUENTIAL, "diverging": DIVERGING, "gray": GRAY}


def lut_index(values01: np.ndarray) -> np.ndarray:
    """Indices 0..255 for values in [0, 1] (0.5 -> 128); NaN -> 0, out-of-range clipped."""
    values = np.nan_to_num(np.asarray(values01, dtype=np.float64), nan=0.0)
    return np.clip(np.floor(values * 255.0 + 0.5), 0, 255).astype(np.intp)


def apply(values01: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """RGB uint8 ``(..., 3)`` for values in [0, 1] through a (256, 3) lookup table."""
    return np.asarray(lut)[lut_index(values01)]


def _nearest_level(channel: np.ndarray) -> np.ndarray:
    """Index 0..5 of the nearest xterm cube level for each 0..255 channel value."""
    return np.abs(channel[..., None] - CUBE_LEVELS).argmin(axis=-1)


def rgb_to_xterm256(rgb: np.ndarray) -> np.ndarray:
    """xterm-256 colour numbers (16..255) nearest to RGB ``(..., 3)`` values, vectorised.

    Compares the nearest colour of the 6x6x6 cube (16..231) with the nearest of the 24-step grey
    ramp (232..255) by squared RGB distance and keeps the closer one.
    """
    array = np.asarray(rgb, dtype=np.int64)
    if array.shape[-1:] != (3,):
        raise ValueError("rgb must have a last dimension of 3")
    idx = _nearest_level(array)
    cube_rgb = CUBE_LEVELS[idx]
    cube_code = 16 + 36 * idx[..., 0] + 6 * idx[..., 1] + idx[..., 2]
    cube_dist = ((array - cube_rgb) ** 2).sum(axis=-1)
    grey_idx = np.clip(np.rint((array.mean(axis=-1) - 8) / 10), 0, 23).astype(np.int64)
    grey_dist = ((array - GREY_LEVELS[grey_idx][..., None]) ** 2).sum(axis=-1)
    return np.where(grey_dist < cube_dist, 232 + grey_idx, cube_code).astype(np.uint8)


def xterm256_to_rgb(code: np.ndarray) -> np.ndarray:
    """The RGB of xterm-256 codes 16..255 (the inverse used by tests and previews)."""
    codes = np.asarray(code, dtype=np.int64)
    cube = np.clip(codes - 16, 0, 215)
    r, g, b = cube // 36, (cube // 6) % 6, cube % 6
    cube_rgb = np.stack([CUBE_LEVELS[r], CUBE_LEVELS[g], CUBE_LEVELS[b]], axis=-1)
    grey = GREY_LEVELS[np.clip(codes - 232, 0, 23)]
    grey_rgb = np.stack([grey, grey, grey], axis=-1)
    return np.where((codes >= 232)[..., None], grey_rgb, cube_rgb).astype(np.uint8)


def ascii_ramp(lut: np.ndarray | None) -> str:
    """The shading characters that stand for the colour map ``lut`` without colour."""
    return DIVERGING_RAMP if lut is DIVERGING else ASCII_RAMP


def ascii_chars(values01: np.ndarray, ramp: str = ASCII_RAMP) -> np.ndarray:
    """The shading character for each value in [0, 1] (array of 1-character strings)."""
    return shade_chars(values01, ramp)
