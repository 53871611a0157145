"""HeatmapGrid: a paged grid of half-block heatmaps on Textual's line API, with cached strips."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.render.colormap import COLORMAPS
from engine.render.terminal import color_mode as _engine_color_mode
from tui.widgets.grid import GridModel, GridStyles, Layout
from tui.widgets.halfblock import MODES, UPPER_HALF, check_mode

MNIST_TEST_IMAGES = Path(__file__).resolve().parents[2] / "data/mnist/t10k-images-idx3-ubyte.gz"

__all__ = ["HeatmapGrid", "benchmark_maps", "build_time_benchmark", "detect_color_mode"]


def detect_color_mode(force_ascii: bool = False) -> str:
    """ "ascii" (--ascii or NO_COLOR), "truecolor" (COLORTERM truecolor/24bit) or "256"."""
    return _engine_color_mode(force_ascii)


class HeatmapGrid(Widget):
    """A grid of heatmaps, one title each, as many as fit; pages through the rest."""

    DEFAULT_CSS = """
    HeatmapGrid {
        height: 1fr;
        width: 1fr;
    }
    HeatmapGrid > .heatmap-grid--title {
        color: $text-muted;
    }
    HeatmapGrid > .heatmap-grid--caption {
        text-style: bold;
    }
    HeatmapGrid > .heatmap-grid--label {
        color: $text-accent;
    }
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
        super().__init__(name=name, id=id, classes=classes)
        self.model = GridModel()
        self.model.levels = levels
        self._lines: list[Strip] | None = None
        self._layout_key: tuple | None = None
        self._layout: Layout | None = None
        self.builds = 0  # number of full line builds (tests and benchmarks)
        self._shape: tuple | None = None  # geometry of the last maps, see _shape_changed
        # keep_height: an auto-height grid that grows but does not shrink (until
        # release_height), so new maps that fit need no re-layout of the screen.
        self.keep_height = False
        self._height_limit: int | None = None  # the line limit of the last layout
        self._released = False
        self.set_reactive(HeatmapGrid.color_mode, color_mode or detect_color_mode())

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
        self.model.set_maps(
            maps,
            titles=titles,
            cmap=cmap,
            row_labels=row_labels,
            caption=caption,
            vector=vector,
            rgb=rgb,
        )
        if not keep_page:
            self.set_reactive(HeatmapGrid.page, 0)
        self.invalidate(relayout=self._shape_changed())

    def _shape_changed(self) -> bool:
        """Whether the maps' geometry changed (new values alone keep an auto height)."""
        model = self.model
        codes = model.codes
        shape = (None if codes is None else codes.shape, model.vector, model.row_labels is None,
                 model.show_titles, model.stretch, bool(model.message))  # fmt: skip
        changed = shape != self._shape
        self._shape = shape
        return changed

    def clear(self, message: str = "", caption: str = "") -> None:
        """Remove the maps; show ``message`` in the middle (e.g. "no weights")."""
        self.model.clear(message)
        self.model.caption = caption
        self.set_reactive(HeatmapGrid.page, 0)
        self.invalidate(relayout=self._shape_changed())

    def set_caption(self, caption: str) -> None:
        if caption != self.model.caption:
            self.model.caption = caption
            self.invalidate()

    def set_highlight(self, index: int | None, box: Sequence[int] | None = None) -> None:
        """Outline ``box`` = (y0, x0, y1, x1) (pixels, end-exclusive) on map ``index``."""
        value = None if index is None or box is None else (int(index), tuple(int(v) for v in box))
        if value != self.model.highlight:
            self.model.highlight = value  # type: ignore[assignment]
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
        key = (width, height, self.page, self.zoom, self._data_version)
        if self._layout is None or key != self._layout_key:
            self._layout = self.model.layout(width, height, self.page)
            self._layout_key = key
        return self._layout

    @property
    def page_count(self) -> int:
        return self.layout_info.page_count

    @property
    def page_label(self) -> str:
        return GridModel.page_label(self.layout_info, self.page)

    @property
    def visible_indices(self) -> list[int]:
        return [index for index, _, _ in self.layout_info.placements]

    @property
    def visible_titles(self) -> list[str]:
        grid = self.layout_info
        if grid.kind == "table":
            return [self.model.titles[i % self.model.columns] for i, _, _ in grid.placements][
                : grid.cols
            ]
        return [self.model.titles[i] for i, _, _ in grid.placements]

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
        limit = max(2, limit)
        self._height_limit = limit
        natural = self.model.natural_height(width, limit=limit)
        if self.keep_height and not self._released:
            return max(natural, min(self.size.height, limit))
        self._released = False
        return natural

    def release_height(self) -> None:
        """Let a keep_height grid shrink to its maps once more (a new model)."""
        self._height_limit = None
        self._released = True
        self.refresh(layout=True)

    def _fits(self) -> bool:
        """Whether a keep_height grid's new maps fit the lines it already has."""
        width, height = self.size
        if not self.keep_height or self._height_limit is None or height <= 0:
            return False
        return self.model.natural_height(width, limit=self._height_limit) <= height

    # -- rendering --------------------------------------------------------------------------
    _data_version = 0

    def invalidate(self, relayout: bool = False) -> None:
        """Drop the cached lines (and layout) and schedule a repaint.

        ``relayout``: the data changed, so an auto-height grid must be measured again.
        """
        self._lines = None
        self._layout = None
        self._data_version += 1
        height = self.styles.height
        relayout = relayout and height is not None and height.is_auto and not self._fits()
        self.refresh(layout=relayout)

    def on_resize(self) -> None:
        self.invalidate()
        if self.page >= self.page_count:
            self.page = self.page_count - 1

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = None

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

    def _build(self) -> list[Strip]:
        width, height = self.size
        self.builds += 1
        return self.model.build(width, height, self.page, self.color_mode, self.grid_styles())

    def render_line(self, y: int) -> Strip:
        if self._lines is None or len(self._lines) != self.size.height:
            self._lines = self._build()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width)


