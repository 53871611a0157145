"""LayerStoryView: the inspector's "what this layer does" area, one line then before -> after.

For a layer without kernels (ReLU, pooling, batch norm, flatten, dropout) it takes the kernels'
place: the line, the layer's input and output on the current digit side by side (each with its
colour bar) and the numbers under them. For a conv or dense layer only the line shows, above
the kernels. Drawn from a :class:`tui.train.layer_story_state.StoryView`.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui.train.layer_story_state import StoryView
from tui.train.views import MapView
from tui.widgets.colorbar import ColorBar
from tui.widgets.heatmap import HeatmapGrid

STORY_CSS = """
    LayerStoryView { height: auto; display: none; }
    LayerStoryView.-shown { display: block; }
    LayerStoryView #story-line { height: auto; max-height: 3; color: $text; }
    LayerStoryView #story-maps, LayerStoryView #story-detail { display: none; }
    LayerStoryView .story-side { width: 1fr; height: 1fr; }
    LayerStoryView #story-arrow { width: 3; height: 1fr; content-align: center middle; }
    LayerStoryView #story-detail { height: auto; max-height: 5; color: $text-muted; }
    Inspector.-many LayerStoryView { display: none; }
    Inspector.-short LayerStoryView.-kernel-layer { display: none; }
"""


def inline(widget: Widget, rule: str, value: str | None) -> None:
    """Set ``widget``'s inline style ``rule`` to ``value``; None: back to its CSS. Only the
    widget is laid out again (no stylesheet pass over a subtree); an unchanged value costs
    nothing."""
    if value is not None:
        setattr(widget.styles, rule, value)
    elif widget.styles.clear_rule(rule):
        widget.refresh(layout=True)
        if widget.parent is not None:
            widget.parent.refresh(layout=True)


def _draw(grid: HeatmapGrid, bar: ColorBar, view: MapView, box: tuple | None) -> None:
    grid.model.show_titles = False  # the caption names the map
    grid.set_maps(view.maps, cmap=view.cmap, caption=view.caption, vector=view.vector)
    grid.set_highlight(0 if box is not None else None, box)
    bar.set_scale(view.lo, view.hi, view.cmap, "")


class LayerStoryView(Vertical):
    """One line on what the selected layer computes, and (layers without kernels) its input
    and output on the current digit with the numbers behind one of its cells."""

    DEFAULT_CSS = STORY_CSS
    SCOPED_CSS = False  # the rules follow the inspector's classes (-many, -short)

    def __init__(self, color_mode: str, **widget_options: object) -> None:
        super().__init__(**widget_options)  # type: ignore[arg-type]
        self.mode = color_mode
        self.view: StoryView | None = None
        self.full = False  # a layer without kernels: the maps and numbers show (set_full)

    def set_full(self, full: bool) -> None:
        """Take the kernels' place (True: a layer without them) or only the line above them.

        Inline styles on the few widgets that change, not a class on the inspector: a class
        restyles the inspector's whole subtree, which walking through the layers paid per key."""
        self.full = full
        inline(self, "height", "1fr" if full else None)
        inline(self.query_one("#story-detail"), "display", "block" if full else None)
        self._show_maps()

    def _show_maps(self) -> None:
        maps = self.query_one("#story-maps")
        inline(maps, "display", "block" if self.full and self.view is not None else None)
        inline(maps, "height", "1fr" if self.full else None)

    def compose(self) -> ComposeResult:
        yield Static("", id="story-line", markup=False)
        with Horizontal(id="story-maps"):
            with Vertical(classes="story-side"):
                yield HeatmapGrid(id="story-before", color_mode=self.mode)
                yield ColorBar(id="story-before-scale", color_mode=self.mode)
            yield Static("→", id="story-arrow")
            with Vertical(classes="story-side"):
                yield HeatmapGrid(id="story-after", color_mode=self.mode)
                yield ColorBar(id="story-after-scale", color_mode=self.mode)
        yield Static("", id="story-detail", markup=False)

    def show(self, view: StoryView | None, waiting: str = "") -> None:
        """Draw ``view``; None: only ``waiting`` ("" hides the area)."""
        self.view = view
        self.set_class(view is not None or bool(waiting), "-shown")
        if self.is_mounted:
            self._show_maps()
        line = self.query_one("#story-line", Static)
        detail = self.query_one("#story-detail", Static)
        if view is None:
            line.update(waiting)
            detail.update("")
            return
        # conv and dense layers: the line above their kernels (not on a short screen)
        self.set_class(view.kind in ("conv", "linear"), "-kernel-layer")
        line.update(view.line)
        detail.update("\n".join(view.detail))
        for side, maps, box in (("before", view.before, view.before_box),
                                ("after", view.after, view.after_box)):  # fmt: skip
            grid = self.query_one(f"#story-{side}", HeatmapGrid)
            _draw(grid, self.query_one(f"#story-{side}-scale", ColorBar), maps, box)

    @property
    def line_text(self) -> str:
        """The line as shown (tests and the tooltip)."""
        return str(self.query_one("#story-line", Static).content)

    @property
    def detail_text(self) -> str:
        return str(self.query_one("#story-detail", Static).content)
