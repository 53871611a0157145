"""The inspector's explain mode keys and the message asking the app for an explanation."""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.widget import Widget

from tui.train.inspector_draw import InspectorDrawer
from tui.train.inspector_state import InspectorState


class CellExplainRequested(Message):
    """The explained cell changed: the app should send ``explain`` with ``request`` (layer,
    channel, i, j) for the current sample and pass the reply to ``set_explanation``."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__()
        self.request = request


class CellExplainer:
    """The inspector's explain-mode keys: change the explained cell in the inspector's state,
    draw it, and ask the app for the explanation (:class:`CellExplainRequested`)."""

    def __init__(self, inspector: Widget, state: InspectorState, drawer: InspectorDrawer) -> None:
        self.inspector, self.state, self.drawer = inspector, state, drawer

    def toggle(self) -> None:
        """Explain mode on (conv layers only: others get a notification) or off; it starts at
        the strongest cell of the first map."""
        if not self.state.explain.toggle(self.state.layer_row):
            self.inspector.notify("Explain works on conv layers; select one first.")
            return
        self._changed()

    def step(self, channel: int, row: int, col: int) -> None:
        """Move the cell (wrapping the channel, clamping row and column) and ask again."""
        if self.state.explain.step(self.state.layer_row, channel, row, col):
            self._changed()

    def step_input(self, step: int) -> None:
        """Show the products of the next (or previous) input channel: the reply has them all,
        so nothing is asked."""
        if self.state.explain.step_input(step):
            self.drawer.explain(self.state)

    def request(self) -> dict[str, Any]:
        """The ``explain`` kwargs (without the sample index) for the cell; {} when off."""
        return self.state.explain.request(self.state.layer_name)

    def set_explanation(self, payload: dict[str, Any] | None) -> None:
        """The ``explain`` reply for the current cell (None clears); a reply for another
        layer, map or cell is dropped."""
        if self.state.explain.receive(payload, self.state.layer_name):
            self.drawer.explain(self.state)

    def leave(self) -> None:
        """Explain mode off (a new layer or model)."""
        if self.state.explain.leave():
            self.drawer.explain(self.state)

    def _changed(self) -> None:
        self.drawer.explain(self.state)
        if self.state.explain.explaining:
            self.inspector.post_message(CellExplainRequested(self.request()))
