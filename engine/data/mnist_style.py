"""Pictures pre-processed as MNIST's digits were: ink cropped, fitted to 20x20, centred by mass.

LeCun, Cortes and Burges describe MNIST (yann.lecun.com/exdb/mnist): the digits "were size
normalized to fit in a 20x20 pixel box while preserving their aspect ratio ... anti-aliasing
... centered in a 28x28 image by computing the center of mass of the pixels, and translating the
image so as to position this point at the center of the 28x28 field". ``mnist_style`` does the
same to any grey picture of light ink on a dark ground, so a drawn digit or a photographed one
looks to a network like the digits it learnt from. Torch-free: Pillow and numpy only.

The centre is (14, 14) in pixel-index coordinates (row, column), where the bundled MNIST test
digits' centres of mass lie (mean 13.99, 14.00).
"""

from __future__ import annotations

from typing import Any

import numpy as np

MNIST_SIZE = 28  # the field, in pixels
MNIST_BOX = 20  # the box the digit's longer side is fitted to, in pixels
INK_THRESHOLD = 0.1  # pixels at least this light (of 1.0) count as ink for the bounding box


def ink_box(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """The bounding box (top, left, bottom, right; end-exclusive, pixels) of the pixels of
    ``ink`` (H, W) in [0, 1] at least ``threshold`` light, or None when there are none."""
    rows = np.flatnonzero((ink >= threshold).any(axis=1))
    cols = np.flatnonzero((ink >= threshold).any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def fitted_size(height: int, width: int, box: int = MNIST_BOX) -> tuple[int, int]:
    """(height, width) in pixels with the longer side ``box`` and the aspect ratio kept (the
    shorter side rounded, at least 1)."""
    longer = max(height, width)
    return max(1, round(height * box / longer)), max(1, round(width * box / longer))


def resize_ink(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    """``ink`` (H, W) float in [0, 1] resized to (height, width) with Pillow's anti-aliased
    Lanczos filter on 32-bit floats (no 8-bit rounding), clipped back to [0, 1]."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32))  # mode F
    resized = picture.resize((width, height), Image.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def centre_of_mass(values: np.ndarray) -> tuple[float, float]:
    """(row, column) of the centre of mass of non-negative ``values`` (H, W), in pixel-index
    coordinates; the middle of the array when it holds no mass."""
    total = float(values.sum())
    height, width = values.shape
    if total <= 0:
        return (height - 1) / 2, (width - 1) / 2
    rows = np.arange(height, dtype=np.float64)
    cols = np.arange(width, dtype=np.float64)
    return (
        float(values.sum(axis=1) @ rows) / total,
        float(values.sum(axis=0) @ cols) / total,
    )


def paste_centred(digit: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """``digit`` (h, w), h and w at most ``size``, pasted into a black (size, size) field so
    that its centre of mass lands on (size / 2, size / 2): shifted by whole pixels (rounded),
    clipped so that the digit stays inside the field."""
    height, width = digit.shape
    centre_row, centre_col = centre_of_mass(digit)
    top = int(np.clip(np.floor(size / 2 - centre_row + 0.5), 0, size - height))
    left = int(np.clip(np.floor(size / 2 - centre_col + 0.5), 0, size - width))
    field = np.zeros((size, size), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field


def mnist_style(ink: np.ndarray, size: int = MNIST_SIZE, box: int | None = None) -> np.ndarray:
    """A picture of light ink on a dark ground as an MNIST digit: float32 (size, size) in [0, 1].

    ``ink`` is (H, W), any size, floats in [0, 1] (or uint8 0-255, divided by 255). The ink's
    bounding box (pixels of at least ``INK_THRESHOLD``) is cropped, resized with anti-aliasing
    so that its longer side is ``box`` pixels (default 20 of 28, scaled for another ``size``)
    keeping the aspect ratio, and pasted so that its centre of mass is at the field's centre.
    A picture without ink gives an all-zero field. Raises ValueError for a non-2-D array.
    """
    values = np.asarray(ink)
    if values.ndim != 2:
        raise ValueError(f"mnist_style needs a 2-D grey picture, got shape {values.shape}")
    values = values / 255.0 if values.dtype == np.uint8 else values
    values = np.clip(np.nan_to_num(values.astype(np.float32)), 0.0, 1.0)
    box = box if box is not None else round(size * MNIST_BOX / MNIST_SIZE)
    bounds = ink_box(values)
    if bounds is None:
        return np.zeros((size, size), dtype=np.float32)
    top, left, bottom, right = bounds
    crop = values[top:bottom, left:right]
    height, width = fitted_size(*crop.shape, box=box)
    return paste_centred(resize_ink(crop, height, width), size)


def light_on_dark(gray: Any, invert: bool | None = None) -> np.ndarray:
    """A grey PIL image (mode 'L') or uint8 array (H, W) as float32 ink in [0, 1], light on dark.

    ``invert`` None inverts a picture that is mostly light (mean above 127: dark ink on paper,
    as people write), since MNIST's digits are light on dark; True or False decides."""
    array = np.asarray(gray, dtype=np.float32)
    if invert is None:
        invert = bool(array.mean() > 127)
    if invert:
        array = 255.0 - array
    return array / 255.0
