"""FittedFooter: Textual's Footer made to fit the width: compact first, then keys by rank.

Textual's footer cuts whatever passes the right edge, which at 80 columns was ``? Keys`` and
``q Quit``. This one measures its keys; when they do not fit it turns compact, and then leaves
out the keys of lowest rank (the screen's ``footer_ranks()``; of equal rank, the last
listed first), so the app's own keys stay. Every key left out is still listed by ``?``.
It recomposes only when the keys shown or the width change: the bindings are refreshed after
most engine replies, and a recompose costs a few milliseconds of every key press.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.commands import KeyedScreen

KEEP = 1_000  # rank of what is never left out (groups of keys, the palette key)


def key_width(key: FooterKey, compact: bool) -> int:
    """Cells one footer key takes: ``key`` and description with Textual's padding/margins."""
    text = len(key.key_display) + (len(key.description) + 1 if key.description else 0)
    if key.has_class("-command-palette"):
        return text + 2 + (0 if compact else 1)  # its left border, and padding
    return text + (1 if compact else 2)  # compact: margin; else padding around the key


class FittedFooter(Footer):
    """A Footer that keeps the highest-ranked keys in view at every width."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.left_out: list[str] = []  # actions of the keys not shown (tests, help)
        self._width = 0
        self._shown: tuple[object, ...] | None = None  # what the keys were composed from

    def ranks(self) -> dict[str, int]:
        ranker = getattr(self.screen, "footer_ranks", None)
        return ranker() if ranker is not None else {}

    def bindings_changed(self, screen: Screen) -> None:
        shown = footer_signature(screen, self.size.width)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        width = self.size.width or self.app.size.width
        self._width = width
        self.compact = False
        widgets = list(super().compose())
        if needed(widgets, False) > width:
            self.compact = True  # set before the keys are made: they copy it
            widgets = list(super().compose())
        self.first_keys(widgets)
        kept = self.fitted(widgets, width)
        self.left_out = [w.action for w in widgets if w not in kept and isinstance(w, FooterKey)]
        yield from kept

    def first_keys(self, widgets: list[Widget]) -> None:
        """Show each action's first key as its Key row lists it ("." rather than "pgdn",
        which a focused table also binds and so comes first in Textual's list)."""
        screen = self.screen
        if not isinstance(screen, KeyedScreen) or not getattr(screen, "active_tab", True):
            return  # not a keyed screen, or before its first tab shows
        first = {key.action: key.keys.split(",")[0] for key, _ in screen.active_keys()}
        for widget in widgets:
            if isinstance(widget, FooterKey) and widget.action in first:
                widget.key = first[widget.action]
                widget.key_display = self.app.get_key_display(Binding(widget.key, widget.action))

    def fitted(self, widgets: list[Widget], width: int) -> list[Widget]:
        """``widgets`` less the lowest-ranked keys until the rest fit ``width`` cells."""
        by_action = self.ranks()
        ranks = {
            id(w): by_action.get(w.action, 0)
            if isinstance(w, FooterKey) and not w.has_class("-command-palette")
            else KEEP
            for w in widgets
        }
        kept = list(widgets)
        while needed(kept, self.compact) > width:
            droppable = [w for w in kept if ranks[id(w)] < KEEP]
            if not droppable:
                break
            lowest = min(ranks[id(w)] for w in droppable)
            kept.remove([w for w in droppable if ranks[id(w)] == lowest][-1])
        return kept

    def on_resize(self) -> None:
        if self.size.width != self._width and self.is_attached:
            self.call_after_refresh(self.recompose)


def footer_signature(screen: Screen, width: int) -> tuple[object, ...]:
    """The width and the shown bindings (key, action, description, enabled) of ``screen``."""
    return (
        width,
        *(
            (binding.key, binding.action, binding.description, enabled)
            for _, binding, enabled, _ in screen.active_bindings.values()
            if binding.show
        ),
    )


def needed(widgets: Iterable[Widget], compact: bool) -> int:
    """Cells the footer keys need (other widgets count as 12, a group's usual width)."""
    return sum(key_width(w, compact) if isinstance(w, FooterKey) else 12 for w in widgets)
