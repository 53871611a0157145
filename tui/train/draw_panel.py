"""DrawPanel: the Train tab's drawing (p): canvas, pre-processed digit, prediction, hint.

It takes the place of the training pane in the left column (and of the layer table where the
screen is short): the canvas, the pre-processed digit the network sees (on tall screens; the
inspector's sample column shows it always), the prediction and a hint line. Its strokes go to
``tui.train.drawing_control.DrawingControl``, which sends them to the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.css.scalar import Scalar
from textual.widgets import Static

from tui.train.draw_canvas import DrawCanvas, GreyPixels
from tui.train.drawing import CANVAS

if TYPE_CHECKING:
    from tui.train.drawing_control import DrawingControl

DRAW_A_DIGIT = "draw a digit"
HINT = "drag · ←↑↓→ space · ⏎ pen · ⇧ erase"
BIG_CANVAS_HEIGHT = 56  # rows: the large canvas and the digit below it leave the layers 7
MIN_LAYER_ROWS = 6  # the layer table below the canvas: its border, heading and 3 layers


class DrawPanel(Vertical):
    """The canvas, the pre-processed digit, the prediction line and a hint line."""

    SCOPED_CSS = False  # it also hides the training pane (and the layers) beside it
    DEFAULT_CSS = """
    DrawPanel {
        height: auto; border: round $accent; border-title-color: $text;
        padding: 0;
    }
    DrawPanel #draw-preview { display: none; }
    DrawPanel.-big #draw-preview { margin-top: 1; }
    Screen.-tall DrawPanel #draw-preview { display: block; }
    DrawPanel .draw-line { height: 1; width: 100%; text-align: center; }
    DrawPanel #draw-hint { color: $text-muted; }
    #left.-drawing #training { display: none; }
    #left.-drawing #layers { display: none; }
    #left.-drawing.-roomy #layers { display: block; }
    """

    def __init__(self, control: DrawingControl, *, color_mode: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.control = control
        self.color_mode = color_mode

    def compose(self) -> ComposeResult:
        mode = "ascii" if self.color_mode == "ascii" else "truecolor"
        with Center():  # the lines below are as wide as the panel
            yield DrawCanvas(id="draw-canvas", color_mode=mode)
        with Center():
            yield GreyPixels(id="draw-preview", color_mode=mode)
        yield Static(DRAW_A_DIGIT, id="draw-result", classes="draw-line", markup=False)
        yield Static(HINT, id="draw-hint", classes="draw-line", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Draw a digit"
        self.screen.screen_layout_refresh_signal.subscribe(self, self.fit)
        self.fit()

    def fit(self, _screen: object = None) -> None:
        """The canvas twice as large (square pixels, the left column widened to frame it)
        where the screen is wide (140 columns on) and tall enough to keep some layers in
        view below it; the
        layer table shown below the panel where it gets ``MIN_LAYER_ROWS``."""
        big = self.screen.has_class("-wide") and self.app.size.height >= BIG_CANVAS_HEIGHT
        left = self.parent
        if big != self.has_class("-big"):
            self.set_class(big, "-big")
            self.canvas.set_class(big, "-big")
            if left is not None:  # the big canvas and the panel's side borders
                left.styles.width = 2 * CANVAS + 2 if big else None
        if left is not None and self.display:  # the layers below where they have rows
            spare = left.size.height - self.outer_size.height
            left.set_class(spare >= MIN_LAYER_ROWS, "-roomy")
            layers = left.query_one("#layers")
            if spare >= MIN_LAYER_ROWS and layers.styles.max_height != Scalar.from_number(spare):
                layers.styles.max_height = spare  # over the app's half of the column

    def release(self) -> None:
        """Closed: the layer table gets its own height back."""
        left = self.parent
        if left is not None:
            left.remove_class("-drawing", "-roomy")
            left.query_one("#layers").styles.max_height = None
            left.styles.width = None
            self.set_class(False, "-big")
            self.canvas.set_class(False, "-big")
        self.query_one("#draw-preview").tooltip = "what the network sees: MNIST's pre-processing"

    @property
    def canvas(self) -> DrawCanvas:
        return self.query_one(DrawCanvas)

    def set_result(self, text: str) -> None:
        self.query_one("#draw-result", Static).update(text)

    def show_reply(self, payload: dict[str, Any], class_names: list[str] | None) -> None:
        """The ``drawn`` reply: the pre-processed digit and the prediction; a blank canvas
        says what the model still predicts for it (as the inspector shows) and "draw a digit"."""
        self.query_one("#draw-preview", GreyPixels).show(np.asarray(payload["image"]))
        probs = np.asarray(payload.get("probs", []), dtype=np.float64)
        pred = int(payload.get("pred", probs.argmax() if probs.size else 0))
        name = class_names[pred] if class_names and pred < len(class_names) else str(pred)
        if payload.get("blank") or self.canvas.drawing.blank:
            share = f" ({probs[pred]:.0%})" if pred < probs.size else ""
            self.set_result(f"blank · the model still says {name}{share} · {DRAW_A_DIGIT}")
            return
        share = f" · {probs[pred]:.0%}" if pred < probs.size else ""
        self.set_result(f"looks like a {name}{share}")

    def on_draw_canvas_changed(self, message: DrawCanvas.Changed) -> None:
        message.stop()
        self.control.send(message.pixels)

    def on_draw_canvas_pen_toggled(self, message: DrawCanvas.PenToggled) -> None:
        message.stop()
        self.border_subtitle = "pen down" if message.down else ""

    def on_draw_canvas_closed(self, message: DrawCanvas.Closed) -> None:
        message.stop()
        self.control.close()
