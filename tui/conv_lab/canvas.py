"""The Conv lab's canvas: the figure in a container that scrolls both ways, redrawn to fit
whenever its room changes, and the colour bar pinned under it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.geometry import Region, Size
from textual.message import Message
from textual.widgets import Static

from engine.convlab import display
from tui.conv_lab.captions import colour_bar, full_caption
from tui.conv_lab.figure import Figure, lab_figure, scale_arrays
from tui.conv_lab.state import ConvLabState

SCROLL_HINT = "more: PgUp/PgDn Home/End scroll"
NUMBERS_SCROLL_HINT = "more: arrows PgUp/PgDn scroll"
SIDE_STEP = 4  # cells a left/right arrow scrolls (about one number)


class LabCanvas(ScrollableContainer, can_focus=False):
    """The figure (``#conv-figure``), enlarged to fill this container's size; scrolled (both
    axes, never cut) when even one pixel per value does not fit, as numbers often do.

    ``drawn`` is the last Figure (its factor and size); ``overflowing`` says whether it is
    larger than the room, so the colour bar can say how to scroll."""

    DEFAULT_CSS = """
    LabCanvas { height: 1fr; width: 1fr; overflow: auto auto; }
    LabCanvas > #conv-figure { width: auto; height: auto; }
    """

    def __init__(self, **widget_options: object) -> None:
        super().__init__(**widget_options)  # type: ignore[arg-type]
        self.drawn: Figure | None = None
        self.state: ConvLabState | None = None
        self.mode = "256"
        self._room = Size(0, 0)

    def compose(self) -> ComposeResult:
        yield Static(id="conv-figure", markup=False)

    @property
    def room(self) -> Size:
        """The cells the figure may use (the container's size; 120x30 before layout)."""
        width, height = self.size
        return Size(width or 120, height or 30)

    @property
    def overflowing(self) -> bool:
        if self.drawn is None:
            return False
        return self.drawn.width > self.room.width or self.drawn.height > self.room.height

    def draw(self, state: ConvLabState, mode: str) -> Figure:
        """Draw the state's figure to fit the room; keep the step-mode box in view."""
        self.state, self.mode, self._room = state, mode, self.room
        drawn = lab_figure(state, mode, self._room.width, self._room.height)
        self.drawn = drawn
        self.query_one("#conv-figure", Static).update(drawn.text)
        if drawn.box_region is not None:
            region = Region(*drawn.box_region)
            self.call_after_refresh(self.scroll_to_region, region, animate=False, immediate=True)
        return drawn

    def on_resize(self) -> None:
        """A new room (terminal resized, the explanation shown or hidden): fit again."""
        if self.state is not None and self.room != self._room:
            self.draw(self.state, self.mode)
            self.post_message(LabCanvas.Redrawn())

    def scroll_step(self, rows: int, cols: int) -> None:
        """Scroll by ``rows`` lines and ``cols`` numbers (SIDE_STEP cells each)."""
        self.scroll_relative(x=cols * SIDE_STEP, y=rows, animate=False, immediate=True)

    class Redrawn(Message):
        """The canvas drew the figure again for a new room (the bar's hint may change)."""


class FittedLine(Static):
    """One line of text fitted to the width; the full text, when it differs, in its tooltip."""

    def show(self, text: str | Text, full: str) -> None:
        self.update(text)
        plain = text.plain if isinstance(text, Text) else text
        self.tooltip = full if plain.strip() != full.strip() else None


class ColourBarLine(FittedLine):
    """The colour bar under the canvas, with how to scroll when the figure is larger."""

    def show_scale(self, state: ConvLabState, mode: str, overflowing: bool) -> None:
        hint = ""
        if overflowing:
            numbers_scroll = state.show_values and not state.step_mode
            hint = NUMBERS_SCROLL_HINT if numbers_scroll else SCROLL_HINT
        self.show(*bar_text(state, mode, self.size.width or 120, hint))


def bar_text(state: ConvLabState, mode: str, width: int, hint: str = "") -> tuple[Text, str]:
    """The colour bar's line for ``width`` cells and its full caption (the tooltip)."""
    lo, hi, diverging = display.shared_range(
        scale_arrays(state.lab_input, state.filters, state.result)
    )
    return colour_bar(lo, hi, diverging, mode, width, hint), full_caption(diverging, hint)
