"""The convolution lab: convolution by hand, padding and stride, pooling, the fixed-filter network.

Everything here is numpy only, so the TUI process can use it without torch. Convolution is
cross-correlation, as in ``torch.nn.functional.conv2d``: no kernel flip. Shapes follow torch:
inputs (C, H, W) (a 2-D array is one channel), weights (K, C, kh, kw) (a 2-D filter is applied
across all input channels), outputs (K, Ho, Wo).

The torch-side helpers for trained models (``explain_conv_cell``, ``explain_model_cell``,
``receptive_field``, ``fixed_filter_model``) live in ``engine.convlab.torch_ops`` and are reachable
from here by attribute access, which imports torch only then; the fixed-filter network
(``fixed_filter_network``, ``Stage``, ...) lives in ``engine.convlab.network``, reachable the same
way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.convlab.display import (  # noqa: F401  (re-exported: the lab's public names)
    explanation_lines,
    format_number,
    grid_lines,
    map_factor,
    shared_range,
    to_unit,
    upscale,
)
from engine.convlab.inputs import (  # noqa: F401  (re-exported: the lab's public names)
    FILTER_GROUPS,
    FILTERS,
    INPUTS,
    ConvError,
    LabFilter,
    LabInput,
    format_kernel,
    load_filters,
    load_input,
    parse_kernel,
    read_test_digit,
    stack_filters,
    test_digit_count,
)

PADDING_HELP = "use valid, same or a number of zeros such as 1"
POOL_MODES = ("max", "avg")
_TORCH_NAMES = (
    "explain_conv_cell",
    "explain_model_cell",
    "receptive_field",
    "RFBox",
    "fixed_filter_model",
)


_NETWORK_NAMES = ("FIXED_FILTERS", "Stage", "fixed_filter_weights", "fixed_filter_network")


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from engine.convlab import torch_ops as convlab_torch
        return getattr(convlab_torch, name)
    if name in _NETWORK_NAMES:  # imported late: engine.convlab.network builds on this module
        from engine.convlab import network as convlab_network
        return getattr(convlab_network, name)
    raise AttributeError(f"module 'engine.convlab.lab' has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# Geometry


def output_size(n: int, f: int, p: int, s: int) -> int:
    """floor((n + 2p - f) / s) + 1, the output side for input n, kernel f, padding p, stride s."""
    check_stride(s)
    if n + 2 * p < f:
        raise ConvError(
            f"the {f}-wide kernel is larger than the padded input ({n} + 2*{p} = "
            f"{n + 2 * p}); use a smaller kernel or more padding"
        )
    return (n + 2 * p - f) // s + 1


def formula_text(n: int, f: int, p: int, s: int) -> str:
    """The output-size formula with the numbers filled in."""
    return f"floor(({n} + 2*{p} - {f}) / {s}) + 1 = {output_size(n, f, p, s)}"


def check_stride(stride: int) -> int:
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ConvError(f"stride {stride} is not allowed; use a whole number of at least 1")
    return int(stride)


def resolve_padding(padding: str | int, kernel_shape: Sequence[int]) -> tuple[int, int]:
    """Rows and columns of zeros for 'valid', 'same' (odd kernels) or a number."""
    kh, kw = int(kernel_shape[-2]), int(kernel_shape[-1])
    if isinstance(padding, str):
        text = padding.strip().lower()
        if text == "valid":
            return 0, 0
        if text == "same":
            if kh % 2 == 0 or kw % 2 == 0:
                raise ConvError(
                    f"padding 'same' needs an odd kernel, but this one is {kh}x{kw}; "
                    "use an odd-sized kernel or a number of zeros as padding"
                )
            return (kh - 1) // 2, (kw - 1) // 2
        try:
            padding = int(text)
        except ValueError:
            raise ConvError(f"padding {padding!r} is not understood; {PADDING_HELP}") from None
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ConvError(f"padding {padding!r} is not allowed; {PADDING_HELP}")
    return int(padding), int(padding)


def as_volume(x: np.ndarray) -> np.ndarray:
    """An input as float64 (C, H, W)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ConvError(f"an input must be (H, W) or (C, H, W), not shape {arr.shape}")
    return arr


def as_weights(w: np.ndarray, channels: int) -> np.ndarray:
    """Weights as float64 (K, C, kh, kw): a 2-D filter is applied across all channels."""
    arr = np.asarray(w, dtype=np.float64)
    if arr.ndim == 2:
        arr = np.repeat(arr[None, None], channels, axis=1)
    elif arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ConvError(f"weights must be (kh, kw), (C, kh, kw) or (K, C, kh, kw), not {arr.shape}")
    if arr.shape[1] != channels:
        raise ConvError(
            f"the filter has {arr.shape[1]} channels but the input has {channels}; "
            "give the filter one slice per input channel"
        )
    if 0 in arr.shape:
        raise ConvError(f"the filter is empty (shape {arr.shape}); give it at least one weight")
    return arr


def _prepare(x, w, bias, padding, stride):
    vol = as_volume(x)
    weights = as_weights(w, vol.shape[0])
    s = check_stride(stride)
    ph, pw = resolve_padding(padding, weights.shape)
    k, _, kh, kw = weights.shape
    _, h, wd = vol.shape
    if h + 2 * ph < kh or wd + 2 * pw < kw:
        raise ConvError(
            f"the {kh}x{kw} kernel is larger than the padded {h + 2 * ph}x"
            f"{wd + 2 * pw} input; use a smaller kernel or more padding"
        )
    b = np.zeros(k) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
    if b.shape != (k,):
        raise ConvError(f"bias has {b.size} values for {k} filters; give one per filter")
    out_h, out_w = output_size(h, kh, ph, s), output_size(wd, kw, pw, s)
    padded = np.pad(vol, ((0, 0), (ph, ph), (pw, pw)))
    return padded, weights, b, s, (out_h, out_w)


