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

from engine.convlab.arithmetic import conv2d_vectorised, formula_text, pool2d, resolve_padding
from engine.convlab.inputs import LabFilter, LabInput, load_filters, load_input, stack_filters

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
