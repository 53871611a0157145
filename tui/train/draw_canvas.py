"""DrawCanvas: a 28x28 canvas to draw a digit on with the mouse or the keyboard (GreyPixels)."""

from __future__ import annotations

import numpy as np
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from tui.commands import Key, bindings
from tui.train.drawing import CANVAS, Drawing, grey_strips

DEBOUNCE_S = 0.1  # while dragging, strokes are sent at most this often (and on release)

MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def _drawing_key(keys: str, action: str, label: str, help_text: str, footer: bool = False) -> Key:
    return Key(keys, action, label, "drawing: " + help_text, footer=footer, group="Drawing")


DRAW_KEYS: tuple[Key, ...] = (
    _drawing_key("up,down,left,right", "move", "Move", "move the cursor (the pen down: paint)"),
    _drawing_key("shift+up,shift+down,shift+left,shift+right", "erase_move", "Erase moving",
                 "move the cursor, erasing under it"),
    _drawing_key("space", "paint", "Paint", "paint under the cursor", footer=True),
    _drawing_key("backspace", "erase", "Erase", "erase under the cursor"),
    _drawing_key("enter", "toggle_pen", "Pen", "pen down (the arrows paint) or up", footer=True),
    _drawing_key("delete", "clear", "Clear", "clear the canvas", footer=True),
    _drawing_key("escape", "close", "Close", "close the canvas (p opens it again)", footer=True),
)  # fmt: skip
# The arrows are bound one by one (each with its direction); the rows above describe them.
MOVE_BINDINGS = [
    Binding(name, f"move({d_row}, {d_col})", "Move", show=False)
    for name, (d_row, d_col) in MOVES.items()
] + [
    Binding(f"shift+{name}", f"erase_move({d_row}, {d_col})", "Erase moving", show=False)
    for name, (d_row, d_col) in MOVES.items()
]
CONSUMED = {name for key in DRAW_KEYS for name in key.keys.split(",")}


class GreyPixels(Widget):
    """A grey picture (float (H, W) in [0, 1]): one pixel per column and two per line in half
    blocks, or (class ``-big``) square pixels two columns wide, a line per pixel row."""

    DEFAULT_CSS = "GreyPixels { width: 28; height: 14; } GreyPixels.-big { width: 56; height: 28; }"

    def __init__(self, *, color_mode: str = "truecolor", **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.color_mode = color_mode
        self.pixels = np.zeros((CANVAS, CANVAS), dtype=np.float32)
        self._strips: list[Strip] | None = None

    def show(self, pixels: np.ndarray) -> None:
        """Draw ``pixels``: float (H, W) in [0, 1], or uint8 0-255."""
        array = np.asarray(pixels)
        self.pixels = array / 255.0 if array.dtype == np.uint8 else array.astype(np.float32)
        self.redraw()

    def redraw(self) -> None:
        self._strips = None
        self.refresh()

    def cursor_pixel(self) -> tuple[int, int] | None:
        return None

    @property
    def scale(self) -> int:
        """Cells per pixel across: 2 (square pixels, a line per row) where the widget is
        twice the canvas's size, else 1 (half blocks)."""
        wide, tall = self.size.width >= 2 * CANVAS, self.size.height >= CANVAS
        return 2 if wide and tall else 1

    def on_resize(self) -> None:
        self.redraw()

    def render_line(self, y: int) -> Strip:
        if self._strips is None:
            cursor = self.cursor_pixel()
            self._strips = grey_strips(self.pixels, self.color_mode, cursor, self.scale)
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)


