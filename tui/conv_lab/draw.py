"""Drawing of one Conv lab map as a rich Text panel: half-block heatmap or numbers in cells.

Pure functions of the map's values and the shared colour scale; no Textual state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Span, Text

from engine.convlab import display
from engine.render.colormap import ASCII_RAMP

HIGHLIGHT = (255, 0, 255)
UPPER_HALF = "\u2580"


@dataclass
class Panel:
    """A titled block of text lines, all ``width`` cells wide; a narrow panel's title is
    wrapped at word boundaries onto several lines (``title_lines``)."""

    title: str
    lines: list[Text]
    width: int

    @property
    def title_lines(self) -> list[str]:
        return self.title.split("\n")


def title_width(label: str, map_width: int, narrow: bool, cap: int = 24) -> int:
    """A panel's width for its map and title ``label``: the title on one line (up to ``cap``
    cells), or, ``narrow``, only as wide as its longest word."""
    if narrow:
        return max(map_width, *(len(word) for word in label.split()))
    return max(map_width, min(len(label), cap))


def wrap_words(label: str, width: int) -> list[str]:
    """``label`` on lines of at most ``width`` cells, broken only between words (a word
    longer than the width is cut)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word[:width])
    return lines or [""]


def lut_rgb(lut: np.ndarray, value01: float) -> tuple[int, int, int]:
    """The colour of ``value01`` (0..1) in the lookup table."""
    index = int(np.clip(np.floor(value01 * 255.0 + 0.5), 0, 255))
    r, g, b = lut[index]
    return int(r), int(g), int(b)


def ascii_shade(value01: float) -> str:
    """The shading character of ``value01`` (0..1)."""
    return ASCII_RAMP[min(int(value01 * len(ASCII_RAMP)), len(ASCII_RAMP) - 1)]


def _packed_colours(unit: np.ndarray, lut: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """0xRRGGBB per pixel through the colour map; marked pixels blended toward HIGHLIGHT."""
    index = np.clip(np.floor(unit * 255.0 + 0.5), 0, 255).astype(np.intp)
    rgb = lut[index].astype(np.float64)
    blended = 0.4 * rgb + 0.6 * np.asarray(HIGHLIGHT, dtype=np.float64)
    rgb = np.where(marked[..., None], blended, rgb).astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _colour(packed: int) -> Color:
    return Color.from_rgb((packed >> 16) & 255, (packed >> 8) & 255, packed & 255)


_STYLES: dict[tuple, Style] = {}


def _style(key: tuple) -> Style:
    """Cached styles: ("half", top, bottom|-1), ("cell", rgb), ("mark",), ("reverse",)."""
    style = _STYLES.get(key)
    if style is None:
        if len(_STYLES) > 20_000:
            _STYLES.clear()
        kind = key[0]
        if kind == "half":
            style = Style(color=_colour(key[1]), bgcolor=_colour(key[2]) if key[2] >= 0 else None)
        elif kind == "cell":
            r, g, b = (key[1] >> 16) & 255, (key[1] >> 8) & 255, key[1] & 255
            light = 0.299 * r + 0.587 * g + 0.114 * b > 140
            style = Style(color="black" if light else "white", bgcolor=_colour(key[1]))
        elif kind == "mark":
            style = Style(bold=True, color="white", bgcolor=Color.from_rgb(*HIGHLIGHT))
        else:
            style = Style(reverse=True, bold=True)
        _STYLES[key] = style
    return style


def _line(pieces: list[str], keys: list[tuple | None]) -> Text:
    """One Text from pieces with style keys, equal neighbouring keys merged into one span."""
    plain = "".join(pieces)
    spans: list[Span] = []
    position = 0
    run_start, run_key = 0, None
    for piece, key in zip(pieces, keys, strict=True):
        if key != run_key:
            if run_key is not None and position > run_start:
                spans.append(Span(run_start, position, _style(run_key)))
            run_start, run_key = position, key
        position += len(piece)
    if run_key is not None and position > run_start:
        spans.append(Span(run_start, position, _style(run_key)))
    return Text(plain, spans=spans)


def draw_map(
    title: str,
    values: np.ndarray,
    lo: float,
    hi: float,
    lut: np.ndarray,
    mode: str,
    numbers: bool,
    factor: int = 1,
    box: tuple[int, int, int, int] | None = None,
    shown: np.ndarray | None = None,
    narrow: bool = False,
) -> Panel:
    """One map as a Panel: half-block heatmap (upscaled by ``factor``) or numbers in cells.

    ``box`` (top, left, bottom, right), half-open in map cells, is highlighted; ``shown``
    replaces the numbers printed in number view (a digit's 0-255 pixels); ``narrow`` wraps
    the title rather than widening the panel for it.
    """
    values = np.asarray(values, dtype=np.float64)
    unit = display.to_unit(values, lo, hi)
    h, w = values.shape
    inside = np.zeros((h, w), dtype=bool)
    if box is not None:
        top, left, bottom, right = box
        inside[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)] = True
    lines: list[Text] = []
    if numbers:
        texts = [
            [display.format_number(v) for v in row]
            for row in (shown if shown is not None else values)
        ]
        cell = max(len(t) for row in texts for t in row)
        packed = _packed_colours(unit, lut, np.zeros_like(inside)).tolist()
        marks = inside.tolist()
        for r in range(h):
            pieces = [texts[r][c].rjust(cell + (1 if c else 0)) for c in range(w)]
            if mode == "ascii":
                keys = [("reverse",) if marks[r][c] else None for c in range(w)]
            else:
                keys = [("mark",) if marks[r][c] else ("cell", packed[r][c]) for c in range(w)]
            lines.append(_line(pieces, keys))
        width = w * cell + (w - 1)
    else:
        big = display.upscale(unit, factor)
        mark = display.upscale(inside, factor)
        bh, bw = big.shape
        if mode == "ascii":
            padded = np.vstack([big, big[-1:]]) if bh % 2 else big
            means = (padded[0::2] + padded[1::2]) / 2
            mark_pad = np.vstack([mark, mark[-1:]]) if bh % 2 else mark
            marked = (mark_pad[0::2] | mark_pad[1::2]).tolist()
            for r, row in enumerate(means.tolist()):
                pieces = [ascii_shade(v) for v in row]
                lines.append(_line(pieces, [("reverse",) if m else None for m in marked[r]]))
        else:
            packed = _packed_colours(big, lut, mark)
            for r in range(0, bh, 2):
                tops = packed[r].tolist()
                bottoms = packed[r + 1].tolist() if r + 1 < bh else [-1] * bw
                keys = [("half", t, b) for t, b in zip(tops, bottoms, strict=True)]
                lines.append(_line([UPPER_HALF] * bw, keys))
        width = bw
    label = f"{title} {h}x{w}"
    width = title_width(label, width, narrow)
    return Panel("\n".join(wrap_words(label, width)), lines, width)
