"""The convolution lab: one setting (input, filters, padding, stride, pooling) run end to end.

numpy only (the TUI process imports it). The arithmetic lives in ``engine.convlab.arithmetic``,
one cell's explanation in ``engine.convlab.explain``, inputs and filters in
``engine.convlab.inputs``, the fixed-filter network in ``engine.convlab.network`` and the torch
side for trained models in ``engine.convlab.torch_ops``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.convlab.arithmetic import (
    check_padding_fits,
    check_stride_fits,
    conv2d_vectorised,
    formula_text,
    pool2d,
    resolve_padding,
)
from engine.convlab.inputs import (
    ConvError,
    LabFilter,
    LabInput,
    load_filters,
    load_input,
    stack_filters,
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
    """Load the input and filters, convolve (vectorised) and pool.

    ConvError (one line) on a bad setting: unknown input or filter, padding past the kernel
    side - 1, a stride or pool stride longer than the map, a window larger than the map, or a
    kernel so large that the output overflows."""
    lab_input = input_spec if isinstance(input_spec, LabInput) else load_input(input_spec, data_dir)
    if all(isinstance(f, LabFilter) for f in filter_specs):
        filters = list(filter_specs)
    else:
        filters = load_filters([str(f) for f in filter_specs])
    weights = stack_filters(filters, lab_input.values.shape[0])
    pad, output = bounded_conv(lab_input.values, weights, padding, stride)
    pooled = None
    p_stride = pool_size if pool_stride is None else pool_stride
    if pool:
        pooled = pool2d(output, pool_size, p_stride, pool)  # checks the window fits first
        if isinstance(p_stride, int):
            check_stride_fits(p_stride, max(output.shape[1:]), "convolution output", "pool stride")
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


def bounded_conv(
    values: np.ndarray, weights: np.ndarray, padding: str | int, stride: int
) -> tuple[tuple[int, int], np.ndarray]:
    """(padding rows/cols, output (K, Ho, Wo)) of values (C, H, W) and weights (K, C, kh, kw).

    Stricter than the torch-like arithmetic: ConvError for padding past kernel side - 1, a
    stride longer than the padded input, or an output that overflowed to inf or nan."""
    pad = resolve_padding(padding, weights.shape)
    check_padding_fits(pad, weights.shape)
    _, h, w = values.shape
    if isinstance(stride, int):  # conv2d_vectorised names a stride that is no whole number
        check_stride_fits(stride, max(h + 2 * pad[0], w + 2 * pad[1]), "padded input")
    with np.errstate(over="ignore", invalid="ignore"):  # finite_output names an overflow
        output = conv2d_vectorised(values, weights, padding=padding, stride=stride)
    return pad, finite_output(output)


def finite_output(output: np.ndarray) -> np.ndarray:
    """``output`` when every value is finite; ConvError when the kernel's values were so large
    that sums overflowed to inf (or nan), which no picture or number grid can show."""
    if not np.isfinite(output).all():
        raise ConvError(
            "the convolution overflows (the output holds inf or nan); use kernel values "
            "of ordinary size such as -1 or 0.5"
        )
    return output
