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
           (in the numbers view outside step mode they scroll the numbers)
    PgUp / PgDn, Home / End  scroll the figure    a  play / stop the slide

Input, filters, output and pooled output are drawn side by side, enlarged by the largest whole
factor that fits the room (``tui.conv_lab.figure``). Each kind of panel has its own colour
scale and colour bar with its numbers, pinned under the figure: the input grey over its own
range, kernels and outputs (pooled too) diverging about 0 (white); a figure larger than the
room (numbers, small terminals) scrolls, and the line under the bars says how. In step
mode the window is outlined on the (padded) input, its output cell on the output, and the
element-wise products and their sum plus bias are printed. A setting that cannot work (an even
kernel with 'same', a kernel larger than the padded input, malformed custom numbers, ...) shows
its one-line message in the tab.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from engine.errors import EngineError
from engine.render.terminal import color_mode as detect_color_mode
from tui.conv_lab.bindings import CONV_LAB_BINDINGS, setting_key
from tui.conv_lab.canvas import FittedLine, LabCanvas, ScaleLegend
from tui.conv_lab.captions import KEY_PARTS, KEY_SEP, key_line, key_parts, status_line
from tui.conv_lab.figure import explain_text
from tui.conv_lab.kernel_field import KernelInput
from tui.conv_lab.state import FIELD_SYNTAX, ConvLabState
from tui.widgets.delegate import state_attribute

PLAY_INTERVAL_S = 0.25

KEY_HELP = KEY_SEP.join(part.text for part in KEY_PARTS)


