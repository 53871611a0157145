"""Numpy-only terminal heatmaps: half-block ANSI art in true colour or xterm-256, or plain ASCII.

A text cell shows two pixel rows: the upper half block ``▀`` takes the top pixel as its
foreground and the bottom pixel as its background, so a 28x28 map is 28 columns by 14 rows.
Runs of cells with the same colour pair share one escape sequence, and every line ends with a
reset. ASCII mode prints one shading character per pixel column, averaging pixel rows in pairs.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from engine.render.colormap import (
    NONFINITE_BG,
    NONFINITE_CHAR,
    NONFINITE_FG,
    apply,
    ascii_chars,
    ascii_ramp,
    rgb_to_xterm256,
)

MODES = ("truecolor", "256", "ascii")
UPPER_HALF = "\u2580"  # ▀
RESET = "\x1b[0m"
ANSI_PATTERN = re.compile(r"\x1b\[[0-9;]*m")


def color_mode(force_ascii: bool = False) -> str:
    """'ascii' when forced or NO_COLOR is set and not empty (no-color.org: an empty NO_COLOR
    means nothing), 'truecolor' when COLORTERM says so, else '256'."""
    if force_ascii or os.environ.get("NO_COLOR"):
        return "ascii"
    if os.environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    return "256"


def output_color_mode(force_ascii: bool = False, stream: TextIO | None = None) -> str:
    """``color_mode`` for text a CLI prints: 'ascii' when ``stream`` (default sys.stdout) is
    not a terminal, so ``python -m engine kernels > file`` writes no escape codes, unless
    FORCE_COLOR is set (e.g. for ``| less -R``; NO_COLOR still wins)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    piped = not callable(isatty) or not isatty()
    if piped and not os.environ.get("FORCE_COLOR"):
        return "ascii"
    return color_mode(force_ascii)


def strip_ansi(text: str) -> str:
    """``text`` without SGR escape sequences (what the terminal shows)."""
    return ANSI_PATTERN.sub("", text)


def visible_width(text: str) -> int:
    """Number of terminal columns ``text`` takes (every character here is one column wide)."""
    return len(strip_ansi(text))


def terminal_width(default: int = 100) -> int:
    """Columns of the terminal, or ``default`` when there is none."""
    return shutil.get_terminal_size((default, 24)).columns


def _as_2d(values01: np.ndarray) -> np.ndarray:
    array = np.asarray(values01, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"a heatmap needs a 2-D map, got shape {array.shape}")
    return array


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")


def _colour_codes(values: np.ndarray, cmap: np.ndarray, mode: str) -> list[list[str]]:
    """Per pixel, the SGR parameter text naming its colour without the 38/48 prefix."""
    rgb = apply(values, cmap)
    if mode == "truecolor":
        return [[f"2;{r};{g};{b}" for r, g, b in row] for row in rgb.tolist()]
    codes = rgb_to_xterm256(rgb)
    return [[f"5;{c}" for c in row] for row in codes.tolist()]


def _nonfinite_codes(mode: str) -> tuple[str, str]:
    """The SGR colour parameters (fg, bg) of a not-a-number cell."""
    if mode == "truecolor":
        return "2;{};{};{}".format(*NONFINITE_FG), "2;{};{};{}".format(*NONFINITE_BG)
    fg, bg = rgb_to_xterm256(np.array([NONFINITE_FG, NONFINITE_BG])).tolist()
    return f"5;{fg}", f"5;{bg}"


def _half_block_line(
    top: list[str], bottom: list[str] | None, marks: list[bool] | None = None, mode: str = "256"
) -> str:
    """One text row: '▀' cells, an SGR only where the fg or bg colour changes, reset at the end.

    A cell whose ``marks`` entry is True shows the not-a-number character instead."""
    parts: list[str] = []
    fg = bg = None
    for j, top_code in enumerate(top):
        bottom_code = bottom[j] if bottom is not None else None
        char = UPPER_HALF
        if marks is not None and marks[j]:
            top_code, bottom_code = _nonfinite_codes(mode)
            char = NONFINITE_CHAR
        params = []
        if top_code != fg:
            params.append(f"38;{top_code}")
            fg = top_code
        if bottom_code is not None and bottom_code != bg:
            params.append(f"48;{bottom_code}")
            bg = bottom_code
        elif bottom_code is None and bg is not None:  # after a mark on a map's odd last row
            params.append("49")
            bg = None
        if params:
            parts.append(f"\x1b[{';'.join(params)}m")
        parts.append(char)
    parts.append(RESET)
    return "".join(parts)


