"""The confusion matrix as a PNG a person can read: counts in the cells, labels, axis names, title.

Cells are coloured by count on a log scale, log(1 + count) / log(1 + the largest count), with the
sequential (viridis) map, as the Evaluate tab colours them: the few mistakes stay visible next to
a diagonal of ~1,000. Every count is written in its cell, zeros too (a 0 says "never confused",
which a blank cell leaves to guess), white on dark cells and black on light ones; only cells
too small for their number (a matrix of many classes) stay blank. Rows are the true class,
columns the predicted one, each labelled with its class name (the digits for MNIST; long names
are written upwards under the columns). Pillow + numpy only.
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
LABEL_ROOM = 26  # the class labels' strip beside the grid (wider for longer names)
MANY_CLASSES = 20  # more classes than this: smaller cells, so the picture stays readable
GRID_MAX = 1120  # pixels the grid of many classes spans at most
MIN_CELL = 18
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
    """Where things are in the picture (pixels): the grid's top-left, the cell side, size, and
    the strips of class labels: ``row_room`` wide left of the rows, ``col_room`` high under the
    columns (``upright``: the column labels are written upwards, for long names)."""

    left: int
    top: int
    cell: int
    classes: int
    width: int
    height: int
    row_room: int = LABEL_ROOM
    col_room: int = LABEL_ROOM
    upright: bool = False
    labels: tuple[str, ...] = ()

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


def _label_width(text: str) -> int:
    return int(font(LABEL_SIZE).getlength(text))


def confusion_layout(
    classes: int, title: str = "", labels: tuple[str, ...] | list[str] | None = None
) -> ConfusionLayout:
    """The picture's geometry for a ``classes`` x ``classes`` matrix, its title and its class
    names (``labels``; default the numbers 0..classes-1)."""
    names = tuple(str(n) for n in labels) if labels else tuple(str(k) for k in range(classes))
    cell = CELL if classes <= MANY_CLASSES else max(MIN_CELL, GRID_MAX // classes)
    widest = max((_label_width(name) for name in names), default=0)
    row_room = max(LABEL_ROOM, widest + 12)
    upright = widest + 6 > cell
    col_room = max(LABEL_ROOM, widest + 12) if upright else LABEL_ROOM
    grid = classes * cell
    title_lines = len(_title_lines(title, grid, row_room)) if title else 0
    top = PAD + title_lines * (TITLE_SIZE + 6) + (PAD if title_lines else 0)
    left = PAD + AXIS_ROOM + row_room
    width = left + grid + BAR_GAP + BAR_WIDTH + TICK_ROOM + PAD
    height = top + grid + col_room + AXIS_ROOM + PAD
    return ConfusionLayout(
        left, top, cell, classes, width, height, row_room, col_room, upright, names
    )


def _title_lines(title: str, grid: int, row_room: int = LABEL_ROOM) -> list[str]:
    width = AXIS_ROOM + row_room + grid + BAR_GAP + BAR_WIDTH + TICK_ROOM  # less the pads
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


def render_confusion(
    confusion: np.ndarray, title: str = "", labels: tuple[str, ...] | list[str] | None = None
) -> Image.Image:
    """The picture (see the module docstring), the rows and columns labelled with ``labels``
    (class names; default their numbers); FigureError for a matrix that is not square or
    labels of another count."""
    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise FigureError(f"a confusion matrix must be square (N, N), got {counts.shape}")
    classes = counts.shape[0]
    if labels is not None and len(labels) != classes:
        raise FigureError(f"{len(labels)} class names for a {classes}x{classes} matrix")
    layout = confusion_layout(classes, title, labels)
    canvas = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    colours = apply(cell_colour_positions(counts), SEQUENTIAL)
    count_size = min(COUNT_SIZE, max(8, layout.cell // 3))
    for row in range(classes):
        for col in range(classes):
            box = layout.cell_box(row, col)
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=tuple(colours[row, col]))
            text = f"{int(counts[row, col])}"
            if font(count_size).getlength(text) <= layout.cell - 2:
                fill = text_colour(colours[row, col])
                _centred(draw, box, text, count_size, fill)
    _draw_labels(canvas, draw, layout)
    _draw_bar(canvas, layout, int(counts.max()))
    lines = _title_lines(title, classes * layout.cell, layout.row_room) if title else []
    for i, line in enumerate(lines):
        draw.text((PAD, PAD + i * (TITLE_SIZE + 6)), line, fill=TEXT, font=font(TITLE_SIZE))
    return canvas


def _upwards(text: str, size: int, room: int) -> Image.Image:
    """``text`` written upwards (rotated by 90 degrees), ``room`` pixels high at most."""
    face = font(size)
    word = Image.new("RGB", (min(int(face.getlength(text)) + 4, room), size + 8), BACKGROUND)
    ImageDraw.Draw(word).text((2, (size + 8) // 2), text, fill=TEXT, font=face, anchor="lm")
    return word.rotate(90, expand=True)


def _draw_labels(canvas: Image.Image, draw: ImageDraw.ImageDraw, layout: ConfusionLayout) -> None:
    """Class names left of the rows and under the columns; the axis names beyond them."""
    grid = layout.classes * layout.cell
    for k, name in enumerate(layout.labels):
        x0, y0, x1, y1 = layout.cell_box(k, k)
        row_box = (layout.left - layout.row_room, y0, layout.left - 6, y1)
        draw.text((row_box[2], (y0 + y1) / 2), name, fill=TEXT, font=font(LABEL_SIZE), anchor="rm")
        below = layout.top + grid
        if layout.upright:  # long names read upwards, their ends at the grid
            turned = _upwards(name, LABEL_SIZE, layout.col_room - 6)
            x = (x0 + x1 - turned.width) // 2
            canvas.paste(turned, (x, below + 6))
        else:
            _centred(draw, (x0, below, x1, below + layout.col_room), name, LABEL_SIZE, TEXT)
    below = layout.top + grid + layout.col_room
    _centred(
        draw,
        (layout.left, below, layout.left + grid, below + AXIS_ROOM),
        "predicted",
        AXIS_SIZE,
        TEXT,
    )
    # "true" written upwards along the rows
    turned = _upwards("true", AXIS_SIZE, 200)
    canvas.paste(turned, (PAD, layout.top + (grid - turned.height) // 2))


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


def save_confusion_png(
    path: str | Path,
    confusion: np.ndarray,
    title: str = "",
    labels: tuple[str, ...] | list[str] | None = None,
) -> Path:
    """Write the confusion matrix picture, labelled with the class names ``labels`` (default
    their numbers), to ``path``; returns it. FigureError (one line) when the matrix is not
    square, the labels do not match it or the path cannot be written."""
    return write_png(render_confusion(confusion, title, labels), path)
