"""Kitty-graphics tiles for HeatmapGrid: each map of a page drawn at its full resolution as a
Kitty image (textual-image's TGP renderable: the image is sent once as Kitty graphics escapes
and the map's cells hold Unicode placeholders), in place of its half-block rows.

Used only when the app runs with ``--graphics kitty`` (``tui.widgets.graphics``); the grid
keeps its titles, captions, paging and layout, only the pixels of a map change. Images a new
page or new data no longer shows are deleted from the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.segment import Segment

from engine.render.colormap import NONFINITE_BG
from tui.widgets.halfblock import EMPTY, NONFINITE, resolve_lut
from tui.widgets.palette import HIGHLIGHT_RGB
from tui.widgets.pixel_image import load_protocol_widget, to_pil

if TYPE_CHECKING:
    from tui.widgets.grid import GridModel, Layout

_CONSOLE = Console(width=512, height=512, color_system="truecolor", file=None)


def map_rgb(model: GridModel, index: int) -> np.ndarray:
    """Map ``index`` of the model as uint8 RGB (H, W, 3) at full resolution: codes through
    the model's colour map (RGB codes as they are), no pixel black, +-inf magenta, and the
    highlighted box (the explained cell's window) outlined in the highlight colour."""
    assert model.codes is not None
    codes = model.codes[index]
    if model.rgb:
        packed = codes.astype(np.int64)
        rgb = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=-1)
    else:
        lut = resolve_lut(model.cmap)
        rgb = lut[np.clip(codes, 0, 255)].astype(np.int64)
        rgb[codes == EMPTY] = 0
        rgb[codes == NONFINITE] = NONFINITE_BG
    if model.highlight is not None and model.highlight[0] == index:
        y0, x0, y1, x1 = model.highlight[1]
        h, w = codes.shape
        y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, h), min(x1, w)
        if y1 > y0 and x1 > x0:
            rgb[y0:y1, [x0, x1 - 1]] = HIGHLIGHT_RGB
            rgb[[y0, y1 - 1], x0:x1] = HIGHLIGHT_RGB
    return rgb.astype(np.uint8)


class KittyTiles:
    """The Kitty images of a grid's maps, kept while shown, keyed by what they show."""

    def __init__(self) -> None:
        self.renderable = load_protocol_widget("kitty")._Renderable  # type: ignore[attr-defined]
        self._images: dict[tuple, Any] = {}
        self._used: set[tuple] = set()

    def begin_page(self) -> None:
        """A new build of the grid's lines starts: images it does not use again are deleted."""
        self._used = set()

    def end_page(self) -> None:
        for key in [k for k in self._images if k not in self._used]:
            self._images.pop(key).cleanup()

    def rows(self, model: GridModel, grid: Layout, index: int) -> list[list[Segment]] | None:
        """The placeholder rows of map ``index`` in a ``grid.map_w`` x ``ceil(map_h / 2)``
        cell box; None for a layout that is not a picture per map (a wrapped vector)."""
        if grid.kind == "vector" or model.codes is None:
            return None
        width, height = grid.map_w, (grid.map_h + 1) // 2
        rgb = map_rgb(model, index)
        key = (index, width, height, rgb.shape, hash(rgb.tobytes()))
        image = self._images.get(key)
        if image is None:
            image = self._images[key] = self.renderable(to_pil(rgb), width, height)
        self._used.add(key)
        options = _CONSOLE.options.update(width=width, height=height)
        lines = list(image.__rich_console__(_CONSOLE, options))
        return [[Segment(seg.text.rstrip("\n"), seg.style)] for seg in lines]
