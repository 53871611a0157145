"""One-line texts fitted to their width, the full text as their tooltip whenever cut.

``FitLine`` (the Evaluate tab's summary, status, legend and keys) has one or more wordings,
longest first; it shows the first that fits, else the last with its least important parts
dropped and words kept whole (``tui.widgets.fit_text``). ``JoinedLine`` (the inspector's title)
drops its `` · ``-joined parts whole, last first, never cut mid-part or left with a dangling
separator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.widgets import Static

from tui.widgets.fit_text import SEPARATOR, Part, fit_joined, fit_parts

Wording = str | Sequence[Part | str]  # a plain text, or parts joined by SEPARATOR


def joined(wording: Wording) -> str:
    """A wording as one line (parts joined by `` · ``)."""
    if isinstance(wording, str):
        return wording
    texts = [part.text if isinstance(part, Part) else part for part in wording]
    return SEPARATOR.join(text for text in texts if text)


def fitted(wordings: Sequence[Wording], width: int) -> str:
    """The first wording that fits ``width`` cells, else the last one fitted by parts."""
    for wording in wordings:
        if len(joined(wording)) <= width:
            return joined(wording)
    last = wordings[-1]
    return fit_parts([last] if isinstance(last, str) else last, width)


class FitLine(Static):
    """A one-line Static that fits its wordings to its width (see the module docstring)."""

    RELAYOUT = True  # False: the line's height is fixed, an update needs no layout

    def __init__(self, *wordings: Wording, **options: Any) -> None:
        super().__init__(**options)
        self.wordings: tuple[Wording, ...] = wordings or ("",)

    @property
    def full(self) -> str:
        """The longest wording, as the tooltip shows it."""
        return joined(self.wordings[0])

    def set_wordings(self, *wordings: Wording) -> None:
        """Show new text: its wordings, longest first."""
        self.wordings = wordings or ("",)
        self.refit()

    def on_mount(self) -> None:
        self.refit()

    def on_resize(self) -> None:
        self.refit()

    def shown_at(self, width: int) -> str:
        """The text shown in ``width`` cells."""
        return fitted(self.wordings, width)

    def refit(self) -> None:
        width = self.content_size.width
        shown = self.shown_at(width) if width > 0 else self.full
        self.update(shown, layout=self.RELAYOUT)
        self.tooltip = self.full if shown != self.full else None

    def plain(self) -> str:
        """The text as shown (for tests and captures)."""
        return str(self.content)


class JoinedLine(FitLine):
    """Shows ``text`` (parts joined by `` · ``, most important first) fitted to its width."""

    RELAYOUT = False

    def set_text(self, text: str) -> None:
        """Show ``text``, fitted to the current width."""
        self.set_wordings(text)

    def shown_at(self, width: int) -> str:
        return fit_joined(self.full, width)
