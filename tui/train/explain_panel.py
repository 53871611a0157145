"""The inspector's explained conv cell: the panel that shows it and how it is drawn.

``CellExplainPanel`` renders ``tui.train.cell_explain_text.cell_text`` at its own width (so it
refits after a resize); ``draw_explain`` also outlines the cell on the feature maps and its
receptive field on the digit. While explaining, the panel takes the kernels' place and, below
110 columns, the layer table's column gives the inspector its room (5x5 kernels need 78).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from tui.train.cell_explain_text import cell_text
from tui.train.explain_state import ExplainState
from tui.widgets.heatmap import HeatmapGrid

EXPLAIN_CSS = """
    Inspector.-explaining #kernels, Inspector.-explaining #kernels-scale,
    Inspector.-explaining LayerStoryView { display: none; }
    Workbench.-explaining #left { display: none; }
    Screen.-medium Workbench.-explaining #left, Screen.-wide Workbench.-explaining #left {
        display: block;
    }
"""


class CellExplainPanel(Widget):
    """The explanation of one conv cell (patch × kernel = products for one input channel,
    the per-channel sums plus bias), or the line shown while it is on its way."""

    DEFAULT_CSS = EXPLAIN_CSS
    SCOPED_CSS = False  # the rules follow the inspector's and workbench's classes

    def __init__(self, **widget_options: Any) -> None:
        super().__init__(**widget_options)
        self.payload: dict[str, Any] | None = None
        self.in_index = 0
        self.waiting = ""
        self.returned_focus: Widget | None = None  # focused before explaining (keep_focus)

    def show(self, payload: dict[str, Any] | None, in_index: int, waiting: str = "") -> None:
        """Draw ``payload`` for input channel position ``in_index``, else ``waiting``."""
        self.payload, self.in_index, self.waiting = payload, in_index, waiting
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.payload is None:
            return Text(self.waiting, no_wrap=True, overflow="ellipsis")
        mode = str(getattr(self.parent, "color_mode", "256"))
        text = cell_text(self.payload, self.in_index, max(self.size.width, 20), mode)
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    @property
    def plain(self) -> str:
        """The text as drawn (tests)."""
        return self.render().plain


def keep_focus(panel: CellExplainPanel, explaining: bool) -> None:
    """The layer table may be hidden while explaining: the inspector takes the focus (the
    tab's keys stay bound) and hands it back afterwards."""
    inspector = panel.parent
    if not isinstance(inspector, Widget) or not panel.is_mounted:
        return
    focused = panel.screen.focused
    if explaining and focused is not None and focused is not inspector:
        panel.returned_focus = focused
        inspector.focus()
    elif not explaining and panel.returned_focus is not None:
        if focused is inspector:
            panel.returned_focus.focus()
        panel.returned_focus = None


def draw_explain(
    state: ExplainState,
    layer_name: str | None,
    panel: CellExplainPanel,
    digit: HeatmapGrid,
    maps: HeatmapGrid,
) -> None:
    """The explanation in ``panel``, the cell outlined on the feature ``maps`` and its
    receptive field on the ``digit`` (once the reply for this cell is there)."""
    panel.set_class(state.explaining, "-shown")
    for node in (panel.parent, getattr(panel.parent, "parent", None)):
        if node is not None:  # the inspector and its workbench make room (EXPLAIN_CSS)
            node.set_class(state.explaining, "-explaining")
    keep_focus(panel, state.explaining)
    if not state.explaining:
        panel.show(None, 0)
        digit.set_highlight(None)
        maps.set_highlight(None)
        return
    payload = state.current(layer_name)
    panel.show(payload, state.in_index, state.waiting_note(layer_name))
    box = state.cell_box
    maps.set_highlight(*box) if box else maps.set_highlight(None)
    field = None if payload is None else payload.get("input_box_clipped")
    digit.set_highlight(0 if field else None, field)
