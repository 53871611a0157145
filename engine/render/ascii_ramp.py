"""The shading characters that stand for values where there is no colour (--ascii, NO_COLOR).

One ramp for both processes (the CLI's engine.render.terminal and the app's tui.widgets):

- sequential maps (values from low to high): ten shades ``" .:-=+*#%@"``, blank the lowest;
- diverging maps (signed values on a range centred on 0): five shades per sign around a blank
  for 0, negatives ``-~=xX`` and positives ``.:+*#`` (weak to strong), so a map of ``-x`` and
  one of ``+x`` are drawn with different characters and the sign survives without colour.

A character cell is about twice as tall as it is wide, so a picture of H x W pixels keeps its
aspect as W columns x H/2 rows (two pixel rows per text row, as the colour half-blocks do) or
2W columns x H rows (a small map such as a 3x3 kernel, each pixel two characters wide).
Numpy only.
"""

from __future__ import annotations

import numpy as np

SEQUENTIAL_SHADES = " .:-=+*#%@"  # lowest to highest
NEGATIVE_SHADES = "-~=xX"  # weak to strong negative
POSITIVE_SHADES = ".:+*#"  # weak to strong positive
# most negative .. 0 (blank) .. most positive: index 5 is the value 0 of a symmetric range
DIVERGING_SHADES = NEGATIVE_SHADES[::-1] + " " + POSITIVE_SHADES
ZERO_INDEX = len(NEGATIVE_SHADES)


def ramp_for(diverging: bool) -> str:
    """The shades of a diverging (signed, centred on 0) or a sequential map."""
    return DIVERGING_SHADES if diverging else SEQUENTIAL_SHADES


def shade_index(values01: np.ndarray, ramp_length: int) -> np.ndarray:
    """The ramp position (0 .. ramp_length-1) of each value in [0, 1]: equal-width bins, so a
    larger value never gets a lower shade; NaN counts as 0, values outside are clipped."""
    values = np.clip(np.nan_to_num(np.asarray(values01, dtype=np.float64), nan=0.0), 0.0, 1.0)
    return np.minimum((values * ramp_length).astype(np.intp), ramp_length - 1)


def shade_chars(values01: np.ndarray, ramp: str = SEQUENTIAL_SHADES) -> np.ndarray:
    """The shading character for each value in [0, 1] (an array of 1-character strings)."""
    return np.asarray(list(ramp))[shade_index(values01, len(ramp))]


def shade_char(value01: float, diverging: bool = False) -> str:
    """One value's shading character (see :func:`shade_chars`)."""
    ramp = ramp_for(diverging)
    return ramp[int(shade_index(np.asarray(value01), len(ramp)))]


def ramp_legend(lo: str, hi: str, diverging: bool, brackets: bool = True, zero: bool = True) -> str:
    """The legend of an ASCII map: every shade once between the numeric ends, the blank shown
    by brackets; a diverging one names 0 between its negative and positive shades.

    ``"0 [ .:-=+*#%@] 3.016"``, ``"-0.39 [Xx=~-] 0 [.:+*#] 0.39"``; where they do not fit,
    without brackets (``"-0.39 Xx=~- 0 .:+*# 0.39"``) and without the 0 that the blank between
    the signs stands for (``"-0.39 Xx=~- .:+*# 0.39"``)."""
    left, right = ("[", "]") if brackets else ("", "")
    if diverging:
        negative, positive = NEGATIVE_SHADES[::-1], POSITIVE_SHADES
        middle = " 0 " if zero else " "
        return f"{lo} {left}{negative}{right}{middle}{left}{positive}{right} {hi}"
    return f"{lo} {left}{SEQUENTIAL_SHADES}{right} {hi}"


def even_zoom(zoom: int) -> int:
    """``zoom`` rounded up to an even number: an enlarged map drawn with two pixel rows per
    text row then never averages two different pixel rows into one character."""
    zoom = max(1, int(zoom))
    return zoom + zoom % 2
