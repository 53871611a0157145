"""The Conv lab's settings and computed result, kept apart from the widget that shows them.

``ConvLabState`` is the plain state held by ``tui.conv_lab.pane.ConvLab``: the choices the keys
cycle through, loading and convolving with ``engine.convlab`` (numpy only), the step-mode cursor
and the status line. It holds no Textual state, so the widget only lays out, draws and binds keys.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from engine.convlab import explain, inputs, lab
from engine.convlab.explain import CellExplanation
from engine.convlab.inputs import LabFilter, LabInput
from engine.errors import EngineError
from tui.widgets.fit_text import Part

INPUT_CHOICES = ("squares8", "squares6", "map4", "digit", "volume")
FILTER_CHOICES: tuple[tuple[str, ...], ...] = (
    ("vertical",),
    ("horizontal",),
    ("sobel-x",),
    ("sobel-y",),
    ("sobel-x", "sobel-y"),
    ("fixed",),
    ("blur",),
    ("sharpen",),
)
PADDING_CHOICES = ("valid", "same", "1", "2")
POOL_CHOICES = (None, "max", "avg")
POOL_SIZES = (2, 3)
MAX_STRIDE = 4
# How the custom-kernel field wants a kernel typed (the CLI's ``custom:`` prefix is not typed).
FIELD_SYNTAX = "rows split by ';' and numbers by ',', e.g. 1,0,-1;1,0,-1;1,0,-1"


class ConvLabState:
    """Input, filters, padding, stride, pooling, step-mode cursor and the lab result.

    The setting methods only change the settings; ``compute`` then loads, convolves and pools
    (the widget calls it, then redraws). Step-mode methods keep the cursor on the output."""

    def __init__(self, data_dir: str | None = None) -> None:
        """Start with the first input and filter set, no padding, stride 1, no pooling."""
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
        self.result: lab.LabResult | None = None
        self.explanation: CellExplanation | None = None

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

    def compute(self) -> str:
        """Load input and filters, convolve and pool; returns the message of a bad setting."""
        self.result = None
        self.explanation = None
        message = ""
        try:
            self.lab_input = inputs.load_input(self.input_spec, self.data_dir)
        except EngineError as exc:
            self.lab_input, message = None, str(exc)
        try:
            self.filters = inputs.load_filters(self.filter_specs)
        except EngineError as exc:
            self.filters, message = [], message or str(exc)
        if self.lab_input is not None and self.filters:
            try:
                self.result = lab.run_lab(
                    self.lab_input,
                    self.filters,
                    self.padding,
                    self.stride,
                    self.pool,
                    self.pool_size,
                    self.pool_size,
                )
            except EngineError as exc:
                message = str(exc)
            except Exception as exc:  # never crash the tab over a setting
                message = f"{type(exc).__name__}: {exc}"
        return message

    def clamp_cursor(self) -> None:
        """Keep the cursor on the output; in step mode, explain the cell under it."""
        if self.result is None:
            return
        k, h, w = self.result.output.shape
        c, i, j = self.cursor
        self.cursor = (min(max(c, 0), k - 1), min(max(i, 0), h - 1), min(max(j, 0), w - 1))
        if self.step_mode:
            self.explanation = explain.explain_cell(
                self.lab_input.values,
                self.result.weights,
                None,
                self.padding,
                self.stride,
                *self.cursor,
            )

    def at_last_cell(self) -> bool:
        """Whether the cursor is on the last output cell (or there is no output)."""
        if self.result is None:
            return True
        _, h, w = self.result.output.shape
        return self.cursor[1:] == (h - 1, w - 1)

    def status_text(self, playing: bool = False) -> Text:
        """The settings on one line (``playing``: the slide is running)."""
        return Text(" | ".join(part.text for part in status_parts(self, playing, short=False)))

    # -- settings the keys change -----------------------------------------------------------
    def step_input(self, step: int) -> None:
        self.input_index = (self.input_index + step) % len(INPUT_CHOICES)

    def step_digit(self, step: int) -> None:
        """The next MNIST test digit (the first step switches the input to the digits)."""
        if INPUT_CHOICES[self.input_index] != "digit":
            self.input_index = INPUT_CHOICES.index("digit")
            return
        try:
            count = inputs.test_digit_count(self.data_dir)
        except EngineError:
            count = 10_000
        self.digit = (self.digit + step) % count

    def step_filter(self, step: int) -> None:
        self.filter_index = (self.filter_index + step) % len(self.filter_choices)

    def use_custom(self, text: str) -> None:
        """Make the typed kernel the filter; EngineError (settings unchanged) if malformed,
        its one-line message teaching the field's syntax (``FIELD_SYNTAX``), never the CLI's."""
        kernel = parse_field_kernel(text)
        self.custom = (f"custom:{inputs.format_kernel(kernel)}",)
        self.filter_index = len(self.filter_choices) - 1

    @property
    def custom_text(self) -> str:
        """The custom kernel as typed (without ``custom:``), or ""."""
        return self.custom[0][len("custom:") :] if self.custom else ""

    def cycle_padding(self) -> None:
        index = PADDING_CHOICES.index(self.padding) if self.padding in PADDING_CHOICES else -1
        self.padding = PADDING_CHOICES[(index + 1) % len(PADDING_CHOICES)]

    def change_stride(self, step: int) -> None:
        self.stride = min(MAX_STRIDE, max(1, self.stride + step))

    def cycle_pool(self) -> None:
        self.pool = POOL_CHOICES[(POOL_CHOICES.index(self.pool) + 1) % len(POOL_CHOICES)]

    def cycle_pool_size(self) -> None:
        self.pool_size = POOL_SIZES[(POOL_SIZES.index(self.pool_size) + 1) % len(POOL_SIZES)]

    # -- step mode --------------------------------------------------------------------------
    def toggle_step(self) -> None:
        self.step_mode = not self.step_mode
        self.clamp_cursor()

    def move(self, rows: int, cols: int) -> bool:
        """Move the cursor (the first move only turns step mode on); False without output."""
        if self.result is None:
            return False
        if not self.step_mode:
            self.step_mode = True
        else:
            c, i, j = self.cursor
            self.cursor = (c, i + rows, j + cols)
        self.clamp_cursor()
        return True

    def step_channel(self, step: int) -> bool:
        """The next (``step``) output channel in step mode; False without output."""
        if self.result is None:
            return False
        self.step_mode = True
        c, i, j = self.cursor
        self.cursor = ((c + step) % self.result.output.shape[0], i, j)
        self.clamp_cursor()
        return True

    def start_play(self) -> bool:
        """Step mode from the current cell (the first once at the end); False without output."""
        if self.result is None:
            return False
        self.step_mode = True
        if self.at_last_cell():
            self.cursor = (self.cursor[0], 0, 0)
        self.clamp_cursor()
        return True

    def advance(self) -> bool:
        """The next output cell in reading order; False (no move) at the end."""
        if self.result is None or self.at_last_cell():
            return False
        _, _, w = self.result.output.shape
        c, i, j = self.cursor
        self.cursor = (c, i + (j + 1) // w, (j + 1) % w)
        self.clamp_cursor()
        return True


def parse_field_kernel(text: str) -> np.ndarray:
    """The kernel typed into the lab's field (rows, no ``custom:``); EngineError whose one-line
    message teaches the field's syntax (``FIELD_SYNTAX``), never the CLI's."""
    try:
        return inputs.parse_kernel(text, syntax=FIELD_SYNTAX)
    except EngineError as exc:
        message = str(exc)
        if FIELD_SYNTAX not in message:
            message = f"{message}; type {FIELD_SYNTAX}"
        raise type(exc)(message) from None


def status_parts(state: ConvLabState, playing: bool, short: bool) -> list[Part]:
    """The settings as parts (``tui.widgets.fit_text``: the lowest priority is dropped
    first); a setting left at its default matters less than one changed (``short``: the
    compact labels)."""
    lab_input = state.lab_input
    label = f" (label {lab_input.label})" if lab_input and lab_input.label is not None else ""
    shape = f" {lab_input.shape_text}" if lab_input else ""
    filters = ", ".join(f.name for f in state.filters) or " + ".join(state.filter_specs)
    pool = f"{state.pool} {state.pool_size}x{state.pool_size}" if state.pool else "none"
    view = "numbers" if state.show_values else "heatmaps"
    step = "off"
    if state.step_mode:
        c, i, j = state.cursor
        step = f"cell [{c}, {i}, {j}]" + (" (playing)" if playing else "")
    name = state.input_spec
    return [
        Part(f"{name}{label}{shape}" if short else f"input {name}{label}{shape}", 0),
        Part(filters if short else f"filters {filters}", 0),
        Part(
            f"pad {state.padding}" if short else f"padding {state.padding}",
            -1 - (state.padding == "valid"),
        ),
        Part(f"stride {state.stride}", -1 - (state.stride == 1)),
        Part("no pool" if short and not state.pool else f"pool {pool}", -1 - (not state.pool)),
        Part(view, -3),
        Part(step if short and state.step_mode else f"step {step}", 0 if state.step_mode else -3),
    ]