class ConvLab(Widget, can_focus=True):
    """The convolution lab: choose input, filters, padding, stride and pooling with keys.

    The settings and the computed result live in ``state`` (:class:`ConvLabState`); the
    widget binds the keys, runs the slide timer and draws ``tui.conv_lab.figure``."""

    DEFAULT_CSS = """
    ConvLab { layout: vertical; height: 1fr; width: 1fr; }
    ConvLab > #conv-status { height: 1; text-style: bold; }
    ConvLab > #conv-keys { height: 1; color: $text-muted; }
    ConvLab > #conv-custom { display: none; }
    ConvLab.-editing > #conv-custom { display: block; }
    ConvLab > #conv-message { height: auto; color: $error; text-style: bold; display: none; }
    ConvLab.-error > #conv-message { display: block; }
    ConvLab > #conv-formula { height: auto; }
    ConvLab > #conv-explain { height: auto; max-height: 50%; display: none; }
    ConvLab.-stepping > #conv-explain { display: block; }
    """

    BINDINGS = CONV_LAB_BINDINGS

    color_mode: reactive[str] = reactive("256")

    input_index = state_attribute("input_index", "Index into INPUT_CHOICES.")
    padding = state_attribute("padding", "valid, same, 1 or 2.")
    stride = state_attribute("stride", "The convolution's stride.")
    pool = state_attribute("pool", "None, max or avg.")
    pool_size = state_attribute("pool_size", "The pooling window's side.")
    show_values = state_attribute("show_values", "Numbers instead of heatmaps.")
    step_mode = state_attribute("step_mode", "Step mode: one output cell explained.")
    cursor = state_attribute("cursor", "(filter, row, col) of the step-mode cell.")
    message = state_attribute("message", "The message of a bad setting, or .")
    lab_input = state_attribute("lab_input", "The loaded input (LabInput), or None.")
    filters = state_attribute("filters", "The loaded filters (LabFilter list).")
    result = state_attribute("result", "The lab's result (LabResult), or None.")
    explanation = state_attribute("explanation", "The step-mode cell's CellExplanation.")
    input_spec = state_attribute("input_spec", "The input as ``load_input`` takes it.")
    filter_specs = state_attribute("filter_specs", "The filter set's specs.")

    def __init__(
        self, *, data_dir: str | None = None, color_mode: str | None = None, **widget_options: Any
    ) -> None:
        super().__init__(**widget_options)  # name, id, classes
        self.state = ConvLabState(data_dir)
        self._timer: Timer | None = None
        self.set_reactive(ConvLab.color_mode, color_mode or detect_color_mode())

    def compose(self) -> ComposeResult:
        yield FittedLine(id="conv-status", markup=False)
        yield FittedLine(KEY_HELP, id="conv-keys", markup=False)
        yield KernelInput(
            placeholder=f"custom kernel: {FIELD_SYNTAX}  (enter applies, esc cancels)",
            id="conv-custom",
        )
        yield Static(id="conv-message", markup=False)
        yield Static(id="conv-formula", markup=False)
        yield Static(id="conv-explain", markup=False)
        yield LabCanvas(id="conv-canvas")
        yield ScaleLegend(self.color_mode, id="conv-legend")

    def on_mount(self) -> None:
        self.recompute()

    def on_resize(self) -> None:
        self.redraw()

    def on_lab_canvas_redrawn(self) -> None:
        self.draw_bar()

    def watch_color_mode(self) -> None:
        if self.is_mounted:
            self.redraw()

    @property
    def playing(self) -> bool:
        return self._timer is not None

    def status_text(self) -> Text:
        return self.state.status_text(self.playing)

    def set_message(self, text: str) -> None:
        self.state.message = text
        if self.is_mounted:
            self.query_one("#conv-message", Static).update(text)
            self.set_class(bool(text), "-error")

    def recompute(self) -> None:
        """Load input and filters, convolve and pool; a bad setting becomes the message."""
        message = self.state.compute()
        if self.state.result is None:
            self.stop_play()
        self.state.clamp_cursor()
        self.set_message(message)
        self.redraw()

    def redraw(self) -> None:
        """Status, keys, formula, explanation, then the figure fitted to the canvas and the
        colour bar; every one-line text fitted to the width, its full text in a tooltip."""
        if not self.is_mounted:
            return
        width = self.size.width or 120
        status = status_line(self.state, width, self.playing)
        self.query_one("#conv-status", FittedLine).show(status, self.status_text().plain)
        all_keys = KEY_SEP.join(part.text for part in key_parts(self.state))
        self.query_one("#conv-keys", FittedLine).show(key_line(self.state, width), all_keys)
        result = self.state.result
        formula = "\n".join(result.formula_lines()) if result else ""
        self.query_one("#conv-formula", Static).update(formula)
        self.query_one("#conv-explain", Static).update(explain_text(self.state))
        self.set_class(self.state.step_mode, "-stepping")
        self.query_one(LabCanvas).draw(self.state, self.color_mode)
        self.draw_bar()

    def draw_bar(self) -> None:
        self.query_one(ScaleLegend).show(self.state, self.color_mode, self.query_one(LabCanvas))

    action_next_input = setting_key("step_input", 1)
    action_previous_input = setting_key("step_input", -1)
    action_next_digit = setting_key("step_digit", 1)
    action_previous_digit = setting_key("step_digit", -1)
    action_next_filter = setting_key("step_filter", 1)
    action_previous_filter = setting_key("step_filter", -1)
    action_cycle_padding = setting_key("cycle_padding")
    action_cycle_pool = setting_key("cycle_pool")
    action_cycle_pool_size = setting_key("cycle_pool_size")

    def action_edit_custom(self) -> None:
        self.stop_play()
        field = self.query_one("#conv-custom", KernelInput)
        if self.state.custom:
            field.value = self.state.custom_text
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
            self.state.use_custom(text)
        except EngineError as exc:
            self.set_message(str(exc))
            return False
        self.close_custom()
        self.recompute()
        return True

    def action_stride(self, step: int) -> None:
        self.state.change_stride(step)
        self.recompute()

    def action_toggle_values(self) -> None:
        self.state.show_values = not self.state.show_values
        self.redraw()

    def action_toggle_step(self) -> None:
        if self.state.step_mode:
            self.stop_play()
        self.state.toggle_step()
        self.redraw()

    def action_move(self, rows: int, cols: int) -> None:
        """Arrows: scroll the numbers view (outside step mode), else move the step cell."""
        if self.state.show_values and not self.state.step_mode:
            self.query_one(LabCanvas).scroll_step(rows, cols)
        elif self.state.move(rows, cols):
            self.redraw()

    def action_scroll_figure(self, pages: int) -> None:
        """Page the canvas up or down (1000 pages: to the end)."""
        canvas = self.query_one(LabCanvas)
        canvas.scroll_step(pages * max(1, canvas.size.height - 1), 0)

    def action_channel(self, step: int) -> None:
        if self.state.step_channel(step):
            self.redraw()

    def action_toggle_play(self) -> None:
        if self.playing:
            self.stop_play()
        elif self.state.start_play():
            self._timer = self.set_interval(PLAY_INTERVAL_S, self.advance)
        self.redraw()

    def stop_play(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def advance(self) -> None:
        """One step of the slide: the next output cell in reading order; stops at the end."""
        if not self.state.advance():
            self.stop_play()
        self.redraw()
