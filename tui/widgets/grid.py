"""Layout and line building of a heatmap grid, independent of Textual widgets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.widgets.halfblock import (
    EMPTY,
    Palette,
    codes_from_rgb,
    codes_from_values,
    get_palette,
    map_rows,
    outline,
    resample_index,
)

GAP = 1  # columns between maps
AUTO_TARGET_PX = 12  # automatic zoom enlarges maps towards this many pixels
MIN_PX = 6  # ... and keeps tiny maps at least this big when they fit
MIN_SHRUNK_PX = 10  # big maps may be shrunk (to show more per page) down to this many pixels
MAX_ZOOM = 3
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


@dataclass
class GridStyles:
    """Styles of the parts of a grid (None: terminal default, as in ASCII mode)."""

    base: Style | None = None
    title: Style | None = None
    caption: Style | None = None
    label: Style | None = None


class Canvas:
    """Lines of segments filled left to right, padded to ``width`` at the end."""

    def __init__(self, width: int, height: int, base: Style | None) -> None:
        self.width, self.height, self.base = width, height, base
        self.lines: list[list[Segment]] = [[] for _ in range(height)]
        self.cursor = [0] * height

    def put(self, x: int, y: int, segments: list[Segment], cells: int) -> None:
        """Place segments ``cells`` wide at (x, y); dropped if they do not fit."""
        if not 0 <= y < self.height or x + cells > self.width or x < self.cursor[y]:
            return
        if x > self.cursor[y]:
            self.lines[y].append(Segment(" " * (x - self.cursor[y]), self.base))
        self.lines[y].extend(segments)
        self.cursor[y] = x + cells

    def text(self, x: int, y: int, value: str, cells: int, style: Style | None) -> None:
        value = value[: max(0, cells)]
        if value:
            self.put(x, y, [Segment(value, style)], len(value))

    def strips(self) -> list[Strip]:
        for line, cursor in zip(self.lines, self.cursor, strict=True):
            if cursor < self.width:
                line.append(Segment(" " * (self.width - cursor), self.base))
        return [Strip(line, self.width) for line in self.lines]


def fit_caption(caption: str, width: int) -> str:
    """The caption in ``width`` cells: whole trailing " · " details dropped first (a cut word
    reads as garbage), then an ellipsis."""
    parts = caption.split(" · ")
    while len(parts) > 1 and len(" · ".join(parts)) > width:
        parts.pop()
    text = " · ".join(parts)
    if len(text) <= width:
        return text
    return text[: width - 1] + "…" if width > 0 else ""


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

    def _sizes(self) -> tuple[list[tuple[int, int, float]], float]:
        """Candidate drawn sizes (h, w, zoom), largest first, and the smallest zoom preferred."""
        assert self.codes is not None
        h, w = self.codes.shape[1:3]
        side = max(h, w)
        if self.zoom > 0:
            return [(h * z, w * z, float(z)) for z in range(self.zoom, 0, -1)], self.zoom
        top = max(1, min(MAX_ZOOM, AUTO_TARGET_PX // side))
        sizes = [(h * z, w * z, float(z)) for z in range(top, 0, -1)]
        shrunk = [(-(-h // s), -(-w // s), 1 / s) for s in (2, 3, 4) if side / s >= MIN_SHRUNK_PX]
        floor = min(top, math.ceil(MIN_PX / side)) if side < MIN_PX else 0
        return sizes + shrunk, floor

    def _fit(
        self, avail_w: int, avail_rows: int, extra_rows: int, count: int
    ) -> tuple[Layout, int] | None:
        """Best size for ``count`` maps in the space: fewest pages, then the largest zoom."""
        sizes, floor = self._sizes()
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
        return self._sized(new_h, new_w, -neg_zoom, cols, rows), pages

    def _sized(self, new_h: int, new_w: int, zoom: float, cols: int, rows: int) -> Layout:
        assert self.codes is not None
        h, w = self.codes.shape[1:3]
        return Layout(map_h=new_h, map_w=new_w, zoom=zoom, cols=cols, rows=rows,
                      ry=resample_index(h, new_h), rx=resample_index(w, new_w))  # fmt: skip

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
        if self.stretch:
            new_h, new_w = min(h, max_h), min(w, avail_w)
        cols = max(1, (avail_w + GAP) // (max(new_w, 2) + GAP))
        rows = max(1, avail_rows // (math.ceil(new_h / 2) + extra_rows))
        return self._sized(new_h, new_w, new_w / w, cols, rows), math.ceil(count / (cols * rows))

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
        """Colour keys of one map after resampling (and with the highlight outline)."""
        assert self.codes is not None
        if grid.kind == "vector":
            values = self.codes[0, 0][grid.rx]
            padded = np.full(grid.map_h // 2 * grid.map_w, EMPTY, dtype=self.codes.dtype)
            padded[: values.size] = values
            codes = np.repeat(padded.reshape(-1, grid.map_w), 2, axis=0)
        else:
            codes = self.codes[index][np.ix_(grid.ry, grid.rx)]
        keys = palette.keys(codes)
        if self.highlight is not None and self.highlight[0] == index and grid.kind != "vector":
            h, w = self.codes.shape[1:3]
            y0, x0, y1, x1 = self.highlight[1]
            sy, sx = grid.map_h / h, grid.map_w / w
            box = (int(y0 * sy), int(x0 * sx), math.ceil(y1 * sy), math.ceil(x1 * sx))
            keys[outline(keys.shape, box)] = palette.highlight
        return keys

    def build(
        self,
        width: int,
        height: int,
        page: int,
        mode: str,
        styles: GridStyles | None = None,
    ) -> list[Strip]:
        """One Strip per line of a ``width`` x ``height`` area showing ``page``."""
        styles = styles or GridStyles()
        base = None if mode == "ascii" else styles.base
        grid = self.layout(width, height, page)
        canvas = Canvas(width, height, base)
        if self.header:
            self._draw_header(canvas, grid, page, styles)
        if grid.kind != "empty":
            self._draw_maps(canvas, grid, self.palette(mode, base), styles)
        elif self.message and height > 1:
            message = self.message[:width]
            x = max(0, (width - len(message)) // 2)
            canvas.text(x, height // 2, message, len(message), styles.title)
        return canvas.strips()

    def _draw_header(self, canvas: Canvas, grid: Layout, page: int, styles: GridStyles) -> None:
        right = self.page_label(grid, page) if grid.page_count > 1 else ""
        if len(right) > canvas.width:
            right = ""
        caption_w = canvas.width - len(right) - (1 if right else 0)
        canvas.text(0, 0, fit_caption(self.caption, caption_w), caption_w, styles.caption)
        canvas.text(canvas.width - len(right), 0, right, len(right), styles.caption)

    def _draw_maps(
        self, canvas: Canvas, grid: Layout, palette: Palette, styles: GridStyles
    ) -> None:
        for slot, (index, x, y) in enumerate(grid.placements):
            top = y
            if grid.kind == "table":
                assert self.row_labels is not None
                row, col = divmod(index, self.columns)
                if slot < grid.cols:  # the page's first row: column titles above it
                    canvas.text(x, 1, self.titles[col], grid.cell_w, styles.title)
                if x == grid.label_w:
                    canvas.text(0, y, self.row_labels[row], grid.label_w - 1, styles.label)
            elif grid.kind == "flow" and grid.titles:
                canvas.text(x, y, self.titles[index], grid.cell_w, styles.title)
                top = y + 1
            rows = map_rows(self.map_keys(grid, index, palette), palette)
            for offset, segments in enumerate(rows):
                canvas.put(x, top + offset, segments, grid.map_w)

    @staticmethod
    def page_label(grid: Layout, page: int) -> str:
        page = min(max(page, 0), grid.page_count - 1)
        return f"page {page + 1}/{grid.page_count}"