def heatmap_lines(values01: np.ndarray, cmap: np.ndarray, mode: str) -> list[str]:
    """Text lines drawing a map of values in [0, 1] (H x W) through a (256, 3) colour map.

    Colour modes give ceil(H / 2) lines of W cells; on an odd height the last line's lower half
    keeps the terminal's default background. ASCII mode gives ceil(H / 2) lines of W shading
    characters, each the mean of two pixel rows. A cell with a NaN pixel (a value that was not
    finite, see ``scale_maps``) shows ``NONFINITE_CHAR`` (white on magenta in colour).
    """
    _check_mode(mode)
    values = _as_2d(values01)
    height = values.shape[0]
    padded = np.vstack([values, values[-1:]]) if height % 2 else values
    marked = np.isnan(padded).reshape(-1, 2, padded.shape[1]).any(axis=1)
    if mode == "ascii":
        with np.errstate(invalid="ignore"):
            pairs = padded.reshape(-1, 2, padded.shape[1]).mean(axis=1)
        chars = np.where(marked, NONFINITE_CHAR, ascii_chars(pairs, ascii_ramp(cmap)))
        return ["".join(row) for row in chars.tolist()]
    codes = _colour_codes(values, cmap, mode)
    lines = []
    for i in range(0, height, 2):
        bottom = codes[i + 1] if i + 1 < height else None
        marks = marked[i // 2].tolist() if marked[i // 2].any() else None
        lines.append(_half_block_line(codes[i], bottom, marks, mode))
    return lines


def _block(lines: list[str], title: str, width: int) -> list[str]:
    """A titled grid cell whose every line is exactly ``width`` columns wide."""
    head = title if len(title) <= width else title[: max(0, width - 1)] + "\u2026"
    out = [head.ljust(width)]
    for line in lines:
        out.append(line + " " * max(0, width - visible_width(line)))
    return out


def render_grid(
    maps: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    cmap: np.ndarray | None = None,
    mode: str = "256",
    width: int | None = None,
    gap: int = 2,
    title_width: int = 8,
) -> list[str]:
    """Maps (each H x W in [0, 1]) side by side with a title above each, wrapped to ``width``.

    A cell is as wide as its map, widened up to ``title_width`` columns when its title needs
    them (longer titles are cut with an ellipsis); rows of cells are separated by a blank line.
    A map wider than ``width`` gets a row of its own.
    """
    from engine.render.colormap import SEQUENTIAL

    _check_mode(mode)
    lut = SEQUENTIAL if cmap is None else cmap
    total = terminal_width() if width is None else max(1, int(width))
    names = list(titles) if titles is not None else [str(i) for i in range(len(maps))]
    if len(names) != len(maps):
        raise ValueError(f"{len(maps)} maps but {len(names)} titles")
    blocks = []
    for values, name in zip(maps, names, strict=True):
        lines = heatmap_lines(values, lut, mode)
        map_width = _as_2d(values).shape[1]
        cell_width = max(map_width, min(len(name), title_width))
        blocks.append((cell_width, _block(lines, name, cell_width)))
    rows: list[list[tuple[int, list[str]]]] = []
    used = 0
    for block in blocks:
        needed = block[0] if not rows or not rows[-1] else used + gap + block[0]
        if rows and rows[-1] and needed <= total:
            rows[-1].append(block)
            used = needed
        else:
            rows.append([block])
            used = block[0]
    out: list[str] = []
    for index, row in enumerate(rows):
        if index:
            out.append("")
        height = max(len(lines) for _, lines in row)
        for i in range(height):
            cells = [lines[i] if i < len(lines) else " " * w for w, lines in row]
            out.append((" " * gap).join(cells).rstrip(" "))
    return out


def format_value(value: float) -> str:
    """A compact number for legends and titles: 4 significant digits, no trailing noise."""
    if value == 0:
        return "0"
    return f"{value:.4g}"


def legend(lo: float, hi: float, cmap: np.ndarray, mode: str, width: int = 40) -> list[str]:
    """A colour bar ``width`` columns wide and a line under it with lo, 0 (if inside) and hi."""
    _check_mode(mode)
    width = max(2, int(width))
    ramp = np.linspace(0.0, 1.0, width)
    if mode == "ascii":
        bar = "".join(ascii_chars(ramp, ascii_ramp(cmap)).tolist())
    else:
        bar = heatmap_lines(np.vstack([ramp, ramp]), cmap, mode)[0]
    labels = [" "] * width
    left, right = format_value(lo), format_value(hi)

    def put(text: str, column: int) -> None:
        column = min(max(0, column), width - len(text))
        labels[column : column + len(text)] = list(text)

    put(left, 0)
    if lo < 0 < hi:
        zero_column = round((0 - lo) / (hi - lo) * (width - 1))
        if len(left) + 1 < zero_column < width - len(right) - 2:
            put("0", zero_column)
    put(right, width - len(right))
    label_line = "".join(labels) if len(left) + len(right) < width else f"{left} .. {right}"
    return [bar, label_line.rstrip()]