# ---------------------------------------------------------------------------------------------
# Convolution and pooling


def conv2d_by_hand(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    padding: str | int = "valid",
    stride: int = 1,
) -> np.ndarray:
    """Slide the window by hand: for each filter and output cell, sum(patch * kernel) + bias."""
    padded, weights, b, s, (out_h, out_w) = _prepare(x, w, bias, padding, stride)
    k, _, kh, kw = weights.shape
    out = np.zeros((k, out_h, out_w))
    for f in range(k):
        kernel = weights[f]
        for i in range(out_h):
            for j in range(out_w):
                top, left = i * s, j * s
                patch = padded[:, top : top + kh, left : left + kw]
                out[f, i, j] = np.sum(patch * kernel) + b[f]
    return out


def conv2d_vectorised(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    padding: str | int = "valid",
    stride: int = 1,
) -> np.ndarray:
    """The same result from one view of every window (stride tricks) and one tensordot."""
    padded, weights, b, s, (out_h, out_w) = _prepare(x, w, bias, padding, stride)
    _, _, kh, kw = weights.shape
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    windows = windows[:, ::s, ::s][:, :out_h, :out_w]  # (C, Ho, Wo, kh, kw)
    out = np.tensordot(weights, windows, axes=([1, 2, 3], [0, 3, 4]))  # (K, Ho, Wo)
    return out + b[:, None, None]


def pool2d(
    x: np.ndarray, size: int = 2, stride: int | None = None, mode: str = "max"
) -> np.ndarray:
    """Max or average pooling over size x size windows (no padding, floor), as torch does."""
    if mode not in POOL_MODES:
        raise ConvError(f"pooling {mode!r} is not known; use max or avg")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ConvError(f"pool size {size} is not allowed; use a whole number of at least 1")
    s = size if stride is None else check_stride(stride)
    arr = np.asarray(x, dtype=np.float64)
    squeeze = arr.ndim == 2
    vol = as_volume(arr)
    _, h, w = vol.shape
    if size > h or size > w:
        raise ConvError(
            f"the {size}x{size} pooling window is larger than the {h}x{w} map; use "
            "a smaller pool size"
        )
    out_h, out_w = (h - size) // s + 1, (w - size) // s + 1
    windows = np.lib.stride_tricks.sliding_window_view(vol, (size, size), axis=(1, 2))
    windows = windows[:, ::s, ::s][:, :out_h, :out_w]
    out = windows.max(axis=(3, 4)) if mode == "max" else windows.mean(axis=(3, 4))
    return out[0] if squeeze else out


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


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
    padded, weights, b, s, (out_h, out_w) = _prepare(x, w, bias, padding, stride)
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


# ---------------------------------------------------------------------------------------------
# A whole lab run: input, filters, conv output and pooled output, with the formulas


@dataclass(frozen=True)
class LabResult:
    """What the CLI and the TUI tab show for one setting."""

    input: LabInput
    filters: list[LabFilter]
    weights: np.ndarray  # (K, C, kh, kw)
    padding: tuple[int, int]
    padding_name: str
    stride: int
    output: np.ndarray  # (K, Ho, Wo)
    pool: str | None = None
    pool_size: int = 2
    pool_stride: int = 2
    pooled: np.ndarray | None = None  # (K, Hp, Wp)

    def formula_lines(self) -> list[str]:
        """The output-size formula with the numbers filled in, beside the actual shape."""
        _, h, w = self.input.values.shape
        _, _, kh, kw = self.weights.shape
        ph, pw = self.padding
        k, oh, ow = self.output.shape
        if (h, kh, ph) == (w, kw, pw):
            sizes = f"{formula_text(h, kh, ph, self.stride)}"
        else:
            sizes = (
                f"rows {formula_text(h, kh, ph, self.stride)}; "
                f"cols {formula_text(w, kw, pw, self.stride)}"
            )
        lines = [f"output size floor((n + 2p - f) / s) + 1 = {sizes}; actual output {k}x{oh}x{ow}"]
        if self.pooled is not None:
            _, qh, qw = self.pooled.shape
            f, s = self.pool_size, self.pool_stride
            lines.append(
                f"pooled size floor((n - f) / s) + 1 = floor(({oh} - {f}) / {s}) + 1 "
                f"= {(oh - f) // s + 1}; actual pooled output {k}x{qh}x{qw}"
            )
        return lines


def run_lab(
    input_spec: str | LabInput,
    filter_specs: Sequence[str] | Sequence[LabFilter],
    padding: str | int = "valid",
    stride: int = 1,
    pool: str | None = None,
    pool_size: int = 2,
    pool_stride: int | None = None,
    data_dir: str | Path | None = None,
) -> LabResult:
    """Load the input and filters, convolve (vectorised) and pool; ConvError on a bad setting."""
    lab_input = input_spec if isinstance(input_spec, LabInput) else load_input(input_spec, data_dir)
    if all(isinstance(f, LabFilter) for f in filter_specs):
        filters = list(filter_specs)
    else:
        filters = load_filters([str(f) for f in filter_specs])
    weights = stack_filters(filters, lab_input.values.shape[0])
    pad = resolve_padding(padding, weights.shape)
    output = conv2d_vectorised(lab_input.values, weights, padding=padding, stride=stride)
    pooled = None
    p_stride = pool_size if pool_stride is None else pool_stride
    if pool:
        pooled = pool2d(output, pool_size, p_stride, pool)
    name = padding.strip().lower() if isinstance(padding, str) else str(padding)
    return LabResult(
        lab_input,
        list(filters),
        weights,
        pad,
        name,
        int(stride),
        output,
        pool,
        pool_size,
        p_stride,
        pooled,
    )
