"""Line building of a heatmap grid: a model's current page as Strips of merged Segment runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.widgets.fit_text import fit_joined
from tui.widgets.halfblock import EMPTY, PLAIN, map_rows, outline
from tui.widgets.palette import Palette

if TYPE_CHECKING:
    from tui.widgets.grid import GridModel, Layout


@dataclass
class GridStyles:
    """Styles of the parts of a grid (None: terminal default, as in ASCII mode)."""

    base: Style | None = None
    title: Style | None = None
    caption: Style | None = None
    label: Style | None = None


class Canvas:
    """Lines of segments filled left to right, padded to ``width`` at the end; every segment
    has a style (PLAIN for the terminal's own), as Textual's NO_COLOR filter needs."""

    def __init__(self, width: int, height: int, base: Style | None) -> None:
        self.width, self.height, self.base = width, height, base or PLAIN
        self.lines: list[list[Segment]] = [[] for _ in range(height)]
        self.cursor = [0] * height

    def put(self, x: int, y: int, segments: list[Segment], cells: int) -> None:
        """Place segments ``cells`` wide at (x, y); dropped if they do not fit."""
        if not 0 <= y < self.height or x + cells > self.width or x < self.cursor[y]:
            return
        if x > self.cursor[y]:
            self.lines[y].append(Segment(" " * (x - self.cursor[y]), self.base))
        self.lines[y].extend(segments)
        self.cursor[y] = x + cells

    def text(self, x: int, y: int, value: str, cells: int, style: Style | None) -> None:
        value = value[: max(0, cells)]
        if value:
            self.put(x, y, [Segment(value, style or PLAIN)], len(value))

    def strips(self) -> list[Strip]:
        for line, cursor in zip(self.lines, self.cursor, strict=True):
            if cursor < self.width:
                line.append(Segment(" " * (self.width - cursor), self.base))
        return [Strip(line, self.width) for line in self.lines]


def fit_caption(caption: str, width: int) -> str:
    """The caption in ``width`` cells: whole trailing " · " details dropped first, then words
    (a cut word reads as garbage); see :func:`tui.widgets.fit_text.fit_joined`."""
    return fit_joined(caption, width)


def map_keys(model: GridModel, grid: Layout, index: int, palette: Palette) -> np.ndarray:
    """Colour keys of one map after resampling (and with the highlight outline)."""
    assert model.codes is not None
    if grid.kind == "vector":
        values = model.codes[0, 0][grid.rx]
        padded = np.full(grid.map_h // 2 * grid.map_w, EMPTY, dtype=model.codes.dtype)
        padded[: values.size] = values
        codes = np.repeat(padded.reshape(-1, grid.map_w), 2, axis=0)
    else:
        codes = model.codes[index][np.ix_(grid.ry, grid.rx)]
    keys = palette.keys(codes)
    if model.highlight is not None and model.highlight[0] == index and grid.kind != "vector":
        h, w = model.codes.shape[1:3]
        y0, x0, y1, x1 = model.highlight[1]
        sy, sx = grid.map_h / h, grid.map_w / w
        box = (int(y0 * sy), int(x0 * sx), math.ceil(y1 * sy), math.ceil(x1 * sx))
        keys[outline(keys.shape, box)] = palette.highlight
    return keys


def build_lines(
    model: GridModel,
    width: int,
    height: int,
    page: int,
    mode: str,
    styles: GridStyles | None = None,
) -> list[Strip]:
    """One Strip per line of a ``width`` x ``height`` area showing the model's ``page``."""
    styles = styles or GridStyles()
    base = None if mode == "ascii" else styles.base
    grid = model.layout(width, height, page)
    canvas = Canvas(width, height, base)
    if model.header:
        _draw_header(model, canvas, grid, page, styles)
    tiles = getattr(model, "pixel_tiles", None) if mode != "ascii" else None
    if tiles is not None:  # Kitty graphics (tui.widgets.pixel_tiles): maps in real pixels
        tiles.begin_page()
    if grid.kind != "empty":
        _draw_maps(model, canvas, grid, model.palette(mode, base), styles, tiles)
    elif model.message and height > 1:
        message = model.message[:width]
        x = max(0, (width - len(message)) // 2)
        canvas.text(x, height // 2, message, len(message), styles.title)
    if tiles is not None:  # the images this page no longer shows are deleted
        tiles.end_page()
    return canvas.strips()


def _draw_header(
    model: GridModel, canvas: Canvas, grid: Layout, page: int, styles: GridStyles
) -> None:
    right = page_label(grid, page) if grid.page_count > 1 else ""
    if len(right) > canvas.width:
        right = ""
    caption_w = canvas.width - len(right) - (1 if right else 0)
    canvas.text(0, 0, fit_caption(model.caption, caption_w), caption_w, styles.caption)
    canvas.text(canvas.width - len(right), 0, right, len(right), styles.caption)


def _draw_maps(
    model: GridModel,
    canvas: Canvas,
    grid: Layout,
    palette: Palette,
    styles: GridStyles,
    tiles: Any = None,
) -> None:
    for slot, (index, x, y) in enumerate(grid.placements):
        top = y
        if grid.kind == "table":
            assert model.row_labels is not None
            row, col = divmod(index, model.columns)
            if slot < grid.cols:  # the page's first row: column titles above it
                canvas.text(x, 1, model.titles[col], grid.cell_w, styles.title)
            if x == grid.label_w:
                canvas.text(0, y, model.row_labels[row], grid.label_w - 1, styles.label)
        elif grid.kind == "flow" and grid.titles:
            canvas.text(x, y, model.titles[index], grid.cell_w, styles.title)
            top = y + 1
        rows = tiles.rows(model, grid, index) if tiles is not None else None
        if rows is None:
            rows = map_rows(map_keys(model, grid, index, palette), palette)
        for offset, segments in enumerate(rows):
            canvas.put(x, top + offset, segments, grid.map_w)


def page_label(grid: Layout, page: int) -> str:
    """``page 2/5`` for ``page`` (0-based, clamped to the layout's pages)."""
    page = min(max(page, 0), grid.page_count - 1)
    return f"page {page + 1}/{grid.page_count}"
