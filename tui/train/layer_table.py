"""LayerTable: the model's layers (name, type, output, parameters, MACs) and a totals row.

The columns fit the table's width (``tui.train.layer_columns``: the type goes first, then the
numbers get compact); the totals row stays pinned to the bottom line while the layers scroll.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Spacing
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable

from tui.train.layer_columns import (
    HEADERS,
    RIGHT,
    Columns,
    fit_columns,
    layer_values,
    spaced,
    totals_values,
)

TOTAL_KEY = "__total__"


class LayerTable(DataTable):
    """One row per layer of the summary, plus a totals row; row cursor selects the layer.

    Filled from ``ModelSummary.to_dict()`` (the ``load`` reply's ``summary``). Moving the cursor
    posts :class:`LayerTable.LayerSelected` with the layer's summary dict; the totals row is not
    selectable (the cursor goes back to the last layer)."""

    DEFAULT_CSS = """
    LayerTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """
    BINDINGS = [
        Binding("j", "select_next", "Next layer", show=False),
        Binding("k", "select_previous", "Previous layer", show=False),
    ]

    class LayerSelected(Message):
        """The highlighted layer changed: ``name`` and its summary ``row`` dict."""

        def __init__(self, table: LayerTable, name: str, row: dict[str, Any]) -> None:
            super().__init__()
            self.table = table
            self.name = name
            self.row = row

        @property
        def control(self) -> LayerTable:
            return self.table

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(
            name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=False,
            cell_padding=0,
        )  # fmt: skip
        self.summary: dict[str, Any] = {}
        self.form: Columns = Columns()  # the columns in view (fit_columns)
        self.layer_rows: list[dict[str, Any]] = []
        self._keys: list[str] = []
        self._last_posted: str | None = None

    def on_mount(self) -> None:
        if not self.columns:
            self._add_columns()

    def _add_columns(self) -> None:
        for key in self.form.keys:
            justify = "right" if key in RIGHT else "left"
            label = Text(spaced(key, HEADERS[key], self.form), justify=justify)
            self.add_column(label, key=key)  # type: ignore[arg-type]

    def _cells(self, values: dict[str, str], style: str = "") -> list[Text]:
        form = self.form
        return [
            Text(spaced(key, values[key], form), style=style if key != "type" else "dim",
                 justify="right" if key in RIGHT else "left")
            for key in form.keys
        ]  # fmt: skip

    @property
    def available_width(self) -> int | None:
        """Cells for the columns (the scrollbar's taken off); None before the first layout."""
        width = self.scrollable_content_region.width
        return width if width > 0 else None

    def load_summary(self, summary: dict[str, Any], keep_selection: bool = True) -> None:
        """Fill the table from a summary dict; keeps the selected layer when it still exists."""
        previous = self.selected_name if keep_selection else None
        self.summary = dict(summary)
        self.layer_rows = [dict(row) for row in summary.get("layers", [])]
        self.form = fit_columns(self.summary, self.available_width)
        self._fill()
        self._last_posted = None
        if self.layer_rows:
            target = self._keys.index(previous) if previous in self._keys else 0
            self.move_cursor(row=target)
            self._post_selected(target)

    def _fill(self) -> None:
        self.clear(columns=True)
        self._add_columns()
        self._keys = []
        for index, row in enumerate(self.layer_rows):
            name = str(row.get("name", index))
            key = name if name not in self._keys else f"{name}#{index}"  # keys must be unique
            self._keys.append(key)
            self.add_row(*self._cells(layer_values(row, self.form)), key=key)
        totals = totals_values(self.summary, self.layer_rows, self.form)
        self.add_row(*self._cells(totals, "bold"), key=TOTAL_KEY)

    def on_resize(self) -> None:
        """Fit the columns to the new width (the selection and scroll stay)."""
        if not self.layer_rows:
            return
        form = fit_columns(self.summary, self.available_width)
        if form != self.form:
            self.form = form
            cursor, scroll = self.cursor_row, self.scroll_y
            self._fill()
            self.move_cursor(row=cursor, scroll=False)
            self.scroll_to(y=scroll, animate=False, immediate=True)

    # -- the pinned totals row ----------------------------------------------------------------
    @property
    def totals_pinned(self) -> bool:
        """Whether the layers scroll, so the totals row is drawn on the bottom line."""
        rows = getattr(self, "layer_rows", None)  # asked during DataTable.__init__ too
        return bool(rows) and self.virtual_size.height > self.size.height

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if y == height - 1 and self.totals_pinned:
            totals_line = self._get_row_region(len(self.layer_rows)).y
            scroll_x = self.scroll_offset.x
            return self._render_line(totals_line, scroll_x, scroll_x + width, self.rich_style)
        return super().render_line(y)

    def _get_fixed_offset(self) -> Spacing:
        # The cursor scrolls into view above the pinned totals line, not under it.
        offset = super()._get_fixed_offset()
        return Spacing(offset.top, offset.right, int(self.totals_pinned), offset.left)

    # -- selection --------------------------------------------------------------------------
    @property
    def selected_index(self) -> int | None:
        if not self.layer_rows:
            return None
        row = self.cursor_row
        return row if 0 <= row < len(self.layer_rows) else None

    @property
    def selected_name(self) -> str | None:
        index = self.selected_index
        return None if index is None else str(self.layer_rows[index].get("name"))

    @property
    def selected_row(self) -> dict[str, Any] | None:
        index = self.selected_index
        return None if index is None else self.layer_rows[index]

    def select_next(self) -> None:
        if self.layer_rows:
            self.move_cursor(row=min(self.cursor_row + 1, len(self.layer_rows) - 1))

    def select_previous(self) -> None:
        if self.layer_rows:
            self.move_cursor(row=max(self.cursor_row - 1, 0))

    def select_name(self, name: str) -> bool:
        """Move the cursor to the layer called ``name``; False if there is none."""
        for index, row in enumerate(self.layer_rows):
            if str(row.get("name")) == name:
                self.move_cursor(row=index)
                return True
        return False

    action_select_next = select_next
    action_select_previous = select_previous

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is not self:
            return
        event.stop()
        if event.cursor_row >= len(self.layer_rows):  # the totals row: stay on the last layer
            if self.layer_rows:
                self.move_cursor(row=len(self.layer_rows) - 1)
            return
        self._post_selected(event.cursor_row)

    def _post_selected(self, index: int) -> None:
        if not 0 <= index < len(self.layer_rows):
            return
        row = self.layer_rows[index]
        name = str(row.get("name"))
        if name == self._last_posted:
            return
        self._last_posted = name
        self.post_message(self.LayerSelected(self, name, row))
