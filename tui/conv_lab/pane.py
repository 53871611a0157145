"""The Conv lab tab: hand-made filters, padding, stride, pooling and convolution step by step.

``ConvLab`` is a self-contained, focusable widget: everything is computed in this process with
numpy (``engine.convlab.lab``); it never imports torch. Keys (also its BINDINGS, so the footer
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

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from engine.convlab import lab as convlab
from engine.errors import EngineError
from engine.render.terminal import color_mode as detect_color_mode
from tui.conv_lab.draw import (  # noqa: F401  (re-exported: tests and callers import them here)
    Panel,
    colour_bar,
    draw_map,
    lab_panels,
    pack_panels,
    scale_arrays,
)
from tui.conv_lab.state import (  # noqa: F401  (re-exported)
    FILTER_CHOICES,
    INPUT_CHOICES,
    MAX_STRIDE,
    PADDING_CHOICES,
    POOL_CHOICES,
    POOL_SIZES,
    ConvLabState,
)

PLAY_INTERVAL_S = 0.25

KEY_HELP = (
    "i/I input  n/N digit  f/F filter  e custom  p pad  +/- stride  o pool  z size  "
    "v values  w step  arrows [ ] cell  a play"
)


class KernelInput(Input):
    """The custom-kernel field: enter applies (handled by ConvLab), escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    def action_cancel(self) -> None:
        lab = next((a for a in self.ancestors if isinstance(a, ConvLab)), None)
        if lab is not None:
            lab.close_custom()


class ConvLab(ConvLabState, Widget, can_focus=True):
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

    def __init__(
        self,
        *,
        data_dir: str | None = None,
        color_mode: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.init_state(data_dir)
        self._timer: Timer | None = None
        self.set_reactive(ConvLab.color_mode, color_mode or detect_color_mode())

    # ------------------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="conv-status", markup=False)
        yield Static(KEY_HELP, id="conv-keys", markup=False)
        yield KernelInput(
            placeholder="custom kernel, e.g. 1,0,-1;1,0,-1;1,0,-1  (enter applies, esc cancels)",
            id="conv-custom",
        )
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
    def playing(self) -> bool:
        return self._timer is not None

    def set_message(self, text: str) -> None:
        self.message = text
        if self.is_mounted:
            self.query_one("#conv-message", Static).update(text)
            self.set_class(bool(text), "-error")

    def recompute(self) -> None:
        """Load input and filters, convolve and pool; a bad setting becomes the message."""
        message = self.compute()
        if self.result is None:
            self.stop_play()
        self._clamp_cursor()
        self.set_message(message)
        self.redraw()

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
        return scale_arrays(self.lab_input, self.filters, self.result)

    def panels(self) -> list[Panel]:
        exp = self.explanation if self.step_mode else None
        return lab_panels(
            self.lab_input, self.filters, self.result, exp, self.color_mode, self.show_values
        )

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
            field.value = self.custom[0][len("custom:") :]
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
