"""The Evaluate tab's confusion matrix: an N x N table of counts with a cell cursor.

Rows and columns are labelled with the class names (cut to fit a cell, the full names beside
the matrix for the cell under the cursor and in its tooltip). Its cells are coloured by the
same lookup tables as the heatmaps (log of the count, so a handful of mistakes still shows
against the diagonal's thousand).
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
from tui.class_names import abbreviate, are_digits, legend, name_of
from tui.evaluate.views import cell_values
from tui.widgets.fit_text import SEPARATOR, Part

CELL = 5  # columns per matrix cell at scale 1: up to four digits and a space
LABEL = 4  # the row label column ("  7 ")
ACC_WIDTH = 7  # the accuracy column (" 100.0%")
MAX_SCALE = 6  # rows per cell at most (a 61-row matrix)
CELL_TEXT_MIN = 26  # columns kept beside the matrix for the text of the cell under the cursor
MAX_LABEL = 10  # row labels (class names) longer than this are cut


def label_width(names: Sequence[str] | None, room: int = 0) -> int:
    """Columns of the row labels: ``LABEL`` for digits, else the longest name and a space,
    the name cut at ``MAX_LABEL`` unless ``room`` (the panel's columns) holds the whole
    names beside the compact matrix and the cell's text."""
    if are_digits(names):
        return LABEL
    longest = max(len(str(n)) for n in names or ["?"])
    whole = max(LABEL, longest + 1)
    if matrix_size(1, len(names or ["?"]), whole)[0] + CELL_TEXT_MIN <= room:
        return whole
    return max(LABEL, min(MAX_LABEL, longest) + 1)


def summary_parts(payload: dict[str, Any] | None, names: Sequence[str] | None = None) -> list[Part]:
    """The summary line's parts; accuracy and a NaN warning are kept longest. ``names``: the
    classes (digits count "digits", other classes "images")."""
    if not payload:
        return [Part("Evaluating on the test split…", 0)]
    items = "digits" if are_digits(names) else "images"
    parts = [
        Part(f"{payload['split']} split", 1),
        Part(f"{payload['count']:,} {items}", 2),
        Part(f"loss {payload['loss']:.4f}", 3),
        Part(f"accuracy {100 * payload['accuracy']:.2f}%", 5),
        Part(f"{payload['wrong']:,} wrong", 4),
    ]
    bad = payload.get("nonfinite_weights") or 0
    if bad:  # why the loss is nan, in the same line
        parts.append(Part(f"! {bad:,} weights are NaN/inf", 6))
    return parts


def summary_text(payload: dict[str, Any] | None) -> str:
    """The summary line in full."""
    return SEPARATOR.join(part.text for part in summary_parts(payload))


def _cell_style(rgb: np.ndarray, mode: str) -> Style:
    """The cell's colour as background, with black or white text, whichever reads better."""
    r, g, b = (int(v) for v in rgb)
    light = 0.299 * r + 0.587 * g + 0.114 * b > 140
    if mode == "truecolor":
        ink = Color.from_rgb(0, 0, 0) if light else Color.from_rgb(255, 255, 255)
        return Style(color=ink, bgcolor=Color.from_rgb(r, g, b))
    code = int(rgb_to_xterm256(np.array([r, g, b])))
    return Style(color=Color.from_ansi(16 if light else 231), bgcolor=Color.from_ansi(code))


def cell_width(scale: int) -> int:
    """Columns per matrix cell at ``scale`` (rows per cell): a little wider each step, so
    cells stay near square in terminal cells about twice as tall as wide."""
    return CELL + scale - 1


def matrix_size(scale: int, classes: int = 10, label: int = LABEL) -> tuple[int, int]:
    """(columns, rows) of the matrix drawn at ``scale`` with ``label`` columns of row labels."""
    return label + classes * cell_width(scale) + ACC_WIDTH, 1 + classes * scale


def fit_scale(width: int, height: int, classes: int = 10, label: int = LABEL) -> int:
    """The largest whole scale (1..MAX_SCALE) at which the matrix fits ``width`` x ``height``
    cells; 1 when none does."""
    for scale in range(MAX_SCALE, 1, -1):
        columns, rows = matrix_size(scale, classes, label)
        if columns <= width and rows <= height:
            return scale
    return 1


def _count_label(count: int, cursor: bool, width: int, scale: int) -> str:
    """A cell's count ("·" for none, "[n]" under the cursor) in ``width`` columns."""
    if scale == 1:  # the compact matrix keeps its right-aligned columns
        return f"[{count:>{width - 2}}]" if cursor else f"{count if count else '·':>{width - 1}} "
    return (f"[{count}]" if cursor else f"{count if count else '·'}").center(width)


def matrix_text(
    confusion: np.ndarray,
    per_class: Sequence[float],
    cursor: tuple[int, int],
    mode: str,
    scale: int = 1,
    names: Sequence[str] | None = None,
    label_w: int = 0,
) -> Text:
    """Header, then ``scale`` lines per true class (counts in coloured cells ``scale`` rows
    tall and ``cell_width(scale)`` wide, on their middle line with the row's accuracy).
    ``names``: the class names labelling rows and columns (None: the class indices);
    ``label_w``: the row labels' columns (0: ``label_width(names)``)."""
    classes, width, middle = len(confusion), cell_width(scale), scale // 2
    names = [name_of(names, c) for c in range(classes)]
    label_w = label_w or label_width(names)
    columns = abbreviate(names, width - 1)
    rows = abbreviate(names, label_w - 1)
    text = Text(no_wrap=True)
    text.append("t╲p".ljust(label_w), Style(dim=True))  # rows: true class, columns: predicted
    if scale == 1:
        header = "".join(f"{c:>{CELL - 1}} " for c in columns)
    else:
        header = "".join(c.center(width) for c in columns)
    text.append(header, Style(bold=True))
    text.append("   acc\n", Style(bold=True))
    colours = apply(cell_values(confusion), COLORMAPS["sequential"])
    for row in range(classes):
        for line in range(scale):
            label = f"{rows[row]:>{label_w - 1}} " if line == middle else " " * label_w
            text.append(label, Style(bold=True))
            for col in range(classes):
                count = int(confusion[row][col])
                at_cursor = (row, col) == tuple(cursor)
                shown = _count_label(count, at_cursor, width, scale)
                style = Style() if mode == "ascii" else _cell_style(colours[row, col], mode)
                if at_cursor:
                    style = style + Style(bold=True, reverse=True)
                text.append(shown if line == middle else " " * width, style)
            text.append(f" {_accuracy(per_class, row)}" if line == middle else "")
            text.append("\n")
    text.right_crop(1)  # no empty line under the last row
    return text


def _accuracy(per_class: Sequence[float], row: int) -> str:
    accuracy = per_class[row] if row < len(per_class) else None
    if accuracy is None or not np.isfinite(accuracy):
        return "     -"
    return f"{100 * accuracy:5.1f}%"


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
    scale: reactive[int] = reactive(1, layout=True)  # rows per cell (MatrixPanel fits it)

    def __init__(self, *, color_mode: str = "256", id: str | None = None) -> None:
        super().__init__(id=id)
        self.confusion: np.ndarray | None = None
        self.per_class: list[float] = []
        self.names: list[str] | None = None  # the class names (None: the indices)
        self.label_w = 0  # the row labels' columns (MatrixPanel fits them; 0: cut names)
        self.set_reactive(ConfusionMatrix.color_mode, color_mode)

    def set_data(
        self,
        confusion: np.ndarray,
        per_class: Sequence[float],
        names: Sequence[str] | None = None,
    ) -> None:
        """The counts (N, N), each class's accuracy and the class names (None: indices);
        shortened names get a legend as the matrix's tooltip."""
        self.confusion = np.asarray(confusion, dtype=np.int64)
        self.per_class = [float(v) for v in per_class]
        self.names = None if names is None else [str(n) for n in names][: len(self.confusion)]
        shown = self.names or []
        self.tooltip = legend(shown, cell_width(self.scale) - 1) or None
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
        return matrix_text(
            self.confusion,
            self.per_class,
            self.cursor,
            self.color_mode,
            self.scale,
            self.names,
            self.label_w,
        )


def cell_text(true: int, pred: int, count: int, names: Sequence[str] | None = None) -> str:
    """What the cell under the cursor holds, beside the matrix (full class names)."""
    true_name, pred_name = name_of(names, true), name_of(names, pred)
    what = f"{true_name} correct" if true == pred else f"{true_name} mistaken for {pred_name}"
    items = "digits" if are_digits(names) else "images"
    return (
        f"true {true_name}, predicted {pred_name}:\n{count} {items} ({what})\n\n"
        "enter: show them\nw: every mistake"
    )


class MatrixPanel(Horizontal):
    """The confusion matrix beside the text of the cell under its cursor (under it when the
    terminal is too narrow for both side by side: class ``-stacked``)."""

    DEFAULT_CSS = """
    MatrixPanel.-stacked { layout: vertical; }
    MatrixPanel.-stacked > #eval-cell { height: auto; padding: 1 0 0 4; }
    """

    def __init__(self, *, color_mode: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.color_mode = color_mode

    def compose(self) -> ComposeResult:
        yield ConfusionMatrix(id="eval-matrix", color_mode=self.color_mode)
        yield Static("", id="eval-cell", markup=False)

    def on_resize(self) -> None:
        """Enlarge the matrix by the largest whole scale that fits, leaving room beside it
        for the cell's text."""
        width, height = self.content_size
        if width <= 0:  # not laid out yet: the first resize fits it
            return
        matrix = self.query_one(ConfusionMatrix)
        classes = 10 if matrix.confusion is None else len(matrix.confusion)
        label = label_width(matrix.names, width)
        if label != matrix.label_w:  # whole names where the panel has room for them
            matrix.label_w = label
            matrix.refresh(layout=True)
        stacked = width - matrix_size(1, classes, label)[0] < CELL_TEXT_MIN
        self.set_class(stacked, "-stacked")
        scale = 1 if stacked else fit_scale(width - CELL_TEXT_MIN, height, classes, label)
        matrix.scale = scale
        if matrix.names:  # the legend names what the cells of this scale cut
            matrix.tooltip = legend(matrix.names, cell_width(scale) - 1) or None

    def set_data(
        self,
        confusion: np.ndarray,
        per_class: Sequence[float],
        names: Sequence[str] | None = None,
    ) -> None:
        """The matrix's counts, accuracies and class names (None: the class indices)."""
        self.query_one(ConfusionMatrix).set_data(confusion, per_class, names)
        self.on_resize()
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
        text = cell_text(*matrix.cursor, matrix.count, matrix.names)
        self.query_one("#eval-cell", Static).update(text)
