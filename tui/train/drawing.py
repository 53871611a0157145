"""Drawing: a canvas's pixels and cursor, the brush that paints them, and their lines drawn.

Plain state and numpy lines (no widget): ``tui.train.draw_canvas.DrawCanvas`` shows and edits it.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from engine.render.colormap import ASCII_RAMP
from tui.widgets.halfblock import PLAIN, UPPER_HALF

CANVAS = 28  # pixels a side, as MNIST's digits
FULL_RADIUS = 0.9  # pixels: the brush's solid core (strokes about 3 px wide, as MNIST's)
EDGE_RADIUS = 2.2  # pixels: where its soft edge has faded to nothing
CURSOR_RGB = (255, 135, 0)  # the keyboard cursor's pixel
Cursor = tuple[int, int] | None


class Drawing:
    """The canvas's pixels (float32 (size, size) in [0, 1], light ink on dark) and the
    keyboard's cursor (row, column); every edit returns whether a pixel changed."""

    def __init__(self, size: int = CANVAS) -> None:
        self.pixels = np.zeros((size, size), dtype=np.float32)
        self.cursor = (size // 2, size // 2)
        self.pen_down = False
        rows, cols = np.mgrid[0:size, 0:size]
        self._rows, self._cols = rows.astype(np.float32), cols.astype(np.float32)

    @property
    def blank(self) -> bool:
        return not bool(self.pixels.any())

    def dab(self, row: float, col: float, erase: bool = False) -> bool:
        """One touch of the brush centred on (row, col) in pixels: solid within FULL_RADIUS,
        fading to nothing at EDGE_RADIUS; ink only grows. Erasing clears every pixel the
        brush would touch."""
        distance = np.hypot(self._rows - row, self._cols - col)
        brush = np.clip((EDGE_RADIUS - distance) / (EDGE_RADIUS - FULL_RADIUS), 0.0, 1.0)
        before = self.pixels
        if erase:  # a firm eraser: everything the brush would touch
            self.pixels = np.where(brush > 0, np.float32(0), before).astype(np.float32)
        else:
            self.pixels = np.maximum(before, brush).astype(np.float32)
        return not np.array_equal(before, self.pixels)

    def line(self, start: tuple[float, float], end: tuple[float, float], erase: bool) -> bool:
        """Dabs every half pixel from ``start`` to ``end`` (row, col), a continuous stroke."""
        steps = max(1, int(np.ceil(2 * np.hypot(end[0] - start[0], end[1] - start[1]))))
        changed = False
        for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
            row = start[0] + (end[0] - start[0]) * t
            col = start[1] + (end[1] - start[1]) * t
            changed |= self.dab(row, col, erase)
        return changed

    def move(self, d_row: int, d_col: int, erase: bool = False) -> bool:
        """Move the cursor one step (kept on the canvas); with the pen down (or ``erase``)
        the way is painted (or erased). Returns whether a pixel changed."""
        size = self.pixels.shape[0]
        row, col = self.cursor
        self.cursor = (min(max(row + d_row, 0), size - 1), min(max(col + d_col, 0), size - 1))
        if erase or self.pen_down:
            return self.line((row, col), self.cursor, erase) or self.dab(*self.cursor, erase)
        return False

    def clear(self) -> bool:
        changed = not self.blank
        self.pixels = np.zeros_like(self.pixels)
        return changed


def _cell_style(upper: tuple[int, ...], lower: tuple[int, ...]) -> Style:
    return Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower))


def _half_block_line(levels: np.ndarray, line: int, mode: str, cursor: Cursor) -> Strip:
    """Terminal line ``line`` of two pixel rows: the upper pixel as the ▀'s colour, the lower
    as its background."""
    segments = []
    for col in range(levels.shape[1]):
        top, bottom = int(levels[2 * line, col]), int(levels[2 * line + 1, col])
        here = cursor is not None and cursor[1] == col and cursor[0] // 2 == line
        if mode == "ascii":
            shade = ASCII_RAMP[max(top, bottom) * len(ASCII_RAMP) // 256]
            segments.append(Segment("X" if here else shade, PLAIN))
            continue
        upper = CURSOR_RGB if here and cursor[0] % 2 == 0 else (top,) * 3
        lower = CURSOR_RGB if here and cursor[0] % 2 == 1 else (bottom,) * 3
        segments.append(Segment(UPPER_HALF, _cell_style(upper, lower)))
    return Strip(segments, levels.shape[1])


def _block_line(levels: np.ndarray, row: int, mode: str, cursor: Cursor, scale: int) -> Strip:
    """Terminal line of pixel row ``row``, each pixel ``scale`` cells wide."""
    segments = []
    for col in range(levels.shape[1]):
        value = int(levels[row, col])
        here = cursor is not None and cursor == (row, col)
        if mode == "ascii":
            text = ("X" if here else ASCII_RAMP[value * len(ASCII_RAMP) // 256]) * scale
            segments.append(Segment(text, PLAIN))
            continue
        rgb = CURSOR_RGB if here else (value,) * 3
        segments.append(Segment(" " * scale, _cell_style(rgb, rgb)))
    return Strip(segments, levels.shape[1] * scale)


def grey_strips(
    pixels: np.ndarray, mode: str, cursor: Cursor = None, scale: int = 1
) -> list[Strip]:
    """The lines that draw grey ``pixels`` (H, W) in [0, 1] with the ``cursor`` pixel (row,
    column) in orange. ``scale`` 1: half blocks, two pixel rows per line, one column each;
    ``scale`` 2 (or more): a line per pixel row, ``scale`` columns per pixel (square pixels).
    ASCII mode shades each cell from a ramp; the cursor's cell is ``X``."""
    levels = np.rint(np.clip(np.nan_to_num(pixels), 0, 1) * 255).astype(int)
    if scale > 1:
        return [_block_line(levels, row, mode, cursor, scale) for row in range(levels.shape[0])]
    if levels.shape[0] % 2:
        levels = np.vstack([levels, np.zeros((1, levels.shape[1]), dtype=int)])
    return [_half_block_line(levels, line, mode, cursor) for line in range(levels.shape[0] // 2)]
