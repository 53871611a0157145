"""The Evaluate tab's confusion matrix: a 10x10 table of counts with a cell cursor.

Its cells are coloured by the same lookup tables as the heatmaps (log of the count, so a handful
of mistakes still shows against the diagonal's thousand).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from engine.render.colormap import COLORMAPS, apply, rgb_to_xterm256
from tui.evaluate.views import cell_values

CELL = 5  # columns per matrix cell: up to four digits and a space
LABEL = 4  # the row label column ("  7 ")


def summary_text(payload: dict[str, Any] | None) -> str:
    if not payload:
        return "Evaluating on the test split…"
    text = (
        f"{payload['split']} split · {payload['count']:,} digits · loss "
        f"{payload['loss']:.4f} · accuracy {100 * payload['accuracy']:.2f}% · "
        f"{payload['wrong']:,} wrong"
    )
    bad = payload.get("nonfinite_weights") or 0
    if bad:  # why the loss is nan, in the same line
        text += f" · ! {bad:,} weights are NaN/inf"
    return text


def _cell_style(rgb: np.ndarray, mode: str) -> Style:
    """The cell's colour as background, with black or white text, whichever reads better."""
    r, g, b = (int(v) for v in rgb)
    light = 0.299 * r + 0.587 * g + 0.114 * b > 140
    if mode == "truecolor":
        ink = Color.from_rgb(0, 0, 0) if light else Color.from_rgb(255, 255, 255)
        return Style(color=ink, bgcolor=Color.from_rgb(r, g, b))
    code = int(rgb_to_xterm256(np.array([r, g, b])))
    return Style(color=Color.from_ansi(16 if light else 231), bgcolor=Color.from_ansi(code))


def matrix_text(
    confusion: np.ndarray, per_class: Sequence[float], cursor: tuple[int, int], mode: str
) -> Text:
    """Header, one line per true class (counts in coloured cells, accuracy at the end)."""
    classes = len(confusion)
    text = Text()
    text.append("t╲p".ljust(LABEL), Style(dim=True))  # rows: true class, columns: predicted
    text.append("".join(f"{c:>{CELL - 1}} " for c in range(classes)), Style(bold=True))
    text.append("   acc\n", Style(bold=True))
    colours = apply(cell_values(confusion), COLORMAPS["sequential"])
    for row in range(classes):
        text.append(f"{row:>{LABEL - 1}} ", Style(bold=True))
        for col in range(classes):
            count = int(confusion[row][col])
            label = f"{count if count else '·':>{CELL - 1}} "  # dots keep mistakes legible
            style = Style() if mode == "ascii" else _cell_style(colours[row, col], mode)
            if (row, col) == tuple(cursor):
                label = f"[{count:>{CELL - 2}}]"
                style = style + Style(bold=True, reverse=True)
            text.append(label, style)
        accuracy = per_class[row] if row < len(per_class) else None
        shown = (
            "     -" if accuracy is None or not np.isfinite(accuracy) else f"{100 * accuracy:5.1f}%"
        )
        text.append(f" {shown}\n")
    return text


class ConfusionMatrix(Widget):
    """The confusion matrix with a cell cursor; the pane moves the cursor and reads it."""

    DEFAULT_CSS = """
    ConfusionMatrix {
        height: auto;
        width: auto;
    }
    """

    cursor: reactive[tuple[int, int]] = reactive((0, 0))
    color_mode: reactive[str] = reactive("256")

    def __init__(self, *, color_mode: str = "256", id: str | None = None) -> None:
        super().__init__(id=id)
        self.confusion: np.ndarray | None = None
        self.per_class: list[float] = []
        self.set_reactive(ConfusionMatrix.color_mode, color_mode)

    def set_data(self, confusion: np.ndarray, per_class: Sequence[float]) -> None:
        self.confusion = np.asarray(confusion, dtype=np.int64)
        self.per_class = [float(v) for v in per_class]
        self.refresh(layout=True)

    def move(self, rows: int, cols: int) -> None:
        size = 10 if self.confusion is None else len(self.confusion)
        row, col = self.cursor
        self.cursor = ((row + rows) % size, (col + cols) % size)

    @property
    def count(self) -> int:
        """The count under the cursor."""
        return 0 if self.confusion is None else int(self.confusion[self.cursor])

    def render(self) -> Text:
        if self.confusion is None:
            return Text("")
        return matrix_text(self.confusion, self.per_class, self.cursor, self.color_mode)


def cell_text(true: int, pred: int, count: int) -> str:
    """What the cell under the cursor holds, beside the matrix."""
    what = f"{true}s correct" if true == pred else f"{true}s mistaken for {pred}"
    return (
        f"true {true}, predicted {pred}:\n{count} digits ({what})\n\n"
        "enter: show them\nw: every mistake"
    )


class MatrixPanel(Horizontal):
    """The confusion matrix beside the text of the cell under its cursor."""

    def __init__(self, *, color_mode: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.color_mode = color_mode

    def compose(self) -> ComposeResult:
        yield ConfusionMatrix(id="eval-matrix", color_mode=self.color_mode)
        yield Static("", id="eval-cell", markup=False)

    def set_data(self, confusion: np.ndarray, per_class: Sequence[float]) -> None:
        self.query_one(ConfusionMatrix).set_data(confusion, per_class)
        self.show_cell()

    def move(self, rows: int, cols: int) -> None:
        """Move the cursor (wrapping) and describe the new cell."""
        self.query_one(ConfusionMatrix).move(rows, cols)
        self.show_cell()

    @property
    def cursor(self) -> tuple[int, int]:
        """(true, predicted) class of the cell under the cursor."""
        return self.query_one(ConfusionMatrix).cursor

    def show_cell(self) -> None:
        matrix = self.query_one(ConfusionMatrix)
        self.query_one("#eval-cell", Static).update(cell_text(*matrix.cursor, matrix.count))
