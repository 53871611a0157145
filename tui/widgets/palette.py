"""Palettes of half-block heatmaps (numpy + rich, no Textual): colour keys and cached cells."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from engine.render.ascii_ramp import shade_char
from engine.render.colormap import (
    COLORMAPS,
    NONFINITE_BG,
    NONFINITE_CHAR,
    NONFINITE_FG,
    rgb_to_xterm256,
)
from tui.widgets.halfblock import (
    LOWER_HALF,
    MODES,
    PLAIN,
    RUN_BITS,
    RUN_MASK,
    UPPER_HALF,
    resolve_lut,
)

HIGHLIGHT_RGB = (255, 0, 255)
MAX_CELL_STYLES = 8192  # bound of each palette's (top, bottom) -> (char, Style) cache
MAX_SEGMENTS = 32768  # bound of each palette's run -> Segment cache
DEFAULT_LEVELS = {"truecolor": 64, "256": 256, "ascii": 256}

ASCII_HIGHLIGHT = Style(reverse=True)  # an attribute, not a colour

Cell = tuple[str, Style]


def lut_colors(lut: np.ndarray, mode: str, levels: int) -> tuple[list[Color], np.ndarray]:
    """The distinct colours of ``lut`` at ``levels`` steps and the colour key of each code."""
    steps = np.minimum(np.arange(256) * levels // 256, levels - 1)
    sampled = lut[np.rint(np.arange(levels) * 255 / max(1, levels - 1)).astype(int)]
    if mode == "truecolor":
        return [Color.from_rgb(*map(int, rgb)) for rgb in sampled], steps
    distinct, inverse = np.unique(rgb_to_xterm256(sampled).astype(np.int64), return_inverse=True)
    return [Color.from_ansi(int(code)) for code in distinct], inverse.reshape(-1)[steps]


class Palette:
    """Codes -> colour keys -> cached ``(char, Style)`` per (top, bottom) key pair.

    A map is stored as *codes*: int16 colour-map indices 0..255 (``EMPTY`` = -1 for no pixel:
    NaN, padding, the missing bottom pixel of an odd row), or int32 ``0xRRGGBB`` for RGB images.
    Keys ``0 .. n_colors-1`` are colours (values quantised to ``levels`` steps; in 256-colour
    mode the distinct xterm colours of the map), ``empty`` shows the widget background,
    ``highlight`` is the outline colour and ``nonfinite`` marks a value that is not a number
    (code NONFINITE) with ``NONFINITE_CHAR``. A cell is drawn as ``'▀'`` with the top colour as
    foreground and the bottom one as background, or ``' '`` on a background when both are
    equal. ASCII mode has no colour: one shading character per cell (mean of its two pixels).
    ``base`` is the widget's own style (its background shows through empty pixels).
    """

    def __init__(
        self, mode: str, lut: np.ndarray | None, levels: int, base: Style | None, rgb: bool = False
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"colour mode must be one of {MODES}, got {mode!r}")
        self.mode, self.rgb, self.levels, self.lut = mode, rgb, levels, lut
        self.diverging = lut is not None and lut is COLORMAPS["diverging"]
        self.base = None if mode == "ascii" else base
        # RGB truecolor keys pack `bits` bits per channel (<= 7 keeps run keys in int64)
        self._bits = max(1, min(7, (levels - 1).bit_length()))
        self.colors: list[Color] = []  # RGB keys are decoded on demand instead
        if rgb:
            self.n_colors = 1 << (3 * self._bits) if mode == "truecolor" else 256
        elif mode == "ascii":
            self.n_colors, per_code = 256, np.arange(256)
        else:
            assert lut is not None
            self.colors, per_code = lut_colors(lut, mode, levels)
            self.n_colors = len(self.colors)
        self.empty, self.highlight, self.nonfinite = range(self.n_colors, self.n_colors + 3)
        self.n_keys = self.n_colors + 3
        if not rgb:  # index -1 (EMPTY) lands on the empty key, -2 (NONFINITE) on its own
            self._code_keys = np.append(per_code, [self.nonfinite, self.empty]).astype(np.int64)
        self._cells: dict[int, Cell] = {}
        self._segments: dict[int, Segment] = {}
        self._highlight_color = _mode_color(HIGHLIGHT_RGB, mode)
        self._nonfinite_style = Style(
            color=_mode_color(NONFINITE_FG, mode),
            bgcolor=_mode_color(NONFINITE_BG, mode),
            bold=True,
        )

    # -- keys -------------------------------------------------------------------------------
    def keys(self, codes: np.ndarray) -> np.ndarray:
        """int64 colour keys for a code array (any shape)."""
        if not self.rgb:
            return self._code_keys[codes]
        empty = codes < 0
        if self.mode == "truecolor":
            shift, bits = 8 - self._bits, self._bits
            wide = codes.astype(np.int64)
            keys = (
                (((wide >> 16) & 255) >> shift) << (2 * bits)
                | (((wide >> 8) & 255) >> shift) << bits
                | ((wide & 255) >> shift)
            )
        elif self.mode == "256":
            rgb = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1)
            keys = rgb_to_xterm256(rgb).astype(np.int64)
        else:
            keys = ((codes >> 16) & 255) * 299 + ((codes >> 8) & 255) * 587 + (codes & 255) * 114
            keys = (keys // 1000).astype(np.int64)
        return np.where(empty, self.empty, keys)

    def color(self, key: int) -> Color | None:
        if key == self.empty:
            return None
        if key == self.highlight:
            return self._highlight_color
        if not self.rgb:
            return self.colors[key]
        if self.mode == "truecolor":
            bits, top = self._bits, (1 << self._bits) - 1
            channels = ((key >> (2 * bits)) & top, (key >> bits) & top, key & top)
            return Color.from_rgb(*(c * 255 // top for c in channels))
        return Color.from_ansi(key)

    # -- cells ------------------------------------------------------------------------------
    def cell(self, pair: int) -> Cell:
        """``(char, style)`` for the pair key ``top * n_keys + bottom`` (cached, bounded)."""
        cached = self._cells.get(pair)
        if cached is not None:
            return cached
        if len(self._cells) >= MAX_CELL_STYLES:
            self._cells.clear()
        top, bottom = divmod(pair, self.n_keys)
        if self.mode == "ascii":
            cell = self._ascii_cell(top, bottom)
        else:
            cell = self._color_cell(top, bottom)
        self._cells[pair] = cell
        return cell

    def segments(self, run_keys: list[int]) -> list[Segment]:
        """One Segment per run key ``pair << RUN_BITS | length`` (cached, bounded)."""
        cache = self._segments
        if len(cache) > MAX_SEGMENTS:
            cache.clear()
        for key in set(run_keys).difference(cache):
            self._make_segment(key)
        return list(map(cache.__getitem__, run_keys))

    def _make_segment(self, run_key: int) -> Segment:
        char, style = self.cell(run_key >> RUN_BITS)
        segment = Segment(char * (run_key & RUN_MASK), style)
        self._segments[run_key] = segment
        return segment

    @property
    def cached_cells(self) -> int:
        return len(self._cells)

    def _color_cell(self, top: int, bottom: int) -> Cell:
        base = self.base or PLAIN
        if self.nonfinite in (top, bottom):
            return NONFINITE_CHAR, base + self._nonfinite_style
        fg, bg = self.color(top), self.color(bottom)
        if top == bottom:
            return " ", (base + Style(bgcolor=fg) if fg is not None else base)
        if fg is None:
            return LOWER_HALF, base + Style(color=bg)
        if bg is None:
            return UPPER_HALF, base + Style(color=fg)
        return UPPER_HALF, base + Style(color=fg, bgcolor=bg)

    def _ascii_cell(self, top: int, bottom: int) -> Cell:
        # ascii keys are grey levels 0..255; the pair's character shades their mean
        if self.highlight in (top, bottom):
            return " ", ASCII_HIGHLIGHT
        if self.nonfinite in (top, bottom):
            return NONFINITE_CHAR, PLAIN
        present = [k for k in (top, bottom) if k != self.empty]
        if not present:
            return " ", PLAIN
        level = sum(present) / len(present) / 255.0
        return shade_char(level, self.diverging), PLAIN  # the CLI's ramp (ascii_ramp)


def _mode_color(rgb: tuple[int, int, int], mode: str) -> Color:
    """``rgb`` as a colour of ``mode`` (the nearest xterm colour in 256-colour mode)."""
    if mode == "256":
        return Color.from_ansi(int(rgb_to_xterm256(np.array(rgb))))
    return Color.from_rgb(*rgb)


@lru_cache(maxsize=32)
def _palette_cached(
    mode: str, cmap_key: str, levels: int, base: Style | None, rgb: bool
) -> Palette:
    lut = None if rgb else COLORMAPS.get(cmap_key) if cmap_key in COLORMAPS else _custom[cmap_key]
    return Palette(mode, lut, levels, base, rgb=rgb)


_custom: dict[str, np.ndarray] = {}


def get_palette(
    mode: str,
    cmap: str | np.ndarray = "sequential",
    levels: int | None = None,
    base: Style | None = None,
    rgb: bool = False,
) -> Palette:
    """A shared palette for (mode, colour map, levels, base style); built once, then reused."""
    if levels is None:
        levels = DEFAULT_LEVELS[mode]
    levels = max(2, min(256, int(levels)))
    if rgb:
        key = "rgb"
    elif isinstance(cmap, str):
        resolve_lut(cmap)  # validates the name
        key = cmap
    else:
        lut = resolve_lut(cmap)
        key = "lut:" + lut.tobytes().hex()
        _custom.setdefault(key, lut)
    return _palette_cached(mode, key, levels, base if mode != "ascii" else None, rgb)
