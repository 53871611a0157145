"""LayerTable: the model's layers (name, type, output, parameters, MACs) and a totals row."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui.train.formatting import format_count, format_macs, format_shape

TOTAL_KEY = "__total__"
COLUMNS = (
    ("name", "name"),
    ("type", "type"),
    ("output", "output"),
    ("params", "params"),
    ("macs", "MACs"),
)


class LayerTable(DataTable):
    """One row per layer of the summary, plus a totals row; row cursor selects the layer.

    Filled from ``ModelSummary.to_dict()`` (the ``load`` reply's ``summary``). Moving the cursor
    posts :class:`LayerTable.LayerSelected` with the layer's summary dict; the totals row is not
    selectable (the cursor goes back to the last layer)."""

    DEFAULT_CSS = """
    LayerTable {
        height: 1fr;
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
        super().__init__(name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self.summary: dict[str, Any] = {}
        self.layer_rows: list[dict[str, Any]] = []
        self._keys: list[str] = []
        self._last_posted: str | None = None

    def on_mount(self) -> None:
        if not self.columns:
            self._add_columns()

    def _add_columns(self) -> None:
        for key, label in COLUMNS:
            justify = "right" if key in ("params", "macs") else "left"
            self.add_column(Text(label, justify=justify), key=key)  # type: ignore[arg-type]

    def load_summary(self, summary: dict[str, Any], keep_selection: bool = True) -> None:
        """Fill the table from a summary dict; keeps the selected layer when it still exists."""
        previous = self.selected_name if keep_selection else None
        self.summary = dict(summary)
        self.layer_rows = [dict(row) for row in summary.get("layers", [])]
        self.clear(columns=True)
        self._add_columns()
        self._keys = []
        for index, row in enumerate(self.layer_rows):
            name = str(row.get("name", index))
            key = name if name not in self._keys else f"{name}#{index}"  # keys must be unique
            self._keys.append(key)
            self.add_row(*layer_cells(row), key=key)
        self.add_row(*totals_cells(summary, self.layer_rows), key=TOTAL_KEY)
        self._last_posted = None
        if self.layer_rows:
            target = self._keys.index(previous) if previous in self._keys else 0
            self.move_cursor(row=target)
            self._post_selected(target)

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


def format_trainable(summary: dict[str, Any]) -> str:
    trainable, total = summary.get("trainable_params"), summary.get("total_params")
    if trainable is None or total is None or trainable == total:
        return ""
    return f"{format_count(trainable)} trainable"


def layer_cells(row: dict[str, Any]) -> tuple[str | Text, ...]:
    return (
        str(row.get("name", "")),
        str(row.get("type", "")),
        format_shape(row.get("output_shape")),
        Text(format_count(row.get("params", 0)), justify="right"),
        Text(format_macs(row.get("macs", 0)), justify="right"),
    )


def totals_cells(summary: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[Text, ...]:
    """The totals row: the summary's totals, or the sums of the rows when it has none."""
    total_params = summary.get("total_params")
    if total_params is None:
        total_params = sum(int(r.get("params", 0) or 0) for r in rows)
    total_macs = summary.get("total_macs")
    if total_macs is None:
        total_macs = sum(int(r.get("macs", 0) or 0) for r in rows)
    return (
        Text("total", style="bold"),
        Text(f"{len(rows)} layers", style="dim"),
        Text(format_trainable(summary), style="dim"),
        Text(format_count(total_params), style="bold", justify="right"),
        Text(format_macs(total_macs), style="bold", justify="right"),
    )
