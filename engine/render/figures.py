"""PNG figures a person can read (Pillow + numpy, no torch): enlarged maps with colour bars.

``save_figure(path, panels, title, caption)`` draws each ``FigurePanel`` as a nearest-neighbour
enlarged picture (a 28x28 map becomes ~224 px) with a label above it and its own vertical colour
bar, ticked with the numeric min, max and (when inside the range) 0. A panel may carry a grey
underlay (the digit) with the map blended on top, its transparency following the map's strength
(|value| over the largest |value| of the range), as the attribution overlays are drawn. The colour
maps are those of the terminal (``engine.render.colormap``): a sequential (viridis) map, the
diverging blue-white-red map centred on 0, and grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engine.errors import EngineError
from engine.render.colormap import COLORMAPS, NONFINITE_BG, apply
from engine.render.figure_text import drawable, font, wrap
from engine.render.terminal import format_value

TARGET_SIDE = 224  # a map's longer side is enlarged to about this many pixels
BAR_WIDTH = 14
BAR_GAP = 6
TICK_ROOM = 64  # pixels right of the bar for its numbers
PAD = 12
LABEL_SIZE = 13
TITLE_SIZE = 17
CAPTION_SIZE = 12
BACKGROUND = (255, 255, 255)
TEXT = (20, 20, 20)
MUTED = (90, 90, 90)
ALPHA_MAX = 0.85  # the strongest value still lets a trace of the digit through
FIXED_ALPHA = 0.6  # a map over an underlay without alpha_by_strength
UNDERLAY_LEVEL = 0.7  # the digit's white is drawn as this grey so bright colours stand out
CMAP_ALIASES = {
    "grey": "gray",
    "gray": "gray",
    "sequential": "sequential",
    "diverging": "diverging",
}


class FigureError(EngineError):
    """A figure's data is malformed or its file cannot be written."""


@dataclass(frozen=True)
class FigurePanel:
    """One map of a figure.

    ``values``: (H, W) raw values (any finite range; NaN/inf drawn magenta). ``cmap``:
    "sequential", "diverging" or "grey". ``lo``/``hi``: the colour range (None: the values'
    own; for "diverging" symmetric about 0). ``label``: the line above the panel. ``underlay``:
    (H, W) in [0, 1], drawn grey beneath the map. ``alpha_by_strength``: the map's opacity grows
    with |value| (transparent at 0), so that weak attribution leaves the digit visible.
    """

    values: np.ndarray
    cmap: str = "sequential"
    lo: float | None = None
    hi: float | None = None
    label: str = ""
    underlay: np.ndarray | None = None
    alpha_by_strength: bool = False


