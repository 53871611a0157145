"""The Conv lab's canvas: the figure in a container that scrolls both ways, redrawn to fit
whenever its room changes, and the colour bars pinned under it (one per kind of panel, each
with its own range) with their caption."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.widgets import Static

from engine.convlab import display
from tui.conv_lab.captions import caption_line, full_caption
from tui.conv_lab.figure import Figure, lab_figure, state_scales
from tui.conv_lab.state import ConvLabState
from tui.widgets.colorbar import ColorBar

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
    """The colour bars' caption under them, with how to scroll when the figure is larger."""

    def show_scale(self, state: ConvLabState, mode: str, overflowing: bool) -> None:
        hint = ""
        if overflowing:
            numbers_scroll = state.show_values and not state.step_mode
            hint = NUMBERS_SCROLL_HINT if numbers_scroll else SCROLL_HINT
        self.show(*bar_text(state, mode, self.size.width or 120, hint))


def bar_text(state: ConvLabState, mode: str, width: int, hint: str = "") -> tuple[Text, str]:
    """The caption's line for ``width`` cells and its full text (the tooltip)."""
    return caption_line(width, hint), full_caption(hint)


class ColourBars(Horizontal):
    """One ColorBar per kind of panel (input, kernels, outputs), each with its own range;
    a kind not drawn has its bar hidden."""

    DEFAULT_CSS = """
    ColourBars { height: 1; width: 1fr; }
    ColourBars > ColorBar { width: 3fr; margin-right: 2; }
    ColourBars > #conv-bar-output { width: 4fr; margin-right: 0; }  /* the longest numbers */
    ColourBars > ColorBar.-unused { display: none; }
    """

    def __init__(self, color_mode: str, **widget_options: object) -> None:
        super().__init__(**widget_options)  # type: ignore[arg-type]
        self._color_mode = color_mode

    def compose(self) -> ComposeResult:
        for kind in display.SCALE_LABELS:
            yield ColorBar(color_mode=self._color_mode, id=f"conv-bar-{kind}")

    def show_scales(self, scales: dict[str, display.PanelScale], mode: str) -> None:
        """Each kind's bar set to its scale (``state_scales``), in colour ``mode``."""
        for kind in display.SCALE_LABELS:
            bar = self.query_one(f"#conv-bar-{kind}", ColorBar)
            bar.color_mode = mode
            scale = scales.get(kind)
            bar.set_class(scale is None, "-unused")
            if scale is not None:
                bar.set_scale(scale.lo, scale.hi, scale.cmap, scale.label)


class ScaleLegend(Vertical):
    """The colour bars (``#conv-bars``) and their caption (``#conv-bar``) under the canvas."""

    DEFAULT_CSS = """
    ScaleLegend { height: auto; }
    ScaleLegend > #conv-bar { height: 1; }
    """

    def __init__(self, color_mode: str, **widget_options: object) -> None:
        super().__init__(**widget_options)  # type: ignore[arg-type]
        self._color_mode = color_mode

    def compose(self) -> ComposeResult:
        yield ColourBars(self._color_mode, id="conv-bars")
        yield ColourBarLine(id="conv-bar", markup=False)

    def show(self, state: ConvLabState, mode: str, canvas: LabCanvas) -> None:
        """The scales the canvas drew with, and how to scroll when it overflows."""
        self.query_one(ColourBars).show_scales(figure_scales(canvas, state), mode)
        self.query_one(ColourBarLine).show_scale(state, mode, canvas.overflowing)


def figure_scales(canvas: LabCanvas, state: ConvLabState) -> dict[str, display.PanelScale]:
    """The scales the canvas drew with (the state's, before it drew)."""
    return canvas.drawn.scales if canvas.drawn is not None else state_scales(state)
