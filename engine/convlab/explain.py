"""One output cell of the convolution lab, explained: its window, products, sums and bias.

numpy only (the TUI process imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.convlab.arithmetic import prepare_conv, resolve_padding
from engine.convlab.inputs import ConvError

# ---------------------------------------------------------------------------------------------
# One output cell, explained


@dataclass(frozen=True)
class CellExplanation:
    """Output cell (out_channel, row, col): the window, the products and their sum plus bias.

    ``rows`` and ``cols`` are the window's half-open ranges in input coordinates; they reach
    outside the input where the window covers padding (those patch values are 0).
    """

    out_channel: int
    row: int
    col: int
    rows: tuple[int, int]
    cols: tuple[int, int]
    patch: np.ndarray = field(repr=False)  # (C, kh, kw)
    kernel: np.ndarray = field(repr=False)  # (C, kh, kw)
    products: np.ndarray = field(repr=False)  # (C, kh, kw)
    channel_sums: np.ndarray = field(repr=False)  # (C,)
    sum: float = 0.0
    bias: float = 0.0
    total: float = 0.0


def explain_cell(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    padding: str | int = "valid",
    stride: int = 1,
    out_channel: int = 0,
    row: int = 0,
    col: int = 0,
) -> CellExplanation:
    """The multiply-adds behind one output cell, as the step mode prints them."""
    padded, weights, b, s, (out_h, out_w) = prepare_conv(x, w, bias, padding, stride)
    k, _, kh, kw = weights.shape
    if not (0 <= out_channel < k and 0 <= row < out_h and 0 <= col < out_w):
        raise ConvError(
            f"output cell ({out_channel}, {row}, {col}) is outside the "
            f"{k}x{out_h}x{out_w} output; pick a cell inside it"
        )
    ph, pw = resolve_padding(padding, weights.shape)
    top, left = row * s, col * s
    patch = padded[:, top : top + kh, left : left + kw].copy()
    kernel = weights[out_channel].copy()
    products = patch * kernel
    channel_sums = products.sum(axis=(1, 2))
    total_sum = float(channel_sums.sum())
    return CellExplanation(
        out_channel,
        row,
        col,
        (top - ph, top - ph + kh),
        (left - pw, left - pw + kw),
        patch,
        kernel,
        products,
        channel_sums,
        total_sum,
        float(b[out_channel]),
        total_sum + float(b[out_channel]),
    )
