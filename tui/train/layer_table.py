"""LayerTable: the model's layers (name, type, output, parameters, MACs) and a totals row.

One row per module call, as a tree (``tui.train.layer_tree``): containers (a residual block,
an ``nn.Sequential``) fold and unfold under the cursor, names are indented by depth, and a
container's row shows its subtree's totals. The columns fit the table's width
(``tui.train.layer_columns``: the type goes first, then the numbers get compact); the totals
row stays pinned to the bottom line while the layers scroll.
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
from tui.train.layer_tree import LayerTree

TOTAL_KEY = "__total__"


class LayerTable(DataTable):
    """One row per module call of the summary (the visible ones: a folded container hides
    its subtree), plus a totals row; the row cursor selects the layer.

    Filled from ``ModelSummary.to_dict()`` (the ``load`` reply's ``summary``). Moving the cursor
    posts :class:`LayerTable.LayerSelected` with the row's key (``conv1``, ``conv1#2``) and its
    summary dict; the totals row is not selectable (the cursor goes back to the last layer).
    :meth:`toggle_fold` folds or unfolds the container under the cursor."""

    DEFAULT_CSS = """
    LayerTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """
    BINDINGS = [
        Binding("j", "select_next", "Next layer", show=False),
        Binding("k", "select_previous", "Previous layer", show=False),
        # DataTable's enter selects the row (the cursor already does): here it folds a block
        Binding("enter", "fold", "Fold/unfold", show=False),
    ]

    class LayerSelected(Message):
        """The highlighted layer changed: ``name`` (its key: ``conv1#2`` for a second call)
        and its summary ``row`` dict."""

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
        self.layer_tree = LayerTree()
        self.layer_rows: list[dict[str, Any]] = []  # the visible rows, top to bottom
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
                 justify="right" if key in RIGHT else "left", no_wrap=True)
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
        self.layer_tree.set_rows(list(summary.get("layers", [])))
        self._fill()
        self._last_posted = None
        if self.layer_rows:
            keys = self.layer_tree.visible_keys
            target = keys.index(previous) if previous in keys else self.layer_tree.first_leaf()
            self.move_cursor(row=target)
            self._post_selected(target)

    def _fill(self) -> None:
        """Rebuild the rows in view (a model, a width or a fold changed)."""
        tree = self.layer_tree
        self.layer_rows = [tree.rows[i] for i in tree.visible]
        self.form = fit_columns(self.summary, self.available_width, tree.shown_rows())
        self.clear(columns=True)
        self._add_columns()
        for index in tree.visible:
            cells = self._cells(layer_values(tree.shown_row(index), self.form))
            for cell in cells[1:] if tree.is_open(index) else ():
                cell.stylize("dim")  # its children's numbers follow: its totals stay quiet
            self.add_row(*cells, key=f"{tree.keys[index]}@{index}")  # keys must be unique
        totals = totals_values(self.summary, tree.rows, self.form, tree.leaf_count())
        self.add_row(*self._cells(totals, "bold"), key=TOTAL_KEY)

    def on_resize(self) -> None:
        """Fit the columns to the new width (the selection and scroll stay)."""
        if not self.layer_rows:
            return
        form = fit_columns(self.summary, self.available_width, self.layer_tree.shown_rows())
        if form != self.form:
            self._refill(self.cursor_row)

    def _refill(self, cursor: int) -> None:
        """Rebuild the rows with the cursor on row ``cursor`` and the scroll where it was."""
        scroll = self.scroll_y
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
        """The selected row's key (``conv1``, ``conv1#2``, ``layer1.0``), or None."""
        index = self.selected_index
        return None if index is None else self.layer_tree.keys[self.layer_tree.visible[index]]

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

    def toggle_fold(self) -> bool:
        """Fold or unfold the container under the cursor (the cursor stays on it); False
        when the row is a layer, not a container."""
        position = self.selected_index
        if position is None or not self.layer_tree.toggle(self.layer_tree.visible[position]):
            return False
        self._refill(position)
        return True

    def action_fold(self) -> None:
        self.toggle_fold()

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
        name = self.layer_tree.keys[self.layer_tree.visible[index]]
        if name == self._last_posted:
            return
        self._last_posted = name
        self.post_message(self.LayerSelected(self, name, row))
