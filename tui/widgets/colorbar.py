"""ColorBar: one line with the active colour map's gradient, its range (lo, mid, hi) and a label."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.render.ascii_ramp import ramp_legend
from engine.render.colormap import ASCII_RAMP, rgb_to_xterm256
from engine.render.terminal import format_value
from tui.widgets.halfblock import DIVERGING_RAMP, PLAIN, check_mode, resolve_lut


class ColorBar(Widget):
    """A one-line colour scale: gradient, range (lo, mid, hi) and a label.

    ``lo ▀▀▀▀ mid ▀▀▀▀ hi  shared scale``: the gradient is drawn with background-coloured cells,
    numbers with ``engine.render.terminal.format_value``. In ASCII mode every shade of the ramp
    once: ``lo [ .:-=+*#%@] hi``, or ``lo [Xx=~-] 0 [.:+*#] hi`` for a diverging map.
    With no numbers (``lo``/``hi`` None: one scale per map) the ends read "min" and "max"."""

    DEFAULT_CSS = """
    ColorBar {
        height: 1;
        width: 1fr;
    }
    ColorBar > .color-bar--label {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = {"color-bar--label"}

    color_mode: reactive[str] = reactive("256", init=False)

    def __init__(
        self,
        *,
        color_mode: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        from tui.widgets.heatmap import detect_color_mode

        self.lo: float | None = None
        self.hi: float | None = None
        self.cmap: str | np.ndarray = "sequential"
        self.label = ""
        self.visible_scale = False
        self._strip: Strip | None = None
        self.set_reactive(ColorBar.color_mode, color_mode or detect_color_mode())

    def set_scale(
        self,
        lo: float | None,
        hi: float | None,
        cmap: str | np.ndarray = "sequential",
        label: str = "shared scale",
    ) -> None:
        """Show the range ``lo``..``hi`` (None: "min".."max") of colour map ``cmap``."""
        self.lo = None if lo is None else float(lo)
        self.hi = None if hi is None else float(hi)
        self.cmap = cmap
        self.label = label
        self.visible_scale = True
        self._invalidate()

    def clear(self) -> None:
        self.visible_scale = False
        self._invalidate()

    @property
    def mid(self) -> float | None:
        if self.lo is None or self.hi is None:
            return None
        return (self.lo + self.hi) / 2

    def texts(self) -> tuple[str, str, str]:
        """(lo, mid, hi) as printed."""
        if self.lo is None or self.hi is None:
            return "min", "", "max"
        mid = self.mid
        assert mid is not None
        return format_value(self.lo), format_value(mid), format_value(self.hi)

    def validate_color_mode(self, mode: str) -> str:
        return check_mode(mode)

    def watch_color_mode(self) -> None:
        self._invalidate()

    def on_resize(self) -> None:
        self._invalidate()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip = None

    def _invalidate(self) -> None:
        self._strip = None
        self.refresh()

    def _gradient(self, cells: int, base: Style | None) -> list[Segment]:
        lut = resolve_lut(self.cmap)
        index = np.rint(np.linspace(0, 255, max(cells, 1))).astype(int)[:cells]
        if self.color_mode == "ascii":
            ramp = (
                DIVERGING_RAMP
                if isinstance(self.cmap, str) and self.cmap == "diverging"
                else ASCII_RAMP
            )
            chars = "".join(ramp[min(i * len(ramp) // 256, len(ramp) - 1)] for i in index)
            return [Segment(chars, PLAIN)]
        rgb = lut[index]
        if self.color_mode == "256":
            codes = rgb_to_xterm256(rgb).tolist()
            colors = [Color.from_ansi(int(c)) for c in codes]
            keys = codes
        else:
            keys = [tuple(c) for c in rgb.tolist()]
            colors = [Color.from_rgb(*k) for k in keys]
        segments: list[Segment] = []
        start = 0
        for i in range(1, cells + 1):
            if i == cells or keys[i] != keys[start]:
                segments.append(
                    Segment(" " * (i - start), (base or Style()) + Style(bgcolor=colors[start]))
                )
                start = i
        return segments

    def _build(self) -> Strip:
        width = self.size.width
        ascii_mode = self.color_mode == "ascii"
        base = PLAIN if ascii_mode else self.rich_style
        label_style = PLAIN if ascii_mode else self.get_component_rich_style("color-bar--label")
        if not self.visible_scale or width <= 0:
            return Strip.blank(width, base)
        lo, mid, hi = self.texts()
        label = f" {self.label}" if self.label else ""
        if ascii_mode and (ramp := self._ascii_legend(width, label)) is not None:
            return ramp
        bar = width - len(lo) - len(hi) - 2 - len(label)
        if bar < 6 and label:
            label, bar = "", width - len(lo) - len(hi) - 2
        segments: list[Segment] = [Segment(lo + " ", base)]
        if bar >= 4:
            half = (bar - len(mid) - 2) // 2 if mid else bar // 2
            if mid and half >= 2:
                right = bar - len(mid) - 2 - half
                cells = half + right
                grad = self._gradient(cells, base)
                segments += _take(grad, half)
                segments.append(Segment(f" {mid} ", base))
                segments += _take(grad, cells, start=half)
            else:
                segments += self._gradient(bar, base)
        segments.append(Segment(" " + hi, base))
        segments.append(Segment(label, label_style))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, base)

    def _ascii_legend(self, width: int, label: str) -> Strip | None:
        """Every shade of the ASCII ramp once between the numeric ends (0 named between the
        signs of a diverging map), the label when it fits; None when even the ramp does not."""
        lo, _, hi = self.texts()
        diverging = isinstance(self.cmap, str) and self.cmap == "diverging"
        shorter = [ramp_legend(lo, hi, diverging, brackets=False, zero=z) for z in (True, False)]
        text = next(
            (t for t in (ramp_legend(lo, hi, diverging), *shorter) if len(t) <= width), None
        )
        if text is None:
            return None
        label = label if len(text) + len(label) <= width else ""
        return Strip([Segment(text, PLAIN), Segment(label, PLAIN)]).adjust_cell_length(width, PLAIN)

    def render_line(self, y: int) -> Strip:
        if y != 0:
            return Strip.blank(
                self.size.width, PLAIN if self.color_mode == "ascii" else self.rich_style
            )
        if self._strip is None:
            self._strip = self._build()
        return self._strip


def _take(segments: list[Segment], end: int, start: int = 0) -> list[Segment]:
    """The cells ``start``..``end`` of a run of single-width segments."""
    return list(Strip(segments).crop(start, end))


__all__ = ["ColorBar"]
