"""engine.render.confusion_png: the grid's layout, cell colours, counts and labels read back
without OCR (pixel checks against the layout)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import EngineError
from engine.render.colormap import SEQUENTIAL, lut_index
from engine.render.confusion_png import (
    BACKGROUND,
    CELL,
    DARK_TEXT,
    LABEL_ROOM,
    LIGHT_TEXT,
    cell_colour_positions,
    confusion_layout,
    save_confusion_png,
    text_colour,
)


def matrix() -> np.ndarray:
    counts = np.diag([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]).astype(np.int64)
    counts[3, 5], counts[8, 6], counts[9, 4], counts[0, 1] = 7, 13, 2, 1
    return counts


def read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(int)


@pytest.fixture
def drawn(tmp_path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    title = "fast-net · run default · accuracy 99.00%"
    return read(save_confusion_png(tmp_path / "c.png", matrix(), title)), matrix(), title


def test_size_follows_the_grid_layout(drawn) -> None:
    image, counts, title = drawn
    layout = confusion_layout(10, title)
    assert image.shape[:2] == (layout.height, layout.width)
    assert layout.cell == CELL
    x0, y0, _, _ = layout.cell_box(0, 0)
    x1, y1, _, _ = layout.cell_box(9, 9)
    assert (x1 - x0, y1 - y0) == (9 * CELL, 9 * CELL)
    assert layout.width > 10 * CELL and layout.height > 10 * CELL  # + margins


def test_each_cell_is_coloured_by_its_count(drawn) -> None:
    image, counts, title = drawn
    layout = confusion_layout(10, title)
    expected = SEQUENTIAL[lut_index(cell_colour_positions(counts))]
    for row in range(10):
        for col in range(10):
            x0, y0, _, _ = layout.cell_box(row, col)
            probe = image[y0 + 3, x0 + 3]  # a corner of the cell, clear of its number
            assert (probe == expected[row, col]).all(), (row, col)
    # log scale: the diagonal is bright, a cell of 13 far from the empty ones' colour
    assert not (expected[8, 6] == expected[8, 7]).all()


def test_every_count_is_written_in_its_cell_zeros_too(drawn) -> None:
    image, counts, title = drawn
    layout = confusion_layout(10, title)
    for row in range(10):
        for col in range(10):
            x0, y0, x1, y1 = layout.cell_box(row, col)
            cell = image[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1]
            background = image[y0 + 3, x0 + 3]
            ink = text_colour(background)
            inked = (np.abs(cell - ink).sum(axis=2) < 60).sum()
            # the README promises "the count in every cell": a 0 is written as well
            assert inked > 5, (row, col, counts[row, col])
    x0, y0, x1, y1 = layout.cell_box(1, 1)
    x2, y2, x3, y3 = layout.cell_box(3, 5)

    def ink_of(box: tuple[int, int, int, int]) -> int:
        a, b, c, d = box
        region = image[b:d, a:c]
        return int((np.abs(region - text_colour(region[2, 2])).sum(axis=2) < 60).sum())

    assert ink_of((x0, y0, x1, y1)) > 2 * ink_of((x2, y2, x3, y3))


def test_labels_axis_names_and_title_are_drawn(drawn) -> None:
    image, _, title = drawn
    layout = confusion_layout(10, title)
    grid = 10 * CELL

    def has_ink(region: np.ndarray) -> bool:
        return bool((region != BACKGROUND).any())

    for k in range(10):
        x0, y0, x1, y1 = layout.cell_box(k, k)
        assert has_ink(image[y0:y1, layout.left - LABEL_ROOM : layout.left]), f"row label {k}"
        below = layout.top + grid
        assert has_ink(image[below : below + LABEL_ROOM, x0:x1]), f"column label {k}"
    below = layout.top + grid + LABEL_ROOM
    assert has_ink(image[below:, layout.left : layout.left + grid])  # "predicted"
    assert has_ink(image[layout.top : layout.top + grid, : layout.left - LABEL_ROOM])  # "true"
    assert has_ink(image[: layout.top - 4])  # the title
    untitled = confusion_layout(10)
    assert untitled.top < layout.top


def test_text_colour_follows_the_background() -> None:
    assert text_colour(SEQUENTIAL[0]) == LIGHT_TEXT  # dark purple
    assert text_colour(SEQUENTIAL[255]) == DARK_TEXT  # yellow


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="square"):
        save_confusion_png(tmp_path / "c.png", np.zeros((3, 4)))
    with pytest.raises(EngineError, match="cannot write"):
        save_confusion_png(tmp_path / "no" / "c.png", matrix())


def test_a_long_title_wraps_inside_the_picture(tmp_path: Path) -> None:
    title = "fast-net · runs/20261130-124113-a-long-run-folder-name · test accuracy 99.02% " * 2
    image = read(save_confusion_png(tmp_path / "c.png", matrix(), title))
    layout = confusion_layout(10, title)
    assert layout.top > confusion_layout(10, "short").top  # more than one title line
    ink_columns = np.nonzero((image[: layout.top] != BACKGROUND).any(axis=(0, 2)))[0]
    assert ink_columns.max() < layout.width - 8  # inside the right margin, never cut