def panel_range(panel: FigurePanel) -> tuple[float, float]:
    """The (lo, hi) a panel is coloured by: given, else its finite values' (symmetric if
    diverging); a flat range is widened so the scale never divides by zero."""
    values = np.asarray(panel.values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    if panel.cmap == "diverging" and panel.lo is None and panel.hi is None:
        top = max(abs(lo), abs(hi))
        lo, hi = -top, top
    lo = lo if panel.lo is None else float(panel.lo)
    hi = hi if panel.hi is None else float(panel.hi)
    if not hi > lo:
        hi = lo + 1.0 if panel.cmap != "diverging" else max(abs(lo), 1.0)
        lo = lo if panel.cmap != "diverging" else -hi
    return lo, hi


def _lut(cmap: str) -> np.ndarray:
    if cmap not in CMAP_ALIASES:
        raise FigureError(f"unknown colour map {cmap!r}; use sequential, diverging or grey")
    return COLORMAPS[CMAP_ALIASES[cmap]]


def panel_rgb(panel: FigurePanel) -> np.ndarray:
    """uint8 (H, W, 3): the panel's map coloured, blended over its underlay when it has one."""
    values = np.asarray(panel.values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise FigureError(f"a figure panel needs an (H, W) map, got shape {values.shape}")
    lo, hi = panel_range(panel)
    finite = np.isfinite(values)
    safe = np.where(finite, values, lo)
    rgb = apply((safe - lo) / (hi - lo), _lut(panel.cmap)).astype(np.float64)
    if panel.underlay is not None:
        rgb = _blend(rgb, safe, panel, max(abs(lo), abs(hi)))
    rgb[~finite] = NONFINITE_BG
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _blend(rgb: np.ndarray, values: np.ndarray, panel: FigurePanel, top: float) -> np.ndarray:
    underlay = np.asarray(panel.underlay, dtype=np.float64)
    if underlay.shape != values.shape:
        raise FigureError(
            f"underlay {underlay.shape} and map {values.shape} must have the same height x width"
        )
    grey = np.clip(np.nan_to_num(underlay), 0, 1)[..., None] * 255.0 * UNDERLAY_LEVEL
    if panel.alpha_by_strength:
        alpha = ALPHA_MAX * np.clip(np.abs(values) / (top or 1.0), 0, 1)[..., None]
    else:
        alpha = np.full((*values.shape, 1), FIXED_ALPHA)
    return grey * (1 - alpha) + rgb * alpha


def _scale(shape: tuple[int, int]) -> int:
    return max(1, round(TARGET_SIDE / max(shape)))


def _text_height(size: int) -> int:
    return size + 6


def _panel_box(panel: FigurePanel) -> tuple[int, int]:
    """(width, height) in pixels of one drawn panel: label, picture, bar and tick numbers."""
    h, w = np.asarray(panel.values).shape
    scale = _scale((h, w))
    label_w = int(font(LABEL_SIZE).getlength(drawable(panel.label))) if panel.label else 0
    width = max(w * scale + BAR_GAP + BAR_WIDTH + TICK_ROOM, label_w)
    return width, _text_height(LABEL_SIZE) + h * scale


def _ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """(position 0 = hi .. 1 = lo, text) of the bar's ticks: max, 0 if inside, min."""
    ticks = [(0.0, format_value(hi)), (1.0, format_value(lo))]
    if lo < 0 < hi:
        ticks.append(((hi - 0.0) / (hi - lo), "0"))
    return ticks


def _draw_bar(canvas: Image.Image, x: int, y: int, height: int, panel: FigurePanel) -> None:
    lo, hi = panel_range(panel)
    lut = _lut(panel.cmap)
    column = np.linspace(1.0, 0.0, height)  # top = hi
    strip = apply(column, lut)[:, None, :].repeat(BAR_WIDTH, axis=1)
    canvas.paste(Image.fromarray(np.ascontiguousarray(strip), "RGB"), (x, y))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((x - 1, y - 1, x + BAR_WIDTH, y + height), outline=MUTED)
    small = font(CAPTION_SIZE - 1)
    for position, text in _ticks(lo, hi):
        tick_y = y + round(position * (height - 1))
        draw.line((x + BAR_WIDTH, tick_y, x + BAR_WIDTH + 3, tick_y), fill=TEXT)
        text_y = min(max(tick_y - 6, y - 6), y + height - 8)
        draw.text((x + BAR_WIDTH + 5, text_y), text, fill=TEXT, font=small)


def _draw_panel(canvas: Image.Image, x: int, y: int, panel: FigurePanel) -> None:
    rgb = panel_rgb(panel)
    h, w = rgb.shape[:2]
    scale = _scale((h, w))
    draw = ImageDraw.Draw(canvas)
    if panel.label:
        draw.text((x, y), drawable(panel.label), fill=TEXT, font=font(LABEL_SIZE))
    top = y + _text_height(LABEL_SIZE)
    picture = Image.fromarray(rgb, "RGB").resize((w * scale, h * scale), Image.Resampling.NEAREST)
    canvas.paste(picture, (x, top))
    _draw_bar(canvas, x + w * scale + BAR_GAP, top, h * scale, panel)


def layout(
    panels: Sequence[FigurePanel], columns: int | None = None
) -> tuple[int, list[tuple[int, int]], tuple[int, int]]:
    """(columns, each panel's top-left within the grid, the grid's (width, height))."""
    count = len(panels)
    cols = max(1, min(count, columns or (count if count <= 5 else math.ceil(math.sqrt(count)))))
    boxes = [_panel_box(p) for p in panels]
    cell_w = max(b[0] for b in boxes) + PAD
    rows = math.ceil(count / cols)
    row_h = [max(b[1] for b in boxes[r * cols : (r + 1) * cols]) + PAD for r in range(rows)]
    corners = [(i % cols * cell_w, sum(row_h[: i // cols])) for i in range(count)]
    return cols, corners, (cols * cell_w - PAD, sum(row_h) - PAD)


def _frame(
    panels: Sequence[FigurePanel], title: str, caption: str, columns: int | None
) -> tuple[list[tuple[int, int]], int, int, list[str], list[str]]:
    """Each panel's top-left on the canvas, the canvas width and height, title and caption lines."""
    if not panels:
        raise FigureError("a figure needs at least one panel")
    _, corners, (grid_w, grid_h) = layout(panels, columns)
    width = max(grid_w, 320) + 2 * PAD
    title_lines = wrap(title, width - 2 * PAD, TITLE_SIZE) if title else []
    caption_lines = wrap(caption, width - 2 * PAD, CAPTION_SIZE) if caption else []
    title_h = len(title_lines) * _text_height(TITLE_SIZE)
    grid_top = PAD + title_h + (PAD if title_h else 0)
    height = grid_top + grid_h + PAD + len(caption_lines) * _text_height(CAPTION_SIZE) + PAD
    placed = [(PAD + x, grid_top + y) for x, y in corners]
    return placed, width, height, title_lines, caption_lines


def picture_boxes(
    panels: Sequence[FigurePanel], title: str = "", caption: str = "", columns: int | None = None
) -> list[tuple[int, int, int]]:
    """(left, top, scale) of each panel's enlarged picture in the figure: map pixel (i, j) is
    drawn at rows top + i*scale .. top + (i+1)*scale - 1 (and columns alike)."""
    placed, *_ = _frame(panels, title, caption, columns)
    return [
        (x, y + _text_height(LABEL_SIZE), _scale(np.asarray(p.values).shape))
        for p, (x, y) in zip(panels, placed, strict=True)
    ]


def render_figure(
    panels: Sequence[FigurePanel], title: str = "", caption: str = "", columns: int | None = None
) -> Image.Image:
    """The figure as a Pillow RGB image (see ``save_figure``)."""
    placed, width, height, title_lines, caption_lines = _frame(panels, title, caption, columns)
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for row, line in enumerate(title_lines):
        draw.text(
            (PAD, PAD + row * _text_height(TITLE_SIZE)), line, fill=TEXT, font=font(TITLE_SIZE)
        )
    for panel, (x, y) in zip(panels, placed, strict=True):
        _draw_panel(canvas, x, y, panel)
    y = height - PAD - len(caption_lines) * _text_height(CAPTION_SIZE)
    for line in caption_lines:
        draw.text((PAD, y), line, fill=MUTED, font=font(CAPTION_SIZE))
        y += _text_height(CAPTION_SIZE)
    return canvas


def save_figure(
    path: str | Path,
    panels: Sequence[FigurePanel],
    title: str = "",
    caption: str = "",
    *,
    columns: int | None = None,
) -> Path:
    """Write ``panels`` as one PNG at ``path`` (title on top, caption below); returns the path.

    Panels are laid out in a row (more than five: in a near-square grid, or ``columns`` per
    row). Raises FigureError (one line) for a malformed panel or a path that cannot be written.
    """
    return write_png(render_figure(panels, title, caption, columns), path)


def write_png(image: Image.Image, path: str | Path) -> Path:
    """Save ``image`` as a PNG at ``path`` (``~`` expanded); returns the path. FigureError (one
    line) when it cannot be written (a missing folder, no permission, a full disk)."""
    target = Path(path).expanduser()
    try:
        image.save(target, format="PNG")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise FigureError(f"cannot write {target} ({reason}); choose a writable path") from None
    return target
