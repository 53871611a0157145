"""engine.data.mnist_style: a picture pre-processed as MNIST was (20x20 box, centre of mass)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.data.mnist_style import centre_of_mass, light_on_dark, mnist_style


def _ink_extent(digit: np.ndarray, threshold: float = 0.1) -> tuple[int, int]:
    """(height, width) in pixels of the pixels at least ``threshold`` light."""
    rows = np.flatnonzero((digit >= threshold).any(axis=1))
    cols = np.flatnonzero((digit >= threshold).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def _seven(height: int = 120, width: int = 90) -> np.ndarray:
    """A thick 7 (floats in [0, 1]) off to the top left of a larger black picture."""
    picture = np.zeros((height, width), dtype=np.float32)
    picture[6:14, 4:44] = 1.0  # the bar
    for row in range(14, 66):  # the slanted stroke
        col = 44 - (row - 14) * 28 // 52
        picture[row, col - 4 : col + 4] = 1.0
    return picture


def test_the_digit_fits_a_20x20_box_keeping_its_aspect() -> None:
    digit = mnist_style(_seven())
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() <= 1.0
    height, width = _ink_extent(digit)
    assert height == 20  # the longer side (60 tall, 44 wide in the picture)
    assert abs(width - 20 * 44 / 60) <= 1.5  # the aspect ratio kept


def test_a_wide_stroke_fits_by_its_width() -> None:
    picture = np.zeros((50, 200), dtype=np.float32)
    picture[20:30, 10:190] = 1.0  # 180 wide, 10 tall
    height, width = _ink_extent(mnist_style(picture))
    assert width == 20 and height <= 2


def test_the_centre_of_mass_lands_at_the_centre() -> None:
    for picture in (_seven(), _seven()[:, ::-1], np.rot90(_seven())):
        row, col = centre_of_mass(mnist_style(np.ascontiguousarray(picture)))
        assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_an_empty_picture_stays_empty() -> None:
    assert not mnist_style(np.zeros((28, 28), dtype=np.float32)).any()
    assert not mnist_style(np.full((40, 30), 0.05, dtype=np.float32)).any()  # below the ink


def test_a_picture_scaled_twice_gives_nearly_the_same_digit() -> None:
    picture = _seven()
    doubled = np.kron(picture, np.ones((2, 2), dtype=np.float32))
    once, twice = mnist_style(picture), mnist_style(doubled)
    assert np.abs(once - twice).max() < 0.1
    assert np.abs(once - twice).mean() < 0.01


def test_uint8_pictures_and_inversion() -> None:
    paper = np.full((60, 60), 255, dtype=np.uint8)
    paper[10:50, 28:33] = 0  # a dark stroke on white paper
    ink = light_on_dark(Image.fromarray(paper))
    assert ink[0, 0] == 0.0 and ink[30, 30] == 1.0
    assert np.array_equal(mnist_style(ink), mnist_style((ink * 255).astype(np.uint8)))
    kept = light_on_dark(paper, invert=False)
    assert kept[0, 0] == 1.0  # told not to invert, the paper stays light


def test_a_picture_that_is_not_two_dimensional_is_refused() -> None:
    with pytest.raises(ValueError, match="2-D"):
        mnist_style(np.zeros((3, 28, 28)))
