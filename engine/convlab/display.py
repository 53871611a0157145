"""How the convolution lab shows numbers: formatted grids, step explanations, colour scales.

numpy only (the TUI uses it): number formatting, a cell's multiply-adds as text, each panel
kind's colour scale (inputs grey over their own range, kernels and outputs diverging about 0),
scaling into [0, 1] and nearest-neighbour enlargement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.convlab.explain import CellExplanation


def format_number(value: float, decimals: int = 2) -> str:
    """Whole numbers without decimals, others rounded: how the grids print values.

    Non-finite values print as ``inf``, ``-inf`` and ``nan`` (round() would raise on them)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)  # Python spells them inf, -inf and nan
    if value == 0:
        return "0"
    if abs(value) >= 1e9:  # keep a cell short: 1e+300 rather than 301 digits
        return f"{value:.{decimals + 1}g}"
    if value == round(value):
        return str(int(round(value)))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def grid_lines(values: np.ndarray, decimals: int = 2, width: int | None = None) -> list[str]:
    """A 2-D array as right-aligned numbers, one line per row."""
    cells = [[format_number(v, decimals) for v in row] for row in np.asarray(values)]
    width = width or max((len(c) for row in cells for c in row), default=1)
    return [" ".join(c.rjust(width) for c in row) for row in cells]


def _term(value: float) -> str:
    text = format_number(value, 4)
    return f"({text})" if text.startswith("-") else text


def explanation_lines(exp: CellExplanation, decimals: int = 2) -> list[str]:
    """The cell's patch, kernel and products side by side per channel, then sum + bias."""
    lines = [
        f"output cell [{exp.out_channel}, {exp.row}, {exp.col}]: window rows "
        f"{exp.rows[0]}..{exp.rows[1] - 1}, cols {exp.cols[0]}..{exp.cols[1] - 1} of the "
        "input"
        + (" (outside cells are padding zeros)" if min(exp.rows[0], exp.cols[0]) < 0 else "")
    ]
    channels = exp.patch.shape[0]
    for c in range(channels):
        blocks = [
            grid_lines(exp.patch[c], decimals),
            grid_lines(exp.kernel[c], decimals),
            grid_lines(exp.products[c], decimals),
        ]
        titles = ["patch", "kernel", "products"]
        if channels > 1:
            titles[0] = f"patch ch{c}"
        widths = [
            max(len(title), *(len(line) for line in block))
            for title, block in zip(titles, blocks, strict=True)
        ]
        header = "     ".join(t.ljust(wd) for t, wd in zip(titles, widths, strict=True)).rstrip()
        signs = ["  *  ", "  =  "]
        lines.append(header)
        for r in range(exp.patch.shape[1]):
            parts = [
                blocks[0][r].ljust(widths[0]),
                signs[0] if r == 0 else "     ",
                blocks[1][r].ljust(widths[1]),
                signs[1] if r == 0 else "     ",
                blocks[2][r],
            ]
            lines.append("".join(parts).rstrip())
        if channels > 1:
            lines.append(f"channel {c} sum = {format_number(exp.channel_sums[c], 4)}")
    terms = " + ".join(_term(v) for v in exp.channel_sums) if channels > 1 else None
    summed = f"sum of products = {terms} = " if terms else "sum of products = "
    lines.append(
        f"{summed}{format_number(exp.sum, 4)};  + bias {_term(exp.bias)} "
        f"= {format_number(exp.total, 4)}"
    )
    return lines


def shared_range(arrays: Sequence[np.ndarray]) -> tuple[float, float, bool]:
    """One colour scale for several arrays: (lo, hi, diverging). With any negative value the
    range is symmetric about 0 (a diverging map, 0 in the middle), else it runs min..max."""
    # Only finite values set the scale: one inf would flatten every other map to one colour.
    finite = [a[np.isfinite(a)] for a in (np.asarray(m, dtype=np.float64) for m in arrays)]
    finite = [a for a in finite if a.size]
    if not finite:
        return 0.0, 1.0, False
    lo = min(float(a.min()) for a in finite)
    hi = max(float(a.max()) for a in finite)
    if lo < 0:
        magnitude = max(abs(lo), abs(hi))
        return -magnitude, magnitude, True
    return lo, hi, False


@dataclass(frozen=True)
class PanelScale:
    """One kind of panel's colour scale: ``lo``..``hi`` through colour map ``cmap`` ("gray":
    black at lo to white at hi; "diverging": blue - white at 0 - red, symmetric about 0),
    named ``label`` on its colour bar."""

    lo: float
    hi: float
    cmap: str
    label: str


# The panel kinds in the order their colour bars are shown, with their bars' labels.
SCALE_LABELS = {"input": "input", "kernel": "kernels", "output": "outputs"}


def _finite_values(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Every finite value of ``arrays`` as one flat float64 array (maybe empty)."""
    flat = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    values = np.concatenate(flat) if flat else np.zeros(0)
    return values[np.isfinite(values)]


def grey_scale(arrays: Sequence[np.ndarray], label: str = SCALE_LABELS["input"]) -> PanelScale:
    """A sequential grey scale over the arrays' own min..max (an input: brighter is larger;
    a flat input spans value..value + 1 so it is drawn black, not mid-grey)."""
    values = _finite_values(arrays)
    if not values.size:
        return PanelScale(0.0, 1.0, "gray", label)
    lo, hi = float(values.min()), float(values.max())
    return PanelScale(lo, hi if hi > lo else lo + 1.0, "gray", label)


def diverging_scale(arrays: Sequence[np.ndarray], label: str) -> PanelScale:
    """A diverging scale symmetric about 0 over the arrays' largest magnitude, so 0 is the
    map's white centre (all zeros: -1..1)."""
    values = _finite_values(arrays)
    magnitude = float(np.abs(values).max()) if values.size else 0.0
    magnitude = magnitude if magnitude > 0 else 1.0
    return PanelScale(-magnitude, magnitude, "diverging", label)


def panel_scale(kind: str, arrays: Sequence[np.ndarray]) -> PanelScale:
    """The colour scale of panels of ``kind`` ("input", "kernel" or "output") drawing
    ``arrays``: grey for inputs, diverging about 0 for kernels and outputs; ValueError for
    another kind."""
    if kind not in SCALE_LABELS:
        raise ValueError(f"panel kind must be one of {sorted(SCALE_LABELS)}, got {kind!r}")
    if kind == "input":
        return grey_scale(arrays)
    return diverging_scale(arrays, SCALE_LABELS[kind])


def to_unit(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """values scaled by (lo, hi) into [0, 1]; a flat range gives 0 (0.5 when symmetric)."""
    arr = np.asarray(values, dtype=np.float64)
    if hi <= lo:
        return np.full(arr.shape, 0.5 if lo < 0 else 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        unit = np.clip((arr - lo) / (hi - lo), 0.0, 1.0)  # inf -> 1, -inf -> 0
    return np.nan_to_num(unit, nan=0.0)  # nan has no colour; the number grid still says nan


def map_factor(largest_side: int) -> int:
    """Terminal pixels per value so small maps stay visible (1 for a 28x28 digit)."""
    return max(1, min(4, 16 // max(1, largest_side)))


def upscale(values: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor."""
    if factor <= 1:
        return np.asarray(values)
    return np.repeat(np.repeat(np.asarray(values), factor, axis=0), factor, axis=1)
