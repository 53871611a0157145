"""Half-block heatmap lines (numpy + rich, no Textual): codes, palettes, merged Segment runs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from engine.render.colormap import ASCII_RAMP, COLORMAPS, rgb_to_xterm256

EMPTY = -1
UPPER_HALF = "▀"
LOWER_HALF = "▄"
MODES = ("truecolor", "256", "ascii")
HIGHLIGHT_RGB = (255, 0, 255)
DIVERGING_RAMP = "#%=-, .:+*@"  # negative ... centre (blank) ... positive
MAX_CELL_STYLES = 8192  # bound of each palette's (top, bottom) -> (char, Style) cache
MAX_SEGMENTS = 32768  # bound of each palette's run -> Segment cache
RUN_BITS = 16  # run keys pack (pair << RUN_BITS) | run length; maps are < 65536 wide
RUN_MASK = (1 << RUN_BITS) - 1
DEFAULT_LEVELS = {"truecolor": 64, "256": 256, "ascii": 256}

ASCII_HIGHLIGHT = Style(reverse=True)  # an attribute, not a colour

Cell = tuple[str, Style | None]


def check_mode(mode: str) -> str:
    """``mode`` if it is a colour mode the widgets can draw; ValueError otherwise."""
    if mode not in MODES:
        raise ValueError(f"colour mode must be one of {MODES}, got {mode!r}")
    return mode


def resolve_lut(cmap: str | np.ndarray) -> np.ndarray:
    """A (256, 3) uint8 lookup table from a colour-map name or an array."""
    if isinstance(cmap, str):
        try:
            return COLORMAPS[cmap]
        except KeyError:
            raise ValueError(
                f"unknown colour map {cmap!r}; use one of {sorted(COLORMAPS)}"
            ) from None
    lut = np.asarray(cmap, dtype=np.uint8)
    if lut.shape != (256, 3):
        raise ValueError(f"a colour map LUT must be (256, 3) uint8, got {lut.shape}")
    return lut


def codes_from_values(maps: np.ndarray) -> np.ndarray:
    """int16 codes 0..255 (EMPTY for NaN) from floats in [0, 1] (clipped) or uint8 indices."""
    array = np.asarray(maps)
    if array.dtype == np.uint8:
        return array.astype(np.int16)
    values = array.astype(np.float32, copy=False)
    nan = np.isnan(values)
    codes = np.clip(np.floor(np.nan_to_num(values, nan=0.0) * 255.0 + 0.5), 0, 255)
    codes = codes.astype(np.int16)
    codes[nan] = EMPTY
    return codes


def lut_colors(lut: np.ndarray, mode: str, levels: int) -> tuple[list[Color], np.ndarray]:
    """The distinct colours of ``lut`` at ``levels`` steps and the colour key of each code."""
    steps = np.minimum(np.arange(256) * levels // 256, levels - 1)
    sampled = lut[np.rint(np.arange(levels) * 255 / max(1, levels - 1)).astype(int)]
    if mode == "truecolor":
        return [Color.from_rgb(*map(int, rgb)) for rgb in sampled], steps
    distinct, inverse = np.unique(rgb_to_xterm256(sampled).astype(np.int64), return_inverse=True)
    return [Color.from_ansi(int(code)) for code in distinct], inverse.reshape(-1)[steps]


def codes_from_rgb(images: np.ndarray) -> np.ndarray:
    """int32 ``0xRRGGBB`` codes from uint8 RGB ``(..., 3)``."""
    rgb = np.asarray(images, dtype=np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


class Palette:
    """Codes -> colour keys -> cached ``(char, Style)`` per (top, bottom) key pair.

    A map is stored as *codes*: int16 colour-map indices 0..255 (``EMPTY`` = -1 for no pixel:
    NaN, padding, the missing bottom pixel of an odd row), or int32 ``0xRRGGBB`` for RGB images.
    Keys ``0 .. n_colors-1`` are colours (values quantised to ``levels`` steps; in 256-colour
    mode the distinct xterm colours of the map), ``empty`` shows the widget background and
    ``highlight`` is the outline colour. A cell is drawn as ``'▀'`` with the top colour as
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
        self.empty, self.highlight, self.n_keys = (
            self.n_colors,
            self.n_colors + 1,
            self.n_colors + 2,
        )
        if not rgb:  # index -1 (EMPTY) lands on the appended empty key
            self._code_keys = np.append(per_code, self.empty).astype(np.int64)
        self._cells: dict[int, Cell] = {}
        self._segments: dict[int, Segment] = {}
        self._highlight_color = Color.from_rgb(*HIGHLIGHT_RGB)
        if mode == "256":
            self._highlight_color = Color.from_ansi(int(rgb_to_xterm256(np.array(HIGHLIGHT_RGB))))

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
        fg, bg = self.color(top), self.color(bottom)
        base = self.base or Style()
        if top == bottom:
            return " ", (base + Style(bgcolor=fg) if fg is not None else self.base)
        if fg is None:
            return LOWER_HALF, base + Style(color=bg)
        if bg is None:
            return UPPER_HALF, base + Style(color=fg)
        return UPPER_HALF, base + Style(color=fg, bgcolor=bg)

    def _ascii_cell(self, top: int, bottom: int) -> Cell:
        # ascii keys are grey levels 0..255; the pair's character shades their mean
        if self.highlight in (top, bottom):
            return " ", ASCII_HIGHLIGHT
        present = [k for k in (top, bottom) if k != self.empty]
        if not present:
            return " ", None
        level = sum(present) / len(present) / 255.0
        ramp = DIVERGING_RAMP if self.lut is not None and _is_diverging(self.lut) else ASCII_RAMP
        return ramp[min(int(level * len(ramp)), len(ramp) - 1)], None


