"""The convolution lab's arithmetic: output sizes, padding, convolution by hand, pooling, ReLU.

numpy only (the TUI process imports it). Convolution is cross-correlation, as in
``torch.nn.functional.conv2d``: no kernel flip. Shapes follow torch: inputs (C, H, W) (a 2-D
array is one channel), weights (K, C, kh, kw) (a 2-D filter is applied across all input
channels), outputs (K, Ho, Wo).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.convlab.inputs import ConvError

PADDING_HELP = "use valid, same or a number of zeros such as 1"
POOL_MODES = ("max", "avg")


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


def check_padding_fits(padding: tuple[int, int], kernel_shape: Sequence[int]) -> None:
    """ConvError when padding passes the kernel side - 1 ("full" padding) in either direction.

    The arithmetic itself follows torch and accepts any padding; the lab (CLI and TUI) refuses
    more, where the extra output cells see nothing but zeros and a typo such as 99999 would
    make numpy allocate a padded input of hundreds of GiB."""
    kh, kw = int(kernel_shape[-2]), int(kernel_shape[-1])
    most = min(kh, kw) - 1
    if max(padding) > most:
        raise ConvError(
            f"padding {max(padding)} is too large for the {kh}x{kw} kernel; use 0 to {most} "
            "(more padding only adds output cells that see nothing but zeros)"
        )


def check_stride_fits(stride: int, side: int, what: str, name: str = "stride") -> int:
    """``stride`` when it is at most ``side`` (the larger side of the map it slides over);
    ConvError otherwise: a longer step lands outside the map after the first window."""
    if stride > side:
        raise ConvError(
            f"{name} {stride} is larger than the {what} ({side} cells across); use 1 to {side}"
        )
    return stride


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


def prepare_conv(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    padding: str | int,
    stride: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, tuple[int, int]]:
    """Checked inputs of one convolution: the zero-padded input (C, H+2ph, W+2pw), weights
    (K, C, kh, kw), bias (K,), the stride and the output size (Ho, Wo); ConvError if bad."""
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
    padded, weights, b, s, (out_h, out_w) = prepare_conv(x, w, bias, padding, stride)
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
    padded, weights, b, s, (out_h, out_w) = prepare_conv(x, w, bias, padding, stride)
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
