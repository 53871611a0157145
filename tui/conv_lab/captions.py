"""The Conv lab's one-line texts fitted to the width: status, key help and the colour bars'
caption. Each drops its least important parts first and cuts only at word boundaries
(``tui.widgets.fit_text``); the widget puts the full text in a tooltip (no Textual here)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

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
SCALE_PARTS: list[Part] = [
    Part("input grey over its own range ·", -1),
    Part("kernels and outputs diverging, 0 in the middle", -1),
    Part("· one colour scale per kind of panel", -3),
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


def scale_caption() -> list[Part]:
    """The caption's parts: what the colour bars above it mean."""
    return list(SCALE_PARTS)


def full_caption(hint: str = "") -> str:
    """The caption unshortened (its tooltip)."""
    text = " ".join(part.text for part in scale_caption())
    return f"{text} · {hint}" if hint else text


def caption_line(width: int, hint: str = "") -> Text:
    """The colour bars' caption in ``width`` cells, least important parts dropped first;
    ``hint`` (say, how to scroll) is kept longest, in bold."""
    hint = shorten_words(hint, width)
    room = width - (cell_len(hint) + 3 if hint else 0)
    parts = scale_caption()
    caption = fit_parts(parts, room, " ") if room >= len(parts[0].text) else ""
    line = Text(caption, Style(dim=True))
    if hint:
        line.append(f"{'   ' if caption else ''}{hint}", Style(bold=True))
    return line