def _is_diverging(lut: np.ndarray) -> bool:
    return lut is COLORMAPS["diverging"]


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


def map_rows(keys: np.ndarray, palette: Palette) -> list[list[Segment]]:
    """Segments for each terminal row of one map of keys ``(H, W)`` (``ceil(H/2)`` rows).

    Runs of equal (top, bottom) pairs are merged into one segment. Run boundaries are found
    for the whole map at once with numpy; segments come from the palette's bounded cache.
    """
    height, width = keys.shape
    if height % 2:
        keys = np.concatenate([keys, np.full((1, width), palette.empty, dtype=keys.dtype)])
    n_rows = keys.shape[0] // 2
    if width == 0 or n_rows == 0:
        return [[] for _ in range(n_rows)]
    if palette.mode == "ascii":
        pairs = _ascii_pairs(keys, palette)
    else:
        pairs = keys[0::2] * palette.n_keys + keys[1::2]
    flat = pairs.reshape(-1)
    starts_mask = np.empty(flat.size, dtype=bool)
    starts_mask[0] = True
    np.not_equal(flat[1:], flat[:-1], out=starts_mask[1:])
    starts_mask[::width] = True
    starts = np.flatnonzero(starts_mask)
    lengths = np.diff(starts, append=flat.size)
    run_keys = (flat[starts] << RUN_BITS) | lengths
    segments = palette.segments(run_keys.tolist())
    bounds = np.searchsorted(starts, np.arange(n_rows + 1) * width).tolist()
    return [segments[bounds[i] : bounds[i + 1]] for i in range(n_rows)]


def _ascii_pairs(keys: np.ndarray, palette: Palette) -> np.ndarray:
    """ASCII pairs quantised to the shading ramp so equal characters merge into runs."""
    top, bottom = keys[0::2], keys[1::2]
    special = (top == palette.highlight) | (bottom == palette.highlight)
    empty_top, empty_bottom = top == palette.empty, bottom == palette.empty
    both = ~empty_top & ~empty_bottom
    level = np.where(both, (top + bottom) // 2, np.where(empty_top, bottom, top))
    # canonical pair: (level, level) for shaded cells; the ramp maps equal levels identically
    ramp_len = len(DIVERGING_RAMP) if _is_diverging(palette.lut) else len(ASCII_RAMP)
    level = np.minimum(level * ramp_len // 256, ramp_len - 1) * 255 // max(1, ramp_len - 1)
    n = palette.n_keys
    pairs = level * n + level
    pairs = np.where(empty_top & empty_bottom, palette.empty * n + palette.empty, pairs)
    return np.where(special, palette.highlight * n + palette.highlight, pairs)


def outline(codes_shape: tuple[int, int], box: Sequence[int]) -> np.ndarray:
    """Boolean mask of the rectangle just outside ``box`` = (y0, x0, y1, x1) (end-exclusive),
    clipped to the map; where the outside falls off the map the box's own border is used."""
    height, width = codes_shape
    y0, x0, y1, x1 = (int(v) for v in box)
    top, left = max(0, y0 - 1), max(0, x0 - 1)
    bottom, right = min(height - 1, y1), min(width - 1, x1)
    mask = np.zeros((height, width), dtype=bool)
    if top > bottom or left > right:
        return mask
    mask[top, left : right + 1] = True
    mask[bottom, left : right + 1] = True
    mask[top : bottom + 1, left] = True
    mask[top : bottom + 1, right] = True
    return mask


def resample_index(size: int, new_size: int) -> np.ndarray:
    """Nearest-neighbour source indices to resize an axis of ``size`` to ``new_size``."""
    new_size = max(1, int(new_size))
    return np.minimum((np.arange(new_size) * size) // new_size, size - 1)