class DrawCanvas(GreyPixels, can_focus=True):
    """The canvas: drag with the mouse to paint (shift or the right button erases), or move
    the cursor with the arrows (see ``DRAW_KEYS``). Each stroke posts ``Changed``: while
    dragging at most every ``DEBOUNCE_S`` seconds, and when the button is released."""

    KEYS = DRAW_KEYS  # the help screen lists them while the canvas is open
    BINDINGS = [*MOVE_BINDINGS, *bindings(DRAW_KEYS[2:])]

    class Changed(Message):
        """The drawing changed: ``pixels`` float32 (28, 28) in [0, 1] (a copy)."""

        def __init__(self, canvas: DrawCanvas, pixels: np.ndarray) -> None:
            super().__init__()
            self.canvas = canvas
            self.pixels = pixels

        @property
        def control(self) -> DrawCanvas:
            return self.canvas

    class Closed(Message):
        """Escape: the canvas asks to be closed."""

    class PenToggled(Message):
        """The pen went ``down`` (the arrows paint) or up."""

        def __init__(self, down: bool) -> None:
            super().__init__()
            self.down = down

    def __init__(self, *, color_mode: str = "truecolor", **options: object) -> None:
        super().__init__(color_mode=color_mode, **options)
        self.drawing = Drawing()
        self.pixels = self.drawing.pixels
        self._stroke: tuple[bool, tuple[float, float]] | None = None  # (erasing, last point)
        self._pending: Timer | None = None

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # The Train tab binds the arrows and space with priority (layers, samples, pause);
        # while the canvas has the focus they draw. j and k still walk the layers.
        return key in CONSUMED

    def cursor_pixel(self) -> tuple[int, int] | None:
        return self.drawing.cursor if self.has_focus else None

    def on_focus(self) -> None:
        self.redraw()

    def on_blur(self) -> None:
        self.redraw()

    # -- edits ------------------------------------------------------------------------------
    def _edited(self, changed: bool, now: bool = True) -> None:
        self.pixels = self.drawing.pixels
        self.redraw()
        if not changed:
            return
        if now:
            self.send()
        elif self._pending is None:
            self._pending = self.set_timer(DEBOUNCE_S, self.send)

    def send(self) -> None:
        """Post ``Changed`` with the drawing now (a pending debounced one is dropped)."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self.post_message(self.Changed(self, self.drawing.pixels.copy()))

    def action_move(self, d_row: int = 0, d_col: int = 0) -> None:
        self._edited(self.drawing.move(d_row, d_col))

    def action_erase_move(self, d_row: int = 0, d_col: int = 0) -> None:
        self._edited(self.drawing.move(d_row, d_col, erase=True))

    def action_paint(self) -> None:
        self._edited(self.drawing.dab(*self.drawing.cursor))

    def action_erase(self) -> None:
        self._edited(self.drawing.dab(*self.drawing.cursor, erase=True))

    def action_toggle_pen(self) -> None:
        self.drawing.pen_down = not self.drawing.pen_down
        self.post_message(self.PenToggled(self.drawing.pen_down))
        self._edited(self.drawing.pen_down and self.drawing.dab(*self.drawing.cursor))

    def action_clear(self) -> None:
        self._edited(self.drawing.clear())

    def action_close(self) -> None:
        self.post_message(self.Closed())

    # -- mouse ------------------------------------------------------------------------------
    def _point(self, event: events.MouseEvent) -> tuple[float, float]:
        """The pixel (row, column) under the mouse: the middle of the cell's two rows."""
        offset = event.get_content_offset_capture(self)
        if self.scale > 1:  # a line per pixel row, two cells per pixel
            return float(offset.y), offset.x / self.scale - 0.25
        return 2 * offset.y + 0.5, float(offset.x)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button not in (1, 3):
            return
        self.focus()
        self.capture_mouse()
        erase = event.shift or event.button == 3
        point = self._point(event)
        self._stroke = (erase, point)
        self._edited(self.drawing.dab(*point, erase), now=False)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._stroke is None:
            return
        erase, last = self._stroke
        point = self._point(event)
        self._stroke = (erase, point)
        self._edited(self.drawing.line(last, point, erase), now=False)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._stroke is None:
            return
        self._stroke = None
        self.release_mouse()
        self.send()
