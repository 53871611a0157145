"""The Conv lab's custom-kernel field: enter applies (the lab handles Input.Submitted), escape
cancels."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class KernelInput(Input):
    """The custom-kernel field; escape asks the lab around it (``close_custom``) to close it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    def action_cancel(self) -> None:
        lab = next((a for a in self.ancestors if hasattr(a, "close_custom")), None)
        if lab is not None:
            lab.close_custom()
