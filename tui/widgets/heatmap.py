"""HeatmapGrid: a paged grid of half-block heatmaps on Textual's line API, with cached strips."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.render.terminal import color_mode as _engine_color_mode
from tui.widgets.delegate import state_attribute
from tui.widgets.graphics import attach_pixel_tiles
from tui.widgets.grid import Layout
from tui.widgets.grid_paint import GridStyles
from tui.widgets.grid_view import GridView
from tui.widgets.halfblock import PLAIN, check_mode


def detect_color_mode(force_ascii: bool = False) -> str:
    """ "ascii" (--ascii or NO_COLOR), "truecolor" (COLORTERM truecolor/24bit) or "256"."""
    return _engine_color_mode(force_ascii)


class HeatmapGrid(Widget):
    """A grid of heatmaps, one title each, as many as fit; pages through the rest.

    The maps, layout and cached lines live in a plain :class:`GridView` (``view``; its
    ``GridModel`` is ``model``); this widget holds the page, zoom and colour mode and repaints.
    """

    DEFAULT_CSS = """
    HeatmapGrid { height: 1fr; width: 1fr; }
    HeatmapGrid > .heatmap-grid--title { color: $text-muted; }
    HeatmapGrid > .heatmap-grid--caption { text-style: bold; }
    HeatmapGrid > .heatmap-grid--label { color: $text-accent; }
    """
    COMPONENT_CLASSES = {"heatmap-grid--title", "heatmap-grid--caption", "heatmap-grid--label"}

    color_mode: reactive[str] = reactive("256", init=False)
    page: reactive[int] = reactive(0, init=False)
    zoom: reactive[int] = reactive(0, init=False)

    class PageChanged(Message):
        """The visible page changed (by a key, or clamped after a resize or new data)."""

        def __init__(self, grid: HeatmapGrid, page: int, page_count: int) -> None:
            super().__init__()
            self.grid = grid
            self.page = page
            self.page_count = page_count

        @property
        def control(self) -> HeatmapGrid:
            return self.grid

    def __init__(
        self,
        *,
        color_mode: str | None = None,
        levels: int | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self.view = GridView(levels)  # before the widget's own init: style updates use it
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(HeatmapGrid.color_mode, color_mode or detect_color_mode())

    model = state_attribute("model", "The maps, titles and view settings (GridModel).", "view")
    builds = state_attribute("builds", "Number of full line builds (tests, benchmarks).", "view")
    keep_height = state_attribute("keep_height", "Grow, never shrink (see GridView).", "view")

    def on_mount(self) -> None:
        attach_pixel_tiles(self)  # --graphics kitty: the maps in real pixels

    # -- data -------------------------------------------------------------------------------
    def set_maps(
        self,
        maps: np.ndarray,
        *,
        titles: Sequence[str] | None = None,
        cmap: str | np.ndarray = "sequential",
        row_labels: Sequence[str] | None = None,
        caption: str = "",
        vector: bool = False,
        rgb: bool = False,
        keep_page: bool = False,
    ) -> None:
        """Show ``maps``: float (N, H, W) in [0, 1] (NaN = empty) or uint8 (N, H, W) indices,
        (H, W) for one map, (R, C, H, W) with ``row_labels`` (one row per label), a vector with
        ``vector=True`` (wrapped to the width), uint8 (N, H, W, 3) with ``rgb=True``.
        ``keep_page`` keeps the current page (live refresh of the same layer)."""
        self.model.set_maps(maps, titles=titles, cmap=cmap, row_labels=row_labels,
                            caption=caption, vector=vector, rgb=rgb)  # fmt: skip
        if not keep_page:
            self.set_reactive(HeatmapGrid.page, 0)
        self.invalidate(relayout=self.view.shape_changed())

    def clear(self, message: str = "", caption: str = "") -> None:
        """Remove the maps; show ``message`` in the middle (e.g. "no weights")."""
        self.model.clear(message)
        self.model.caption = caption
        self.set_reactive(HeatmapGrid.page, 0)
        self.invalidate(relayout=self.view.shape_changed())

    def set_caption(self, caption: str) -> None:
        if caption != self.model.caption:
            self.model.caption = caption
            self.invalidate()

    def set_highlight(self, index: int | None, box: Sequence[int] | None = None) -> None:
        """Outline ``box`` = (y0, x0, y1, x1) (pixels, end-exclusive) on map ``index``."""
        value = None if index is None or box is None else (int(index), tuple(int(v) for v in box))
        if self.view.set_highlight(value):
            self.invalidate()

    @property
    def count(self) -> int:
        return self.model.count

    @property
    def titles(self) -> list[str]:
        return list(self.model.titles)

    # -- paging -----------------------------------------------------------------------------
    @property
    def layout_info(self) -> Layout:
        width, height = self.size
        return self.view.layout(width, height, self.page)

    @property
    def page_count(self) -> int:
        return self.layout_info.page_count

    @property
    def page_label(self) -> str:
        width, height = self.size
        return self.view.page_label(width, height, self.page)

    @property
    def visible_indices(self) -> list[int]:
        return [index for index, _, _ in self.layout_info.placements]

    @property
    def visible_titles(self) -> list[str]:
        return self.view.visible_titles(self.layout_info)

    def next_page(self) -> bool:
        """Go to the next page; False when already on the last one."""
        if self.page + 1 < self.page_count:
            self.page += 1
            return True
        return False

    def previous_page(self) -> bool:
        if self.page > 0:
            self.page -= 1
            return True
        return False

    def validate_page(self, page: int) -> int:
        return max(0, min(page, self.page_count - 1))

    def watch_page(self, old: int, new: int) -> None:
        self.invalidate()
        self.post_message(self.PageChanged(self, new, self.page_count))

    def validate_color_mode(self, mode: str) -> str:
        return check_mode(mode)

    def watch_color_mode(self) -> None:
        self.invalidate()

    def watch_zoom(self) -> None:
        self.model.zoom = max(0, self.zoom)
        self.invalidate()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """For ``height: auto``: the fewest lines that show the maps as well as the most lines
        allowed (``max-height``, else the viewport) would, so no line is left empty."""
        limit = viewport.height
        max_height = self.styles.max_height
        if max_height is not None and not max_height.is_auto:
            spacing = self.styles.gutter.height
            limit = min(limit, int(max_height.resolve(container, viewport)) - spacing)
        return self.view.content_height(width, max(2, limit), self.size.height)

    def release_height(self) -> None:
        """Let a keep_height grid shrink to its maps once more (a new model or layer); the
        layout runs only when its height changes (the new maps come with ``set_maps``)."""
        self.view.release_height()
        width, lines = self.size
        self.refresh(layout=not self.view.fits(width, lines))

    # -- rendering --------------------------------------------------------------------------
    def invalidate(self, relayout: bool = False) -> None:
        """Drop the cached lines (and layout) and schedule a repaint.

        ``relayout``: the data changed, so an auto-height grid must be measured again.
        """
        self.view.invalidate()
        self.tooltip = caption_tooltip(self.model.caption, self.size.width)
        height = self.styles.height
        width, lines = self.size
        relayout = relayout and height is not None and height.is_auto
        self.refresh(layout=relayout and not self.view.fits(width, lines))

    def on_resize(self) -> None:
        self.invalidate()
        if self.page >= self.page_count:
            self.page = self.page_count - 1

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.view.lines = None

    def grid_styles(self) -> GridStyles:
        if self.color_mode == "ascii":
            return GridStyles(None, Style(dim=True), Style(bold=True), Style(bold=True))
        base = self.rich_style
        component = self.get_component_rich_style
        return GridStyles(
            base,
            component("heatmap-grid--title"),
            component("heatmap-grid--caption"),
            component("heatmap-grid--label"),
        )

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        lines = self.view.strips(width, height, self.page, self.color_mode, self.grid_styles)
        if 0 <= y < len(lines):
            return lines[y]
        return Strip.blank(width, PLAIN)


def caption_tooltip(caption: str, width: int) -> str | None:
    """The whole caption, as a tooltip, when the header line (``width`` cells, room kept for
    a page indicator) has to shorten it; else None."""
    return caption if width and len(caption) > width - len(" page 10/10") else None
