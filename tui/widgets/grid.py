"""The data and layout of a heatmap grid (maps as codes, pages, zoom), independent of Textual."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from rich.style import Style

from tui.widgets import grid_paint
from tui.widgets.halfblock import codes_from_rgb, codes_from_values, resample_index
from tui.widgets.palette import Palette, get_palette

if TYPE_CHECKING:
    from textual.strip import Strip

GAP = 1  # columns between maps
AUTO_TARGET_PX = 12  # automatic zoom enlarges maps towards this many pixels
MIN_PX = 6  # ... and keeps tiny maps at least this big when they fit
MIN_SHRUNK_PX = 10  # big maps may be shrunk (to show more per page) down to this many pixels
MAX_ZOOM = 3
MAX_FILL_ZOOM = 8  # a grid that fills its area (``fill``) enlarges up to this many times
FILL_SHRINKS = (4 / 3, 3 / 2)  # ... and may also shrink big maps by these (not only 2-4)
MAX_LABEL = 12  # row label width in the table layout


@dataclass
class Layout:
    """Where things go for one content size; ``placements`` only for the current page."""

    kind: str = "empty"  # "empty" | "flow" | "table" | "vector"
    map_h: int = 0  # pixels of one map as drawn
    map_w: int = 0
    ry: np.ndarray | None = None  # source rows/columns sampled for the drawn pixels
    rx: np.ndarray | None = None
    zoom: float = 1.0
    cols: int = 1
    rows: int = 1
    per_page: int = 1
    page_count: int = 1
    titles: bool = True
    label_w: int = 0
    col_pages: int = 1
    placements: list[tuple[int, int, int]] = field(default_factory=list)  # (index, x, y)

    @property
    def cell_w(self) -> int:
        return max(self.map_w, 2)


def candidate_sizes(
    h: int, w: int, zoom: int, fill: bool = False
) -> tuple[list[tuple[int, int, float]], float]:
    """Drawn sizes (h, w, zoom) of an ``h`` x ``w`` map, largest first, and the smallest zoom
    preferred; ``zoom`` > 0 fixes the enlargement (smaller ones only as fallbacks). ``fill``:
    whole-factor enlargements up to ``MAX_FILL_ZOOM`` (the layout keeps those that fit), not
    only towards ``AUTO_TARGET_PX``."""
    side = max(h, w)
    if zoom > 0:
        return [(h * z, w * z, float(z)) for z in range(zoom, 0, -1)], zoom
    top = max(1, min(MAX_ZOOM, AUTO_TARGET_PX // side))
    if fill:
        top = MAX_FILL_ZOOM
    sizes = [(h * z, w * z, float(z)) for z in range(top, 0, -1)]
    factors = sorted((*FILL_SHRINKS, 2, 3, 4) if fill else (2, 3, 4))
    shrunk = [
        (math.ceil(h / s - 1e-9), math.ceil(w / s - 1e-9), 1 / s)
        for s in factors
        if side / s >= MIN_SHRUNK_PX
    ]
    floor = min(top, math.ceil(MIN_PX / side)) if side < MIN_PX else 0
    return sizes + shrunk, floor


def sized_layout(
    shape: tuple[int, int], new_h: int, new_w: int, zoom: float, cols: int, rows: int
) -> Layout:
    """A layout drawing maps of ``shape`` (h, w) at ``new_h`` x ``new_w`` pixels."""
    h, w = shape
    return Layout(map_h=new_h, map_w=new_w, zoom=zoom, cols=cols, rows=rows,
                  ry=resample_index(h, new_h), rx=resample_index(w, new_w))  # fmt: skip


class GridModel:
    """Maps, titles and view settings of a heatmap grid; lays them out and builds lines.

    Maps are stored as codes (:mod:`tui.widgets.halfblock`). Layouts, under a header line
    (caption and page indicator):

    * **flow**: maps left to right, top to bottom, each with a one-line title above it;
    * **table** (``row_labels``): one row per label (a digit), a column per map, titles on top;
    * **vector**: one (1, N) map wrapped to the width, one cell per value (dense activations).

    Automatic zoom picks the size with the fewest pages, then the largest: tiny kernels are
    enlarged (at least ``MIN_PX`` pixels), big maps may be shrunk by 2-4 (nearest sampling) down
    to ``MIN_SHRUNK_PX``, and a map too big for the area is shrunk until one fits.
    """

    def __init__(self) -> None:
        self.codes: np.ndarray | None = None  # (N, H, W) int16 codes or int32 RGB codes
        self.rgb = False
        self.titles: list[str] = []
        self.row_labels: list[str] | None = None
        self.columns = 0  # maps per row in table mode
        self.vector = False
        self.cmap: str | np.ndarray = "sequential"
        self.caption = ""
        self.message = ""
        self.highlight: tuple[int, tuple[int, int, int, int]] | None = None
        self.zoom = 0  # 0: automatic; n > 0: enlarge n times (or less if it does not fit)
        self.levels: int | None = None
        self.show_titles = True  # one title line above each map (flow layout)
        self.stretch = False  # shrink each axis on its own (weight matrices), not uniformly
        self.header = True  # first line: caption and page indicator
        self.fill = False  # enlarge by whole factors to fill the area (see candidate_sizes)

    # -- data -------------------------------------------------------------------------------
    def set_maps(
        self,
        maps: np.ndarray,
        titles: Sequence[str] | None = None,
        cmap: str | np.ndarray = "sequential",
        row_labels: Sequence[str] | None = None,
        caption: str = "",
        vector: bool = False,
        rgb: bool = False,
    ) -> None:
        """Store maps (see ``HeatmapGrid.set_maps``); ``rgb``: uint8 (N, H, W, 3) images."""
        array = np.asarray(maps)
        if rgb and (array.dtype != np.uint8 or array.shape[-1:] != (3,)):
            raise ValueError("rgb maps must be uint8 (..., H, W, 3)")
        if vector:
            array = array.reshape(1, 1, -1)
        elif array.ndim == 2 + rgb:
            array = array[None]
        self.row_labels = None if row_labels is None else list(row_labels)
        if self.row_labels is not None:
            if array.ndim != 4 + rgb or array.shape[0] != len(self.row_labels):
                raise ValueError("with row_labels maps must be (rows, columns, H, W)")
            self.columns = array.shape[1]
            array = array.reshape(-1, *array.shape[2:])
        elif array.ndim != 3 + rgb:
            raise ValueError(f"maps must be (N, H, W) or (H, W), got shape {array.shape}")
        self.rgb, self.cmap, self.caption, self.vector = bool(rgb), cmap, caption, vector
        self.codes = codes_from_rgb(array) if rgb else codes_from_values(array)
        count = self.columns if self.row_labels is not None else self.codes.shape[0]
        names = list(titles) if titles is not None else [str(i) for i in range(count)]
        self.titles = (names + [""] * count)[:count]
        self.message = ""

    def clear(self, message: str = "") -> None:
        self.codes, self.titles, self.row_labels, self.message = None, [], None, message

    @property
    def count(self) -> int:
        return 0 if self.codes is None else int(self.codes.shape[0])

    # -- layout -----------------------------------------------------------------------------
    def layout(self, width: int, height: int, page: int) -> Layout:
        if self.codes is None or self.count == 0 or width < 1 or height < 1 + self.header:
            return Layout()
        if self.vector:
            return self._vector_layout(width, height)
        if self.row_labels is not None:
            return self._table_layout(width, height, page)
        return self._flow_layout(width, height, page)

    def _fit(
        self, avail_w: int, avail_rows: int, extra_rows: int, count: int
    ) -> tuple[Layout, int] | None:
        """Best size for ``count`` maps in the space: fewest pages, then the largest zoom."""
        assert self.codes is not None
        if self.stretch:  # a weight matrix: fill the area, each axis scaled on its own
            return self._shrink_to_fit(avail_w, avail_rows, extra_rows, count)
        sizes, floor = candidate_sizes(*self.codes.shape[1:3], self.zoom, self.fill)
        fitting = []
        for new_h, new_w, zoom in sizes:
            cell_rows = math.ceil(new_h / 2) + extra_rows
            if new_w <= avail_w and cell_rows <= avail_rows:
                cols = max(1, (avail_w + GAP) // (max(new_w, 2) + GAP))
                rows = max(1, avail_rows // cell_rows)
                pages = math.ceil(count / (cols * rows))
                fitting.append((pages, -zoom, new_h, new_w, cols, rows))
        if not fitting:
            return self._shrink_to_fit(avail_w, avail_rows, extra_rows, count)
        preferred = [c for c in fitting if -c[1] >= floor] or fitting
        pages, neg_zoom, new_h, new_w, cols, rows = min(preferred)
        return sized_layout(self.codes.shape[1:3], new_h, new_w, -neg_zoom, cols, rows), pages

    def _shrink_to_fit(
        self, avail_w: int, avail_rows: int, extra_rows: int, count: int
    ) -> tuple[Layout, int] | None:
        """One map too big for the space: shrink it (uniformly unless ``stretch``) to fit."""
        assert self.codes is not None
        h, w = self.codes.shape[1:3]
        max_h = (avail_rows - extra_rows) * 2
        if max_h < 1 or avail_w < 1:
            return None
        factor = max(h / max_h, w / avail_w)
        new_h, new_w = max(1, min(max_h, int(h / factor))), max(1, min(avail_w, int(w / factor)))
        zoom = new_w / w
        if self.stretch:  # every line and column of the area; more lines: a larger picture
            new_h, new_w, zoom = max_h, avail_w, max_h / h
        cols = max(1, (avail_w + GAP) // (max(new_w, 2) + GAP))
        rows = max(1, avail_rows // (math.ceil(new_h / 2) + extra_rows))
        pages = math.ceil(count / (cols * rows))
        return sized_layout((h, w), new_h, new_w, zoom, cols, rows), pages

    def _flow_layout(self, width: int, height: int, page: int) -> Layout:
        top = int(self.header)
        titles = self.show_titles
        fitted = self._fit(width, height - top, int(titles), self.count)
        if fitted is None and titles:  # no room for titles: draw the maps without them
            fitted, titles = self._fit(width, height - top, 0, self.count), False
        if fitted is None:
            return Layout()
        grid, pages = fitted
        grid.page_count = pages
        grid.kind, grid.titles, grid.per_page = "flow", titles, grid.cols * grid.rows
        page = min(max(page, 0), grid.page_count - 1)
        cell_rows = math.ceil(grid.map_h / 2) + titles
        first = page * grid.per_page
        for slot, index in enumerate(range(first, min(first + grid.per_page, self.count))):
            row, col = divmod(slot, grid.cols)
            grid.placements.append((index, col * (grid.cell_w + GAP), top + row * cell_rows))
        return grid

    def _table_layout(self, width: int, height: int, page: int) -> Layout:
        assert self.row_labels is not None
        label_w = min(MAX_LABEL, max((len(label) for label in self.row_labels), default=0)) + 1
        n_rows, n_cols = len(self.row_labels), self.columns
        fitted = self._fit(width - label_w, height - 2, 1, n_cols * n_rows)
        if fitted is None:
            return Layout()
        grid = fitted[0]
        grid.kind, grid.label_w, grid.cols = "table", label_w, min(fitted[0].cols, n_cols)
        grid.col_pages = math.ceil(n_cols / grid.cols)
        grid.page_count = grid.col_pages * math.ceil(n_rows / grid.rows)
        grid.per_page = grid.cols * grid.rows
        row_page, col_page = divmod(min(max(page, 0), grid.page_count - 1), grid.col_pages)
        cell_rows = math.ceil(grid.map_h / 2) + 1  # a blank line between digits
        rows = range(row_page * grid.rows, min((row_page + 1) * grid.rows, n_rows))
        cols = range(col_page * grid.cols, min((col_page + 1) * grid.cols, n_cols))
        for r_slot, r in enumerate(rows):
            for c_slot, c in enumerate(cols):
                x = label_w + c_slot * (grid.cell_w + GAP)
                grid.placements.append((r * n_cols + c, x, 2 + r_slot * cell_rows))
        return grid

    def _vector_layout(self, width: int, height: int) -> Layout:
        assert self.codes is not None
        n = self.codes.shape[2]
        lines = max(1, height - int(self.header))
        cells_w = min(n, width)
        shown = n if math.ceil(n / cells_w) <= lines else cells_w * lines  # sampled to fit
        grid = Layout(kind="vector", map_w=cells_w, map_h=2 * math.ceil(shown / cells_w),
                      rx=resample_index(n, shown), page_count=1, per_page=1)  # fmt: skip
        grid.placements.append((0, 0, int(self.header)))
        return grid

    def natural_height(self, width: int, limit: int = 1000) -> int:
        """Lines needed to show every map on one page as large as ``limit`` lines allow."""
        if self.codes is None or self.count == 0 or width < 1:
            return int(self.header) + (1 if self.message else 0)
        low, high = 1 + int(self.header), limit
        full = self.layout(width, high, 0)
        if full.page_count > 1:
            return high
        while low < high:  # the smallest height that still shows everything as large
            mid = (low + high) // 2
            grid = self.layout(width, mid, 0)
            if grid.kind != "empty" and grid.page_count == 1 and grid.zoom >= full.zoom:
                high = mid
            else:
                low = mid + 1
        return low

    # -- building ---------------------------------------------------------------------------
    def palette(self, mode: str, base: Style | None) -> Palette:
        return get_palette(mode, self.cmap, self.levels, base, rgb=self.rgb)

    def map_keys(self, grid: Layout, index: int, palette: Palette) -> np.ndarray:
        """Colour keys of one map as drawn (see ``grid_paint.map_keys``)."""
        return grid_paint.map_keys(self, grid, index, palette)

    def build(
        self,
        width: int,
        height: int,
        page: int,
        mode: str,
        styles: grid_paint.GridStyles | None = None,
    ) -> list[Strip]:
        """One Strip per line of a ``width`` x ``height`` area showing ``page``."""
        return grid_paint.build_lines(self, width, height, page, mode, styles)
