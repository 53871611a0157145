"""The convolution lab's inputs and hand-made filters (numpy only: the TUI process imports this).

Inputs, as the tutorials build them before training anything:

- ``squares8``: the tutorials' 8x8 image: two whole quadrants of ones, top-left (rows and
  columns 0-3) and bottom-right (4-7), zeros elsewhere;
- ``squares6``: the 6x6 variant: ones in rows and columns 0-2 and in 3-5;
- ``map4``: the 4x4 map holding 1..16 row by row;
- ``digit:N``: MNIST test digit N, scaled to [0, 1] (its raw 0-255 pixels are kept for display);
- ``volume``: a 6x6x3 volume (squares, left half, top half) for multi-channel convolution.

Filters are 2-D arrays of weights; on a multi-channel input a filter is applied across all
channels (the same weights on each channel, summed), as in the tutorials' 6x6x3 example.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.data.idx import read_split
from engine.errors import EngineError

MAX_CUSTOM_SIDE = 15


class ConvError(EngineError):
    """A convolution lab setting that cannot work (bad kernel, padding, stride, input or filter)."""


# ---------------------------------------------------------------------------------------------
# MNIST test digits, read through the torch-free engine.data.idx.


def test_digit_count(data_dir: str | Path | None = None) -> int:
    """How many digits the MNIST test split holds (10000 for the bundled copy)."""
    return len(read_split("test", data_dir)[0])


def read_test_digit(index: int, data_dir: str | Path | None = None) -> tuple[np.ndarray, int]:
    """MNIST test digit ``index`` as (uint8 28x28 copy, label), read without torch."""
    images, labels = read_split("test", data_dir)
    if not 0 <= index < len(images):
        raise ConvError(
            f"digit index {index} is out of range; use digit:0 to digit:{len(images) - 1}"
        )
    return images[index].copy(), int(labels[index])


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class LabInput:
    """An input for the lab: values as float64 (C, H, W); digits keep their raw uint8 pixels."""

    name: str
    description: str
    values: np.ndarray
    pixels: np.ndarray | None = None
    label: int | None = None

    @property
    def shape_text(self) -> str:
        c, h, w = self.values.shape
        return f"{h}x{w}" if c == 1 else f"{h}x{w}x{c}"


def two_squares(side: int) -> np.ndarray:
    """The tutorials' side x side image (side even): the top-left and bottom-right quadrants
    are ones, the other two zeros (8: rows and columns 0-3 and 4-7; 6: 0-2 and 3-5)."""
    image = np.zeros((side, side))
    half = side // 2
    image[:half, :half] = 1.0
    image[half:, half:] = 1.0
    return image


def number_map(side: int = 4) -> np.ndarray:
    """The side x side map holding 1..side*side row by row."""
    return np.arange(1, side * side + 1, dtype=np.float64).reshape(side, side)


def volume_6x6x3() -> np.ndarray:
    """A 6x6x3 volume as (3, 6, 6): the two squares, a left half of ones, a top half of ones."""
    left = np.zeros((6, 6))
    left[:, :3] = 1.0
    top = np.zeros((6, 6))
    top[:3, :] = 1.0
    return np.stack([two_squares(6), left, top])


INPUTS: dict[str, str] = {
    "squares8": "8x8 image: top-left and bottom-right 4x4 quadrants of ones",
    "squares6": "6x6 image: top-left and bottom-right 3x3 quadrants of ones",
    "map4": "4x4 map holding 1..16",
    "digit:N": "MNIST test digit N scaled to [0, 1] (N from 0 to 9999)",
    "volume": "6x6x3 volume (squares, left half, top half) for multi-channel convolution",
}
INPUT_ALIASES = {
    "squares": "squares8",
    "squares-8x8": "squares8",
    "squares-6x6": "squares6",
    "map": "map4",
    "map-4x4": "map4",
    "volume-6x6x3": "volume",
    "volume6x6x3": "volume",
    "digit": "digit:0",
}


def load_input(spec: str, data_dir: str | Path | None = None) -> LabInput:
    """The input named by ``spec`` (see INPUTS); ConvError names the choices when unknown."""
    name = spec.strip().lower()
    name = INPUT_ALIASES.get(name, name)
    if name == "squares8":
        return LabInput(name, INPUTS[name], two_squares(8)[None])
    if name == "squares6":
        return LabInput(name, INPUTS[name], two_squares(6)[None])
    if name == "map4":
        return LabInput(name, INPUTS[name], number_map(4)[None])
    if name == "volume":
        return LabInput(name, INPUTS[name], volume_6x6x3())
    match = re.fullmatch(r"digit:\s*(-?\d+)", name)
    if match:
        index = int(match.group(1))
        pixels, label = read_test_digit(index, data_dir)
        values = pixels.astype(np.float64)[None] / 255.0
        return LabInput(
            f"digit:{index}", f"MNIST test digit {index} (label {label})", values, pixels, label
        )
    raise ConvError(f"unknown input {spec!r}; use one of {', '.join(INPUTS)}")


# ---------------------------------------------------------------------------------------------
# Filters

_VERTICAL = np.array([[1.0, 0.0, -1.0]] * 3)
# The fixed-filter network's four edge filters (the tutorials' 4x4 [-1, -1, 1, 1] rows).
_FIXED = np.array([[-1.0, -1.0, 1.0, 1.0]] * 4)

FILTERS: dict[str, tuple[str, np.ndarray]] = {
    "vertical": ("vertical edge, rows [1, 0, -1]", _VERTICAL),
    "horizontal": ("horizontal edge, columns [1, 0, -1]", _VERTICAL.T.copy()),
    "sobel-x": (
        "Sobel x (vertical edges), rows [1,0,-1] [2,0,-2] [1,0,-1]",
        np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    ),
    "sobel-y": (
        "Sobel y (horizontal edges), rows [1,2,1] [0,0,0] [-1,-2,-1]",
        np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    ),
    "fixed-v": ("fixed-filter network filter 1: vertical edge, rows [-1, -1, 1, 1]", _FIXED),
    "fixed-v-neg": ("fixed-filter network filter 2: the negative of filter 1", -_FIXED),
    "fixed-h": (
        "fixed-filter network filter 3: horizontal edge, filter 1 transposed",
        _FIXED.T.copy(),
    ),
    "fixed-h-neg": ("fixed-filter network filter 4: the negative of filter 3", -_FIXED.T),
    "blur": ("3x3 box blur, every weight 1/9", np.full((3, 3), 1.0 / 9.0)),
    "sharpen": (
        "sharpen, rows [0,-1,0] [-1,5,-1] [0,-1,0]",
        np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    ),
}
FILTER_GROUPS: dict[str, tuple[str, ...]] = {
    "fixed": ("fixed-v", "fixed-v-neg", "fixed-h", "fixed-h-neg"),
    "sobel": ("sobel-x", "sobel-y"),
    "edges": ("vertical", "horizontal"),
}
FILTER_ALIASES = {
    "vertical-edge": "vertical",
    "horizontal-edge": "horizontal",
    "sobelx": "sobel-x",
    "sobely": "sobel-y",
    "box-blur": "blur",
    "box": "blur",
    "edges4": "fixed",
    "fixed4": "fixed",
}
CUSTOM_HELP = "custom:ROWS with rows split by ';' and numbers by ',' e.g. custom:1,0,-1;1,0,-1"


@dataclass(frozen=True)
class LabFilter:
    """A named 2-D filter (float64 (kh, kw))."""

    name: str
    description: str
    weights: np.ndarray = field(repr=False)

    @property
    def shape_text(self) -> str:
        return f"{self.weights.shape[0]}x{self.weights.shape[1]}"


def parse_kernel(text: str, syntax: str = CUSTOM_HELP) -> np.ndarray:
    """Numbers typed as rows: '1,0,-1;1,0,-1;1,0,-1' (spaces also separate numbers).

    Raises ConvError (one line) for a malformed kernel; ``syntax`` is the "type ..." advice
    it gives, so each place that takes kernels teaches its own way of typing them (the CLI's
    ``custom:ROWS``, the app's field its bare rows)."""
    body = text.strip()
    if not body:
        raise ConvError(f"the custom kernel is empty; type {syntax}")
    rows = []
    for number, row_text in enumerate(body.split(";"), start=1):
        items = [item for item in re.split(r"[,\s]+", row_text.strip()) if item]
        if not items:
            raise ConvError(f"row {number} of the custom kernel is empty; type {syntax}")
        row = []
        for item in items:
            try:
                value = float(item)
            except ValueError:
                raise ConvError(
                    f"{item!r} in row {number} of the custom kernel is not a number; type {syntax}"
                ) from None
            if not math.isfinite(value):
                raise ConvError(
                    f"{item!r} in row {number} of the custom kernel is not a finite "
                    "number; use ordinary numbers such as -1 or 0.5"
                )
            row.append(value)
        rows.append(row)
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        lengths = ", ".join(str(len(row)) for row in rows)
        raise ConvError(
            f"the custom kernel's rows have different lengths ({lengths}); give "
            "every row the same count of numbers"
        )
    kernel = np.array(rows, dtype=np.float64)
    if max(kernel.shape) > MAX_CUSTOM_SIDE:
        raise ConvError(
            f"the custom kernel is {kernel.shape[0]}x{kernel.shape[1]}; keep both "
            f"sides at most {MAX_CUSTOM_SIDE}"
        )
    return kernel


def format_kernel(kernel: np.ndarray) -> str:
    """A kernel as the custom-kernel text that parse_kernel reads back."""
    return ";".join(",".join(f"{v:g}" for v in row) for row in np.asarray(kernel))


def load_filters(specs: Iterable[str]) -> list[LabFilter]:
    """Filters by name, group name (fixed, sobel, edges) or custom:ROWS, in order."""
    filters: list[LabFilter] = []
    for spec in specs:
        text = spec.strip()
        lowered = text.lower()
        if lowered.startswith("custom:"):
            kernel = parse_kernel(text[len("custom:") :])
            filters.append(LabFilter(f"custom:{format_kernel(kernel)}", "custom kernel", kernel))
            continue
        key = FILTER_ALIASES.get(lowered, lowered)
        if key in FILTER_GROUPS:
            filters.extend(LabFilter(n, *FILTERS[n]) for n in FILTER_GROUPS[key])
        elif key in FILTERS:
            filters.append(LabFilter(key, *FILTERS[key]))
        else:
            names = ", ".join([*FILTERS, *FILTER_GROUPS])
            raise ConvError(f"unknown filter {spec!r}; use one of {names} or {CUSTOM_HELP}")
    if not filters:
        raise ConvError("no filter given; pass --filter NAME (e.g. --filter vertical)")
    return filters


def stack_filters(filters: Sequence[LabFilter], channels: int) -> np.ndarray:
    """Filters as conv weights (K, C, kh, kw), each applied across all C input channels."""
    shapes = {f.weights.shape for f in filters}
    if len(shapes) != 1:
        sizes = " and ".join(sorted({f.shape_text for f in filters}))
        raise ConvError(
            f"filters of different sizes ({sizes}) cannot form one convolution "
            "layer; choose filters of one size"
        )
    weights = np.stack([f.weights for f in filters])[:, None]
    return np.repeat(weights, channels, axis=1)
