"""JoinedLine: a one-line Static whose `` · ``-joined parts are dropped whole (last first) to
fit its width, never cut mid-part or left with a dangling separator; the full text is its
tooltip whenever it shows less."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from tui.widgets.fit_text import fit_joined


class JoinedLine(Static):
    """Shows ``text`` (parts joined by `` · ``, most important first) fitted to its width."""

    def __init__(self, text: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.full = text

    def set_text(self, text: str) -> None:
        """Show ``text``, fitted to the current width (no re-layout: the line's height is 1)."""
        self.full = text
        self.refit()

    def on_mount(self) -> None:
        self.refit()

    def on_resize(self) -> None:
        self.refit()

    def refit(self) -> None:
        width = self.content_size.width
        shown = fit_joined(self.full, width) if width > 0 else self.full
        self.update(shown, layout=False)
        self.tooltip = self.full if shown != self.full else None

    def plain(self) -> str:
        """The text as shown (for tests and captures)."""
        return str(self.content)
