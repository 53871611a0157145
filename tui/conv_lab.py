"""The Conv lab tab: hand-made filters, padding, stride, pooling and convolution step by step.

``ConvLab`` is a self-contained, focusable widget: everything is computed in this process with
numpy (``engine.convlab``); it never imports torch. Keys (also its BINDINGS, so the footer
shows them while it has focus):

    i / I  next / previous input        n / N  next / previous digit (digit input)
    f / F  next / previous filter set   e      type a custom kernel (enter applies, esc cancels)
    p      padding valid / same / 1 / 2 + / -  stride up / down
    o      pooling none / max / avg     z      pool size 2 / 3
    v      heatmaps / numbers           w      step mode on / off
    arrows move the window (step mode)  [ / ]  previous / next filter in step mode
    a      play / stop the slide

Input, filters, output and pooled output are drawn side by side with one shared colour scale
(diverging, symmetric about 0, when any value is negative) and a colour bar under them. In step
mode the window is outlined on the (padded) input, its output cell on the output, and the
element-wise products and their sum plus bias are printed. A setting that cannot work (an even
kernel with 'same', a kernel larger than the padded input, malformed custom numbers, ...) shows
its one-line message in the tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Span, Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from engine import convlab
from engine.colormap import ASCII_RAMP, DIVERGING, SEQUENTIAL
from engine.convlab import CellExplanation, LabFilter, LabInput
from engine.errors import EngineError
from engine.render import color_mode as detect_color_mode

INPUT_CHOICES = ("squares8", "squares6", "map4", "digit", "volume")
FILTER_CHOICES: tuple[tuple[str, ...], ...] = (
    ("vertical",), ("horizontal",), ("sobel-x",), ("sobel-y",), ("sobel-x", "sobel-y"),
    ("fixed",), ("blur",), ("sharpen",),
)
PADDING_CHOICES = ("valid", "same", "1", "2")
POOL_CHOICES = (None, "max", "avg")
POOL_SIZES = (2, 3)
MAX_STRIDE = 4
PLAY_INTERVAL_S = 0.25
HIGHLIGHT = (255, 0, 255)
UPPER_HALF = "\u2580"
GAP = "  "

KEY_HELP = ("i/I input  n/N digit  f/F filter  e custom  p pad  +/- stride  o pool  z size  "
            "v values  w step  arrows [ ] cell  a play")


@dataclass
class Panel:
    """A titled block of text lines, all ``width`` cells wide."""

    title: str
    lines: list[Text]
    width: int


class KernelInput(Input):
    """The custom-kernel field: enter applies (handled by ConvLab), escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    def action_cancel(self) -> None:
        lab = next((a for a in self.ancestors if isinstance(a, ConvLab)), None)
        if lab is not None:
            lab.close_custom()