def _frame_bytes(strips: list[Strip], color_system: str) -> int:
    """Bytes the strips take on the wire (escape sequences included), one newline per line."""
    console = Console(color_system=color_system, force_terminal=True, width=10_000)  # type: ignore[arg-type]
    return sum(len(strip.render(console).encode()) + 1 for strip in strips)


def _naive_build(model: GridModel, width: int, height: int) -> list[Strip]:
    """The baseline: a new truecolor Style and Segment for every cell, no runs merged."""
    grid = model.layout(width, height, 0)
    lut = COLORMAPS["sequential"]
    lines: list[list[Segment]] = [[] for _ in range(height)]
    assert model.codes is not None
    for index, _x, y in grid.placements:
        codes = model.codes[index][np.ix_(grid.ry, grid.rx)]
        lines[y].append(Segment(model.titles[index][: grid.map_w].ljust(grid.map_w + 1)))
        for row in range(0, codes.shape[0], 2):
            bottoms = codes[row + 1] if row + 1 < codes.shape[0] else codes[row]
            for top, bottom in zip(codes[row], bottoms, strict=True):
                style = Style(color=Color.from_rgb(*map(int, lut[top])),
                              bgcolor=Color.from_rgb(*map(int, lut[bottom])))  # fmt: skip
                lines[y + 1 + row // 2].append(Segment(UPPER_HALF, style))
            lines[y + 1 + row // 2].append(Segment(" "))
    return [Strip(line) for line in lines]


def benchmark_maps(count: int = 32, seed: int = 0) -> np.ndarray:
    """Feature maps like conv1's: a bundled MNIST test digit through random 3x3 kernels, ReLU,
    scaled to [0, 1] on one shared range (smoothed noise when the data is not there)."""
    rng = np.random.default_rng(seed)
    try:
        with gzip.open(MNIST_TEST_IMAGES, "rb") as images:
            digit = np.frombuffer(images.read(16 + 784)[16:], dtype=np.uint8).reshape(28, 28)
    except OSError:
        digit = (rng.random((28, 28)) > 0.7).astype(np.uint8) * 255
    padded = np.pad(digit.astype(np.float32) / 255.0, 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))  # (28, 28, 3, 3)
    kernels = rng.normal(size=(count, 3, 3)).astype(np.float32)
    maps = np.maximum(np.einsum("hwij,kij->khw", windows, kernels), 0.0)
    return maps / max(float(maps.max()), 1e-6)


def build_time_benchmark(
    count: int = 32, width: int = 240, height: int = 62, repeats: int = 20
) -> dict[str, float]:
    """Build a full grid of ``count`` 28x28 maps: median ms per colour mode and for the naive
    per-cell baseline, segments, and bytes per frame (merged runs vs naive per-cell styles)."""
    model = GridModel()
    model.set_maps(benchmark_maps(count), titles=[f"#{i}" for i in range(count)], caption="bench")
    grid = model.layout(width, height, 0)
    result = {"maps_shown": float(len(grid.placements)),
              "cells": float(len(grid.placements) * grid.map_w * -(-grid.map_h // 2))}  # fmt: skip
    for mode in MODES:
        result[f"build_ms_{mode}"] = _median_ms(lambda m=mode: model.build(width, height, 0, m),
                                                repeats)  # fmt: skip
    result["build_ms_naive_truecolor"] = _median_ms(
        lambda: _naive_build(model, width, height), repeats
    )
    merged, naive = model.build(width, height, 0, "truecolor"), _naive_build(model, width, height)
    result["segments_truecolor"] = float(sum(len(strip) for strip in merged))
    result["segments_naive"] = float(sum(len(strip) for strip in naive))
    result["bytes_truecolor_merged"] = float(_frame_bytes(merged, "truecolor"))
    result["bytes_truecolor_naive"] = float(_frame_bytes(naive, "truecolor"))
    result["bytes_256_merged"] = float(_frame_bytes(model.build(width, height, 0, "256"), "256"))
    result["naive_over_merged_bytes"] = result["bytes_truecolor_naive"] / max(
        1.0, result["bytes_truecolor_merged"]
    )
    result["naive_over_merged_ms"] = result["build_ms_naive_truecolor"] / max(
        1e-9, result["build_ms_truecolor"]
    )
    return result


def _median_ms(build: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        build()
        timings.append((time.perf_counter() - start) * 1000)
    return float(np.median(timings))
