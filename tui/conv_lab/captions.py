"""The Conv lab's one-line texts fitted to the width: status, key help and the colour bar with
its caption. Each drops its least important parts first and cuts only at word boundaries
(``tui.widgets.fit_text``); the widget puts the full text in a tooltip (no Textual here)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.color import Color
from rich.style import Style
from rich.text import Text

from engine.convlab import display
from engine.render.colormap import DIVERGING, SEQUENTIAL
from tui.conv_lab.draw import ascii_shade, lut_rgb
from tui.conv_lab.state import ConvLabState, status_parts
from tui.widgets.fit_text import Part, fit_parts, shorten_words

KEY_PARTS: list[Part] = [
    Part("i/I input", -1),
    Part("n/N digit", -2),
    Part("f/F filter", -1),
    Part("e custom", -1),
    Part("p pad", -1),
    Part("+/- stride", -1),
    Part("o pool", -2),
    Part("z size", -3),
    Part("v values", -1),
    Part("w step", -1),
    CELL_KEYS := Part("arrows [ ] cell", -2),  # (outside the numbers view's scrolling)
    Part("a play", -2),
]
SCROLL_KEYS: Part = Part("arrows PgUp/PgDn scroll", 0)  # the numbers view outside step mode
KEY_SEP = "  "
BAR_CELLS = 40  # the gradient's length at most
SCALE_PARTS: list[Part] = [
    Part("one colour scale", -1),
    Part("for input, filters and outputs", -3),
]


def status_line(state: ConvLabState, width: int, playing: bool = False) -> str:
    """The settings on one line of ``width`` cells: full labels when they fit, else compact
    ones with the defaults dropped first."""
    full = " | ".join(part.text for part in status_parts(state, playing, short=False))
    if cell_len(full) <= width:
        return full
    return fit_parts(status_parts(state, playing, short=True), width, " | ")


def key_parts(state: ConvLabState) -> list[Part]:
    """The key help's parts: the arrows scroll in the numbers view outside step mode, and
    move the window otherwise (said once, never both)."""
    if state.show_values and not state.step_mode:
        return [SCROLL_KEYS, *(part for part in KEY_PARTS if part is not CELL_KEYS)]
    return list(KEY_PARTS)


def key_line(state: ConvLabState, width: int) -> str:
    return fit_parts(key_parts(state), width, KEY_SEP)


def scale_caption(diverging: bool) -> list[Part]:
    kind = "(diverging, 0 in the middle)" if diverging else "(sequential)"
    return [*SCALE_PARTS, Part(kind, -2)]


def full_caption(diverging: bool, hint: str = "") -> str:
    """The colour bar's caption unshortened (the bar's tooltip)."""
    text = " ".join(part.text for part in scale_caption(diverging))
    return f"{text} · {hint}" if hint else text


def colour_bar(
    lo: float, hi: float, diverging: bool, mode: str, width: int, hint: str = ""
) -> Text:
    """``lo <gradient> hi  caption`` in ``width`` cells: the gradient shrinks first (to 8
    cells), then the caption loses its least important parts; ``hint`` (say, how to scroll)
    is kept longest."""
    lut = DIVERGING if diverging else SEQUENTIAL
    lo_text, hi_text = display.format_number(lo, 3), display.format_number(hi, 3)
    parts = scale_caption(diverging)
    caption_cells = cell_len(" ".join(part.text for part in parts))
    room = width - len(lo_text) - len(hi_text) - 2 - 3  # the ends, their spaces, the gap
    cells = max(8, min(BAR_CELLS, room - caption_cells - (cell_len(hint) + 3 if hint else 0)))
    bar = Text(f"{lo_text} ")
    for n in range(cells):
        value = n / (cells - 1)
        if mode == "ascii":
            bar.append(ascii_shade(value))
        else:
            bar.append(" ", Style(bgcolor=Color.from_rgb(*lut_rgb(lut, value))))
    bar.append(f" {hi_text}")
    hint = shorten_words(hint, width - bar.cell_len - 3)
    room = width - bar.cell_len - 3 - (cell_len(hint) + 3 if hint else 0)
    caption = fit_parts(parts, room, " ") if room >= len(parts[0].text) else ""
    if caption:
        bar.append(f"   {caption}", Style(dim=True))
    if hint:
        bar.append(f"   {hint}", Style(bold=True))
    return bar
