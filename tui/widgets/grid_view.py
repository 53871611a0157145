"""The widget-independent state of a HeatmapGrid: its model, cached layout and lines, height."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.widgets.grid import GridModel, Layout
from tui.widgets.grid_paint import GridStyles, page_label

if TYPE_CHECKING:
    from textual.strip import Strip


class GridView:
    """What a HeatmapGrid shows for a given size, page and colour mode, cached between frames.

    The layout is cached per (size, page, zoom, data version) and the lines per data version
    and height, so a repaint without new data costs nothing. ``keep_height``: an auto-height
    grid that grows but does not shrink (until ``release_height``), so new maps that fit need
    no re-layout of the screen.
    """

    def __init__(self, levels: int | None = None) -> None:
        self.model = GridModel()
        self.model.levels = levels
        self.lines: list[Strip] | None = None
        self.version = 0  # bumped by every change of data or settings
        self.builds = 0  # number of full line builds (tests and benchmarks)
        self.keep_height = False
        self.height_limit: int | None = None  # the line limit of the last measurement
        self.released = False
        self._layout: Layout | None = None
        self._layout_key: tuple | None = None
        self._shape: tuple | None = None  # geometry of the last maps, see shape_changed

    def invalidate(self) -> None:
        """Drop the cached lines and layout (new data or settings)."""
        self.lines = None
        self._layout = None
        self.version += 1

    def shape_changed(self) -> bool:
        """Whether the maps' geometry changed since the last call (new values alone keep an
        auto height)."""
        model = self.model
        codes = model.codes
        shape = (None if codes is None else codes.shape, model.vector, model.row_labels is None,
                 model.show_titles, model.stretch, bool(model.message))  # fmt: skip
        changed = shape != self._shape
        self._shape = shape
        return changed

    def set_highlight(self, value: tuple[int, tuple[int, ...]] | None) -> bool:
        """Store the outlined box; True when it changed."""
        if value == self.model.highlight:
            return False
        self.model.highlight = value  # type: ignore[assignment]
        return True

    # -- layout -----------------------------------------------------------------------------
    def layout(self, width: int, height: int, page: int) -> Layout:
        """The layout of ``page`` in a ``width`` x ``height`` area (cached)."""
        key = (width, height, page, self.model.zoom, self.version)
        if self._layout is None or key != self._layout_key:
            self._layout = self.model.layout(width, height, page)
            self._layout_key = key
        return self._layout

    def page_label(self, width: int, height: int, page: int) -> str:
        return page_label(self.layout(width, height, page), page)

    def visible_titles(self, grid: Layout) -> list[str]:
        """Titles of the maps placed by ``grid`` (table layout: of its columns)."""
        titles = self.model.titles
        if grid.kind == "table":
            return [titles[i % self.model.columns] for i, _, _ in grid.placements][: grid.cols]
        return [titles[i] for i, _, _ in grid.placements]

    # -- height -----------------------------------------------------------------------------
    def content_height(self, width: int, limit: int, current: int) -> int:
        """For ``height: auto``: the fewest lines that show the maps as well as ``limit`` lines
        would; a ``keep_height`` grid keeps its ``current`` lines (up to ``limit``)."""
        self.height_limit = limit
        natural = self.model.natural_height(width, limit=limit)
        if self.keep_height and not self.released:
            return max(natural, min(current, limit))
        self.released = False
        return natural

    def release_height(self) -> None:
        """Let a keep_height grid shrink to its maps once more (a new model or layer)."""
        self.released = True

    def fits(self, width: int, height: int) -> bool:
        """Whether the ``height`` lines the grid has are the ones a new layout would give it:
        a released grid's natural height exactly, a keep_height grid's at least. (Saying so
        spares a layout, which repaints the whole screen: tens of milliseconds a key.)"""
        if self.height_limit is None or height <= 0:
            return False
        natural = self.model.natural_height(width, limit=self.height_limit)
        if self.released:
            return natural == height
        return self.keep_height and natural <= height

    # -- lines ------------------------------------------------------------------------------
    def strips(
        self, width: int, height: int, page: int, mode: str, styles: Callable[[], GridStyles]
    ) -> list[Strip]:
        """The lines of the area, built once per data version and height."""
        if self.lines is None or len(self.lines) != height:
            self.builds += 1
            self.lines = self.model.build(width, height, page, mode, styles())
        return self.lines
