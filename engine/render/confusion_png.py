"""The confusion matrix as a PNG a person can read: counts in the cells, labels, axis names, title.

Cells are coloured by count on a log scale, log(1 + count) / log(1 + the largest count), with the
sequential (viridis) map, as the Evaluate tab colours them: the few mistakes stay visible next to
a diagonal of ~1,000. Every non-zero count is written in its cell, white on dark cells and black
on light ones; zero cells are left blank. Rows are the true class, columns the predicted one.
Pillow + numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engine.render.colormap import SEQUENTIAL, apply
from engine.render.figure_text import font, wrap
from engine.render.figures import FigureError, write_png

CELL = 56  # pixels per cell side: room for "1135" in COUNT_SIZE
PAD = 14
TITLE_SIZE = 16
COUNT_SIZE = 15
LABEL_SIZE = 14
AXIS_SIZE = 14
LABEL_ROOM = 26  # the class labels' strip beside the grid
AXIS_ROOM = 22  # the axis name's strip beyond the labels
BAR_GAP = 16
BAR_WIDTH = 16
TICK_ROOM = 56
BACKGROUND = (255, 255, 255)
TEXT = (20, 20, 20)
LIGHT_TEXT = (255, 255, 255)
DARK_TEXT = (0, 0, 0)


@dataclass(frozen=True)
class ConfusionLayout:
    """Where things are in the picture (pixels): the grid's top-left, the cell side, size."""

    left: int
    top: int
    cell: int
    classes: int
    width: int
    height: int

    def cell_box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of cell (true ``row``, predicted ``col``), x1/y1 exclusive."""
        x0, y0 = self.left + col * self.cell, self.top + row * self.cell
        return x0, y0, x0 + self.cell, y0 + self.cell


def cell_colour_positions(confusion: np.ndarray) -> np.ndarray:
    """Colour positions in [0, 1]: log(1 + count) / log(1 + the largest count)."""
    counts = np.asarray(confusion, dtype=np.float64)
    top = np.log1p(counts.max()) if counts.size and counts.max() > 0 else 1.0
    return np.log1p(np.maximum(counts, 0)) / top


def text_colour(rgb: np.ndarray) -> tuple[int, int, int]:
    """White on a dark background, black on a light one (by relative luminance)."""
    r, g, b = (float(c) for c in rgb)
    return LIGHT_TEXT if 0.2126 * r + 0.7152 * g + 0.0722 * b < 128 else DARK_TEXT


def confusion_layout(classes: int, title: str = "") -> ConfusionLayout:
    """The picture's geometry for a ``classes`` x ``classes`` matrix and its title."""
    grid = classes * CELL
    title_lines = len(_title_lines(title, grid)) if title else 0
    top = PAD + title_lines * (TITLE_SIZE + 6) + (PAD if title_lines else 0)
    left = PAD + AXIS_ROOM + LABEL_ROOM
    width = left + grid + BAR_GAP + BAR_WIDTH + TICK_ROOM + PAD
    height = top + grid + LABEL_ROOM + AXIS_ROOM + PAD
    return ConfusionLayout(left, top, CELL, classes, width, height)


def _title_lines(title: str, grid: int) -> list[str]:
    width = AXIS_ROOM + LABEL_ROOM + grid + BAR_GAP + BAR_WIDTH + TICK_ROOM  # less the pads
    return wrap(title, width, TITLE_SIZE)


def _centred(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    text: str,
    size: int,
    fill: tuple[int, int, int],
) -> None:
    draw.text(
        ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
        text,
        fill=fill,
        font=font(size),
        anchor="mm",
    )


def render_confusion(confusion: np.ndarray, title: str = "") -> Image.Image:
    """The picture (see the module docstring); FigureError for a matrix that is not square."""
    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise FigureError(f"a confusion matrix must be square (N, N), got {counts.shape}")
    classes = counts.shape[0]
    layout = confusion_layout(classes, title)
    canvas = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    colours = apply(cell_colour_positions(counts), SEQUENTIAL)
    for row in range(classes):
        for col in range(classes):
            box = layout.cell_box(row, col)
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=tuple(colours[row, col]))
            if counts[row, col]:
                fill = text_colour(colours[row, col])
                _centred(draw, box, f"{int(counts[row, col])}", COUNT_SIZE, fill)
    _draw_labels(draw, layout)
    _draw_bar(canvas, layout, int(counts.max()))
    for i, line in enumerate(_title_lines(title, classes * CELL) if title else []):
        draw.text((PAD, PAD + i * (TITLE_SIZE + 6)), line, fill=TEXT, font=font(TITLE_SIZE))
    return canvas


def _draw_labels(draw: ImageDraw.ImageDraw, layout: ConfusionLayout) -> None:
    """Class numbers left of the rows and under the columns; the axis names beyond them."""
    grid = layout.classes * layout.cell
    for k in range(layout.classes):
        x0, y0, x1, y1 = layout.cell_box(k, k)
        row_box = (layout.left - LABEL_ROOM, y0, layout.left, y1)
        col_box = (x0, layout.top + grid, x1, layout.top + grid + LABEL_ROOM)
        _centred(draw, row_box, str(k), LABEL_SIZE, TEXT)
        _centred(draw, col_box, str(k), LABEL_SIZE, TEXT)
    below = layout.top + grid + LABEL_ROOM
    _centred(
        draw,
        (layout.left, below, layout.left + grid, below + AXIS_ROOM),
        "predicted",
        AXIS_SIZE,
        TEXT,
    )
    # "true" written upwards along the rows (a small image rotated by 90 degrees)
    face = font(AXIS_SIZE)
    word = Image.new("RGB", (int(face.getlength("true")) + 4, AXIS_ROOM), BACKGROUND)
    ImageDraw.Draw(word).text((2, AXIS_ROOM // 2), "true", fill=TEXT, font=face, anchor="lm")
    turned = word.rotate(90, expand=True)
    y = layout.top + (grid - turned.height) // 2
    draw._image.paste(turned, (PAD, y))  # type: ignore[attr-defined]


def _draw_bar(canvas: Image.Image, layout: ConfusionLayout, largest: int) -> None:
    """A vertical colour bar right of the grid, ticked with counts on the same log scale."""
    grid = layout.classes * layout.cell
    x = layout.left + grid + BAR_GAP
    column = np.linspace(1.0, 0.0, grid)
    strip = apply(column, SEQUENTIAL)[:, None, :].repeat(BAR_WIDTH, axis=1)
    canvas.paste(Image.fromarray(np.ascontiguousarray(strip), "RGB"), (x, layout.top))
    draw = ImageDraw.Draw(canvas)
    top = np.log1p(largest) if largest > 0 else 1.0
    # powers of ten up the bar, those too close to the largest count left out (no overlap)
    powers = [10**e for e in range(7) if np.log1p(10**e) < 0.93 * top]
    ticks = [0, *powers, max(largest, 0)]
    for count in dict.fromkeys(ticks):
        y = layout.top + round((1 - np.log1p(count) / top) * (grid - 1))
        draw.line((x + BAR_WIDTH, y, x + BAR_WIDTH + 3, y), fill=TEXT)
        draw.text((x + BAR_WIDTH + 6, y), str(count), fill=TEXT, font=font(11), anchor="lm")


def save_confusion_png(path: str | Path, confusion: np.ndarray, title: str = "") -> Path:
    """Write the confusion matrix picture to ``path``; returns it. FigureError (one line) when
    the matrix is not square or the path cannot be written."""
    return write_png(render_confusion(confusion, title), path)
