"""The confusion matrix PNG labelled with class names (issue 15): N x N for any N, long names
written upwards under the columns, the strips widened to hold them; and the text report's
matrix with the names heading its rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import EngineError
from engine.process.eval_report import confusion_lines, format_eval_report
from engine.render.confusion_png import (
    BACKGROUND,
    CELL,
    LABEL_ROOM,
    confusion_layout,
    render_confusion,
    save_confusion_png,
)

FASHION = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def ink(region: np.ndarray) -> int:
    return int((region != BACKGROUND).any(axis=2).sum())


def test_long_names_widen_the_row_strip_and_turn_the_column_labels_upwards() -> None:
    digits = confusion_layout(10)
    named = confusion_layout(10, labels=FASHION)
    assert named.labels == FASHION and named.upright and not digits.upright
    assert named.row_room > LABEL_ROOM and named.col_room > LABEL_ROOM
    assert named.left > digits.left and named.height > digits.height
    image = np.asarray(render_confusion(np.eye(10, dtype=int) * 5, labels=FASHION))
    assert image.shape[:2] == (named.height, named.width)
    grid = 10 * named.cell
    below = named.top + grid
    for k in range(10):
        x0, y0, x1, y1 = named.cell_box(k, k)
        assert ink(image[y0:y1, named.left - named.row_room : named.left]), FASHION[k]
        column = image[below : below + named.col_room, x0:x1]
        rows_inked = np.flatnonzero((column != BACKGROUND).any(axis=(1, 2)))
        # written upwards: taller than a line of text, longer names reach further down
        assert rows_inked.max() - rows_inked.min() > 20, FASHION[k]
    coat = image[below : below + named.col_room, slice(*named.cell_box(4, 4)[0:3:2])]
    boot = image[below : below + named.col_room, slice(*named.cell_box(9, 9)[0:3:2])]
    assert ink(boot) > ink(coat)  # "Ankle boot" is longer than "Coat"


def test_three_folder_classes_label_a_three_by_three_matrix(tmp_path: Path) -> None:
    names = ["circle", "square", "triangle"]
    counts = np.array([[20, 0, 0], [1, 19, 0], [0, 2, 18]])
    path = save_confusion_png(tmp_path / "c.png", counts, "shapes", names)
    layout = confusion_layout(3, "shapes", names)
    with Image.open(path) as picture:
        assert picture.size == (layout.width, layout.height)
    assert layout.cell == CELL and layout.labels == tuple(names)
    with pytest.raises(EngineError, match="2 class names for a 3x3 matrix"):
        render_confusion(counts, labels=names[:2])


def test_many_classes_get_smaller_cells() -> None:
    layout = confusion_layout(100)
    assert 16 <= layout.cell <= CELL // 2  # ImageNet-sized matrices stay a few thousand px


def test_the_text_matrix_heads_rows_with_names_and_keeps_digits_as_they_were() -> None:
    confusion = [[5, 1, 0], [0, 6, 0], [2, 0, 4]]
    lines = confusion_lines(confusion, ["circle", "square", "triangle"])
    assert lines[2].split() == ["0", "circle", "5", "1", "0"]
    assert lines[4].split() == ["2", "triangle", "2", "0", "4"]
    digits = confusion_lines([[9, 1], [0, 7]], ["0", "1"])
    assert digits[1:] == ["           0     1", "     0     9     1", "     1     0     7"]
    report = {
        "per_class": [0.5, 1.0, None],
        "classes": ["circle", "square", "triangle"],
        "confusion": confusion,
    }
    text = format_eval_report(report)
    assert "circle     50.0" in text and "triangle      -" in text
