"""Drawing for the Conv lab tab: maps as rich Text panels, panel packing and the colour bar.

Pure functions of the lab's state (input, filters, result, step-mode cell); no Textual state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Span, Text

from engine.convlab.lab import CellExplanation, LabFilter, LabInput, LabResult
from engine.convlab import lab as convlab
from engine.render.colormap import ASCII_RAMP, DIVERGING, SEQUENTIAL

HIGHLIGHT = (255, 0, 255)
UPPER_HALF = "\u2580"
GAP = "  "


@dataclass
class Panel:
    """A titled block of text lines, all ``width`` cells wide."""

    title: str
    lines: list[Text]
    width: int


def scale_arrays(
    lab_input: LabInput | None, filters: Sequence[LabFilter], result: LabResult | None
) -> list[np.ndarray]:
    """Every array drawn, so they can share one colour scale."""
    arrays: list[np.ndarray] = []
    if lab_input is not None:
        arrays.append(lab_input.values)
    arrays += [f.weights for f in filters]
    if result is not None:
        arrays.append(result.output)
        if result.pooled is not None:
            arrays.append(result.pooled)
    return arrays


def lab_panels(
    lab_input: LabInput | None,
    filters: Sequence[LabFilter],
    result: LabResult | None,
    exp: CellExplanation | None,
    mode: str,
    values_view: bool,
) -> list[Panel]:
    """Input (padded in step mode), filters, outputs and pooled outputs, one panel per map."""
    lo, hi, diverging = convlab.shared_range(scale_arrays(lab_input, filters, result))
    lut = DIVERGING if diverging else SEQUENTIAL
    # every map shares one colour scale, mode and view; only title, data, size and box differ
    draw = partial(draw_map, lo=lo, hi=hi, lut=lut, mode=mode, numbers=values_view)
    panels: list[Panel] = []
    base_factor = 1
    if lab_input is not None:
        base_factor, panels = _input_panels(lab_input, result, exp, values_view, draw)
    for index, lab_filter in enumerate(filters):
        name = lab_filter.name if len(lab_filter.name) <= 14 else "custom"
        panels.append(draw(f"{index}: {name}", lab_filter.weights, factor=max(2, base_factor)))
    if result is not None:
        panels += _result_panels(result, exp, draw, base_factor)
    return panels


def _input_panels(
    lab_input: LabInput,
    result: LabResult | None,
    exp: CellExplanation | None,
    values_view: bool,
    draw: Callable[..., Panel],
) -> tuple[int, list[Panel]]:
    """The input's channels (padded and with the window outlined in step mode) and the
    enlargement factor the outputs reuse."""
    vol = lab_input.values
    ph, pw = result.padding if (result and exp) else (0, 0)
    factor = convlab.map_factor(max(vol.shape[1:]) + 2 * max(ph, pw))
    panels: list[Panel] = []
    for c in range(vol.shape[0]):
        data = np.pad(vol[c], ((ph, ph), (pw, pw)))
        box = None
        if exp is not None:
            box = (exp.rows[0] + ph, exp.cols[0] + pw, exp.rows[1] + ph, exp.cols[1] + pw)
        shown = None
        if values_view and lab_input.pixels is not None:
            shown = np.pad(lab_input.pixels.astype(np.float64), ((ph, ph), (pw, pw)))
        title = "input" if vol.shape[0] == 1 else f"input ch{c}"
        if shown is not None:
            title = "input pixels (/255)"
        if ph or pw:
            title = f"{title} + padding {ph}"
        panels.append(draw(title, data, factor=factor, box=box, shown=shown))
    return factor, panels


def _result_panels(
    result: LabResult, exp: CellExplanation | None, draw: Callable[..., Panel], factor: int
) -> list[Panel]:
    """The output maps (the step-mode cell outlined), then the pooled maps."""
    panels: list[Panel] = []
    for k in range(result.output.shape[0]):
        box = None
        if exp is not None and exp.out_channel == k:
            box = (exp.row, exp.col, exp.row + 1, exp.col + 1)
        panels.append(draw(f"output {k}", result.output[k], factor=factor, box=box))
    if result.pooled is not None:
        for k in range(result.pooled.shape[0]):
            panels.append(draw(f"{result.pool} pool {k}", result.pooled[k], factor=factor))
    return panels


def _rgb(lut: np.ndarray, value01: float) -> tuple[int, int, int]:
    index = int(np.clip(np.floor(value01 * 255.0 + 0.5), 0, 255))
    r, g, b = lut[index]
    return int(r), int(g), int(b)


def _ascii(value01: float) -> str:
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
) -> Panel:
    """One map as a Panel: half-block heatmap (upscaled by ``factor``) or numbers in cells.

    ``box`` (top, left, bottom, right), half-open in map cells, is highlighted; ``shown``
    replaces the numbers printed in number view (a digit's 0-255 pixels).
    """
    values = np.asarray(values, dtype=np.float64)
    unit = convlab.to_unit(values, lo, hi)
    h, w = values.shape
    inside = np.zeros((h, w), dtype=bool)
    if box is not None:
        top, left, bottom, right = box
        inside[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)] = True
    lines: list[Text] = []
    if numbers:
        texts = [
            [convlab.format_number(v) for v in row]
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
        big = convlab.upscale(unit, factor)
        mark = convlab.upscale(inside, factor)
        bh, bw = big.shape
        if mode == "ascii":
            padded = np.vstack([big, big[-1:]]) if bh % 2 else big
            means = (padded[0::2] + padded[1::2]) / 2
            mark_pad = np.vstack([mark, mark[-1:]]) if bh % 2 else mark
            marked = (mark_pad[0::2] | mark_pad[1::2]).tolist()
            for r, row in enumerate(means.tolist()):
                pieces = [_ascii(v) for v in row]
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
    width = max(width, min(len(label), 24))
    return Panel(label[:width], lines, width)


def pack_panels(panels: Sequence[Panel], width: int) -> Text:
    """Panels left to right, wrapping to a new row of panels when ``width`` is reached."""
    rows: list[list[Panel]] = []
    used = 0
    for panel in panels:
        if rows and used + len(GAP) + panel.width <= width:
            rows[-1].append(panel)
            used += len(GAP) + panel.width
        else:
            rows.append([panel])
            used = panel.width
    out = Text()
    for index, row in enumerate(rows):
        if index:
            out.append("\n\n")
        title_line = Text()
        for n, panel in enumerate(row):
            if n:
                title_line.append(GAP)
            title_line.append(panel.title.ljust(panel.width), Style(bold=True))
        out.append_text(title_line)
        height = max(len(p.lines) for p in row)
        for r in range(height):
            out.append("\n")
            for n, panel in enumerate(row):
                if n:
                    out.append(GAP)
                if r < len(panel.lines):
                    line = panel.lines[r]
                    out.append_text(line)
                    out.append(" " * max(0, panel.width - line.cell_len))
                else:
                    out.append(" " * panel.width)
    return out


def colour_bar(lo: float, hi: float, diverging: bool, mode: str, width: int = 40) -> Text:
    """``lo <gradient> hi`` with the scale's kind: the one colour bar of the figure."""
    width = max(8, width)
    lut = DIVERGING if diverging else SEQUENTIAL
    bar = Text(f"{convlab.format_number(lo, 3)} ")
    for n in range(width):
        value = n / (width - 1)
        if mode == "ascii":
            bar.append(_ascii(value))
        else:
            bar.append(" ", Style(bgcolor=Color.from_rgb(*_rgb(lut, value))))
    bar.append(f" {convlab.format_number(hi, 3)}")
    kind = "diverging, 0 in the middle" if diverging else "sequential"
    bar.append(f"   one colour scale for input, filters and outputs ({kind})", Style(dim=True))
    return bar
