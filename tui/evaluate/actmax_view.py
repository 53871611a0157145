"""The Evaluate tab's act-max view: every class (or every channel of a conv layer) as a grid.

Each panel is the input the model's class logit (or the channel's mean ReLU activation) rises
most for, optimised in the engine child with the field's regularisers (jitter, total
variation, L2 decay, blur; ``engine.inspect.activation_max``), titled with its class and the
probability the model gives that class for it (or the channel and its activation). All panels
are [0, 1] pixels on one grey scale, so one colour bar serves them all; the pane's status line
says how to read the picture. Panels fill in as the engine answers them, one at a time
(``ActMaxState``).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical

from tui.evaluate.actmax_state import (
    BAR_LABEL,
    ActMaxState,
    caption,
    fit_title,
    grid_maps,
    halved,
    how_to_read,
    rgb_panels,
)
from tui.widgets.colorbar import ColorBar
from tui.widgets.fit_line import Wording
from tui.widgets.heatmap import HeatmapGrid


class ActMaxView(Vertical):
    """The grid of act-max panels, their shared colour bar and how to read them."""

    SCOPED_CSS = False  # the rules below also hide the pane's map grid while it shows
    DEFAULT_CSS = """
    ActMaxView { height: 1fr; width: 1fr; }
    EvaluatePane > ActMaxView { display: none; }
    EvaluatePane.-actmax > ActMaxView { display: block; }
    EvaluatePane.-actmax > #eval-maps { display: none; }
    ActMaxView > HeatmapGrid { height: 1fr; }
    ActMaxView > ColorBar { height: 1; }
    """

    def __init__(self, *, color_mode: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.color_mode = color_mode
        self.shown: tuple[ActMaxState, str] | None = None  # what show() drew last

    def compose(self) -> ComposeResult:
        yield HeatmapGrid(color_mode=self.color_mode)
        yield ColorBar(color_mode=self.color_mode)

    def show(self, state: ActMaxState, mode: str) -> tuple[Wording, ...]:
        """Draw ``state``'s target in colour ``mode`` on page ``state.page`` (clamped there);
        returns how to read it (wordings, longest first) for the pane's status line, which
        leaves the grid the room for two rows of panels at 80x24.

        Panels are drawn at full resolution when they all fit one page, else averaged over
        2x2 pixels (not the grid's nearest sampling, which breaks thin strokes into dots)."""
        self.shown = (state, mode)
        grid, bar = self.query_one(HeatmapGrid), self.query_one(ColorBar)
        grid.color_mode = bar.color_mode = mode
        grid.model.show_titles, grid.model.zoom = True, 1
        maps, titles = grid_maps(state)
        options = {"titles": titles, "cmap": "gray", "caption": caption(state), "keep_page": True}
        colour = maps.ndim == 4  # a colour model's pictures (N, 3, H, W)
        shown = rgb_panels(maps) if colour else maps
        grid.set_maps(shown, rgb=colour, **options)
        if grid.size.width and grid.page_count > 1:
            smaller = halved(maps)
            grid.set_maps(rgb_panels(smaller) if colour else smaller, rgb=colour, **options)
        grid.page = state.page
        state.page = grid.page  # clamped to the pages there are
        width = grid.layout_info.map_w
        fitted = [fit_title(title, width) for title in titles]
        if fitted != titles:  # names cut, so the grid's own cut keeps each p=0.97
            grid.model.titles = fitted
            grid.invalidate()
        bar.set_scale(0.0, 1.0, "gray", label=BAR_LABEL)
        return how_to_read(state)

    def on_resize(self) -> None:
        if self.shown is not None:  # full or halved panels depend on the room there is
            self.call_after_refresh(self.show, *self.shown)