class ConvLab(Widget, can_focus=True):
    """The convolution lab: choose input, filters, padding, stride and pooling with keys."""

    DEFAULT_CSS = """
    ConvLab {
        layout: vertical;
        height: 1fr;
        width: 1fr;
    }
    ConvLab > #conv-status {
        height: auto;
        text-style: bold;
    }
    ConvLab > #conv-keys {
        height: auto;
        color: $text-muted;
    }
    ConvLab > #conv-custom {
        display: none;
    }
    ConvLab.-editing > #conv-custom {
        display: block;
    }
    ConvLab > #conv-message {
        height: auto;
        color: $error;
        text-style: bold;
        display: none;
    }
    ConvLab.-error > #conv-message {
        display: block;
    }
    ConvLab > #conv-formula {
        height: auto;
    }
    ConvLab > #conv-canvas {
        height: 1fr;
    }
    ConvLab > #conv-explain {
        height: auto;
        max-height: 50%;
        display: none;
    }
    ConvLab.-stepping > #conv-explain {
        display: block;
    }
    ConvLab #conv-figure {
        width: auto;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("i", "next_input", "Input"),
        Binding("I", "previous_input", "Prev input", show=False),
        Binding("n", "next_digit", "Digit"),
        Binding("N", "previous_digit", "Prev digit", show=False),
        Binding("f", "next_filter", "Filter"),
        Binding("F", "previous_filter", "Prev filter", show=False),
        Binding("e", "edit_custom", "Custom kernel"),
        Binding("p", "cycle_padding", "Padding"),
        Binding("plus,equals_sign", "stride(1)", "Stride+"),
        Binding("minus", "stride(-1)", "Stride-", show=False),
        Binding("o", "cycle_pool", "Pool"),
        Binding("z", "cycle_pool_size", "Pool size", show=False),
        Binding("v", "toggle_values", "Numbers"),
        Binding("w", "toggle_step", "Step mode"),
        Binding("a", "toggle_play", "Play"),
        Binding("left", "move(0,-1)", "Left", show=False),
        Binding("right", "move(0,1)", "Right", show=False),
        Binding("up", "move(-1,0)", "Up", show=False),
        Binding("down", "move(1,0)", "Down", show=False),
        Binding("right_square_bracket", "channel(1)", "Next filter map", show=False),
        Binding("left_square_bracket", "channel(-1)", "Prev filter map", show=False),
    ]

    color_mode: reactive[str] = reactive("256")

    def __init__(self, *, data_dir: str | None = None, color_mode: str | None = None,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.data_dir = data_dir
        self.input_index = 0
        self.digit = 0
        self.filter_index = 0
        self.custom: tuple[str, ...] | None = None  # ("custom:...",) once one was typed
        self.padding = "valid"
        self.stride = 1
        self.pool: str | None = None
        self.pool_size = 2
        self.show_values = False
        self.step_mode = False
        self.cursor = (0, 0, 0)  # (filter, row, col) of the output cell in step mode
        self.message = ""
        self.lab_input: LabInput | None = None
        self.filters: list[LabFilter] = []
        self.result: convlab.LabResult | None = None
        self.explanation: CellExplanation | None = None
        self._timer: Timer | None = None
        self.set_reactive(ConvLab.color_mode, color_mode or detect_color_mode())

    # ------------------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="conv-status", markup=False)
        yield Static(KEY_HELP, id="conv-keys", markup=False)
        yield KernelInput(placeholder="custom kernel, e.g. 1,0,-1;1,0,-1;1,0,-1  (enter applies, "
                                      "esc cancels)", id="conv-custom")
        yield Static(id="conv-message", markup=False)
        yield Static(id="conv-formula", markup=False)
        yield Static(id="conv-explain", markup=False)
        with VerticalScroll(id="conv-canvas"):
            yield Static(id="conv-figure", markup=False)

    def on_mount(self) -> None:
        self.recompute()

    def on_resize(self) -> None:
        self.redraw()

    def watch_color_mode(self) -> None:
        if self.is_mounted:
            self.redraw()

    # ------------------------------------------------------------------------------ state
    @property
    def input_spec(self) -> str:
        name = INPUT_CHOICES[self.input_index]
        return f"digit:{self.digit}" if name == "digit" else name

    @property
    def filter_choices(self) -> list[tuple[str, ...]]:
        return [*FILTER_CHOICES, *([self.custom] if self.custom else [])]

    @property
    def filter_specs(self) -> tuple[str, ...]:
        choices = self.filter_choices
        return choices[self.filter_index % len(choices)]

    @property
    def playing(self) -> bool:
        return self._timer is not None

    def set_message(self, text: str) -> None:
        self.message = text
        if self.is_mounted:
            self.query_one("#conv-message", Static).update(text)
            self.set_class(bool(text), "-error")

    def recompute(self) -> None:
        """Load input and filters, convolve and pool; a bad setting becomes the message."""
        self.result = None
        self.explanation = None
        message = ""
        try:
            self.lab_input = convlab.load_input(self.input_spec, self.data_dir)
        except EngineError as exc:
            self.lab_input, message = None, str(exc)
        try:
            self.filters = convlab.load_filters(self.filter_specs)
        except EngineError as exc:
            self.filters, message = [], message or str(exc)
        if self.lab_input is not None and self.filters:
            try:
                self.result = convlab.run_lab(self.lab_input, self.filters, self.padding,
                                              self.stride, self.pool, self.pool_size,
                                              self.pool_size)
            except EngineError as exc:
                message = str(exc)
            except Exception as exc:  # never crash the tab over a setting
                message = f"{type(exc).__name__}: {exc}"
        if self.result is None:
            self.stop_play()
        self._clamp_cursor()
        self.set_message(message)
        self.redraw()

    def _clamp_cursor(self) -> None:
        if self.result is None:
            return
        k, h, w = self.result.output.shape
        c, i, j = self.cursor
        self.cursor = (min(max(c, 0), k - 1), min(max(i, 0), h - 1), min(max(j, 0), w - 1))
        if self.step_mode:
            self.explanation = convlab.explain_cell(
                self.lab_input.values, self.result.weights, None, self.padding, self.stride,
                *self.cursor)

    # ------------------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#conv-status", Static).update(self.status_text())
        formula = "\n".join(self.result.formula_lines()) if self.result else ""
        self.query_one("#conv-formula", Static).update(formula)
        width = self.query_one("#conv-canvas").size.width or self.size.width or 120
        self.query_one("#conv-figure", Static).update(self.figure(max(20, width - 1)))
        explain = Text()
        if self.step_mode and self.explanation is not None:
            explain = Text("\n".join(convlab.explanation_lines(self.explanation)))
        elif self.step_mode:
            explain = Text("step mode: no output to step through", style="italic")
        self.query_one("#conv-explain", Static).update(explain)
        self.set_class(self.step_mode, "-stepping")

    def status_text(self) -> Text:
        lab_input = self.lab_input
        label = f" (label {lab_input.label})" if lab_input and lab_input.label is not None else ""
        shape = f" {lab_input.shape_text}" if lab_input else ""
        filters = ", ".join(f.name for f in self.filters) or " + ".join(self.filter_specs)
        pool = f"{self.pool} {self.pool_size}x{self.pool_size}" if self.pool else "none"
        view = "numbers" if self.show_values else "heatmaps"
        step = "off"
        if self.step_mode:
            c, i, j = self.cursor
            step = f"cell [{c}, {i}, {j}]" + (" (playing)" if self.playing else "")
        return Text(f"input {self.input_spec}{label}{shape} | filters {filters} | "
                    f"padding {self.padding} | stride {self.stride} | pool {pool} | {view} | "
                    f"step {step}")

    def figure(self, width: int) -> Text:
        """Input, filters, output and pooled maps side by side, then the colour bar."""
        panels = self.panels()
        if not panels:
            return Text("nothing to draw", style="italic")
        out = pack_panels(panels, width)
        arrays = self.scale_arrays()
        lo, hi, diverging = convlab.shared_range(arrays)
        out.append("\n\n")
        out.append_text(colour_bar(lo, hi, diverging, self.color_mode, min(40, width - 30)))
        return out

    def scale_arrays(self) -> list[np.ndarray]:
        arrays: list[np.ndarray] = []
        if self.lab_input is not None:
            arrays.append(self.lab_input.values)
        arrays += [f.weights for f in self.filters]
        if self.result is not None:
            arrays.append(self.result.output)
            if self.result.pooled is not None:
                arrays.append(self.result.pooled)
        return arrays

    def panels(self) -> list[Panel]:
        lo, hi, diverging = convlab.shared_range(self.scale_arrays())
        lut = DIVERGING if diverging else SEQUENTIAL
        mode = self.color_mode
        values_view = self.show_values
        panels: list[Panel] = []
        exp = self.explanation if self.step_mode else None
        lab_input = self.lab_input
        base_factor = 1
        if lab_input is not None:
            vol = lab_input.values
            ph, pw = self.result.padding if (self.result and exp) else (0, 0)
            base_factor = convlab.map_factor(max(vol.shape[1:]) + 2 * max(ph, pw))
            factor = base_factor
            for c in range(vol.shape[0]):
                data = np.pad(vol[c], ((ph, ph), (pw, pw)))
                box = None
                if exp is not None:
                    box = (exp.rows[0] + ph, exp.cols[0] + pw, exp.rows[1] + ph,
                           exp.cols[1] + pw)
                shown = None
                if values_view and lab_input.pixels is not None:
                    shown = np.pad(lab_input.pixels.astype(np.float64), ((ph, ph), (pw, pw)))
                title = "input" if vol.shape[0] == 1 else f"input ch{c}"
                if shown is not None:
                    title = "input pixels (/255)"
                if ph or pw:
                    title = f"{title} + padding {ph}"
                panels.append(draw_map(title, data, lo, hi, lut, mode, values_view, factor, box,
                                       shown))
        for index, lab_filter in enumerate(self.filters):
            k = lab_filter.weights
            factor = max(2, base_factor)
            name = lab_filter.name if len(lab_filter.name) <= 14 else "custom"
            panels.append(draw_map(f"{index}: {name}", k, lo, hi, lut, mode, values_view, factor))
        result = self.result
        if result is not None:
            factor = base_factor
            for k in range(result.output.shape[0]):
                box = None
                if exp is not None and exp.out_channel == k:
                    box = (exp.row, exp.col, exp.row + 1, exp.col + 1)
                panels.append(draw_map(f"output {k}", result.output[k], lo, hi, lut, mode,
                                       values_view, factor, box))
            if result.pooled is not None:
                for k in range(result.pooled.shape[0]):
                    panels.append(draw_map(f"{result.pool} pool {k}", result.pooled[k], lo, hi,
                                           lut, mode, values_view, factor))
        return panels

    # ------------------------------------------------------------------------------ actions
    def action_next_input(self) -> None:
        self.input_index = (self.input_index + 1) % len(INPUT_CHOICES)
        self.recompute()

    def action_previous_input(self) -> None:
        self.input_index = (self.input_index - 1) % len(INPUT_CHOICES)
        self.recompute()

    def _change_digit(self, step: int) -> None:
        if INPUT_CHOICES[self.input_index] != "digit":
            self.input_index = INPUT_CHOICES.index("digit")
        else:
            try:
                count = convlab.test_digit_count(self.data_dir)
            except EngineError:
                count = 10_000
            self.digit = (self.digit + step) % count
        self.recompute()

    def action_next_digit(self) -> None:
        self._change_digit(1)

    def action_previous_digit(self) -> None:
        self._change_digit(-1)

    def action_next_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(self.filter_choices)
        self.recompute()

    def action_previous_filter(self) -> None:
        self.filter_index = (self.filter_index - 1) % len(self.filter_choices)
        self.recompute()

    def action_edit_custom(self) -> None:
        self.stop_play()
        field = self.query_one("#conv-custom", KernelInput)
        if self.custom:
            field.value = self.custom[0][len("custom:"):]
        self.add_class("-editing")
        field.focus()

    def close_custom(self) -> None:
        self.remove_class("-editing")
        self.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_custom(event.value)

    def apply_custom(self, text: str) -> bool:
        """Use the typed kernel as the filter; a malformed one leaves the setting unchanged."""
        try:
            kernel = convlab.parse_kernel(text)
        except EngineError as exc:
            self.set_message(str(exc))
            return False
        self.custom = (f"custom:{convlab.format_kernel(kernel)}",)
        self.filter_index = len(self.filter_choices) - 1
        self.close_custom()
        self.recompute()
        return True

    def action_cycle_padding(self) -> None:
        index = PADDING_CHOICES.index(self.padding) if self.padding in PADDING_CHOICES else -1
        self.padding = PADDING_CHOICES[(index + 1) % len(PADDING_CHOICES)]
        self.recompute()

    def action_stride(self, step: int) -> None:
        self.stride = min(MAX_STRIDE, max(1, self.stride + step))
        self.recompute()

    def action_cycle_pool(self) -> None:
        self.pool = POOL_CHOICES[(POOL_CHOICES.index(self.pool) + 1) % len(POOL_CHOICES)]
        self.recompute()

    def action_cycle_pool_size(self) -> None:
        self.pool_size = POOL_SIZES[(POOL_SIZES.index(self.pool_size) + 1) % len(POOL_SIZES)]
        self.recompute()

    def action_toggle_values(self) -> None:
        self.show_values = not self.show_values
        self.redraw()

    def action_toggle_step(self) -> None:
        self.step_mode = not self.step_mode
        if not self.step_mode:
            self.stop_play()
        self._clamp_cursor()
        self.redraw()

    def action_move(self, rows: int, cols: int) -> None:
        if self.result is None:
            return
        if not self.step_mode:
            self.step_mode = True
        else:
            c, i, j = self.cursor
            self.cursor = (c, i + rows, j + cols)
        self._clamp_cursor()
        self.redraw()

    def action_channel(self, step: int) -> None:
        if self.result is None:
            return
        self.step_mode = True
        count = self.result.output.shape[0]
        c, i, j = self.cursor
        self.cursor = ((c + step) % count, i, j)
        self._clamp_cursor()
        self.redraw()

    def action_toggle_play(self) -> None:
        if self.playing:
            self.stop_play()
        elif self.result is not None:
            self.step_mode = True
            if self.at_last_cell():
                self.cursor = (self.cursor[0], 0, 0)
            self._clamp_cursor()
            self._timer = self.set_interval(PLAY_INTERVAL_S, self.advance)
        self.redraw()

    def stop_play(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def at_last_cell(self) -> bool:
        if self.result is None:
            return True
        _, h, w = self.result.output.shape
        return self.cursor[1:] == (h - 1, w - 1)

    def advance(self) -> None:
        """One step of the slide: the next output cell in reading order; stops at the end."""
        if self.result is None or self.at_last_cell():
            self.stop_play()
            self.redraw()
            return
        _, _, w = self.result.output.shape
        c, i, j = self.cursor
        self.cursor = (c, i + (j + 1) // w, (j + 1) % w)
        self._clamp_cursor()
        self.redraw()


# ---------------------------------------------------------------------------------------------
# Drawing helpers (rich Text; no Textual state)


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
            style = Style(color=_colour(key[1]),
                          bgcolor=_colour(key[2]) if key[2] >= 0 else None)
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


def draw_map(title: str, values: np.ndarray, lo: float, hi: float, lut: np.ndarray, mode: str,
             numbers: bool, factor: int = 1, box: tuple[int, int, int, int] | None = None,
             shown: np.ndarray | None = None) -> Panel:
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
        inside[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)] = True
    lines: list[Text] = []
    if numbers:
        texts = [[convlab.format_number(v) for v in row]
                 for row in (shown if shown is not None else values)]
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
