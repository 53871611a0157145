"""The Conv lab's settings and computed result, kept apart from the widget that shows them.

``ConvLabState`` is a mixin for ``tui.conv_lab.pane.ConvLab``: the choices the keys cycle through,
loading and convolving with ``engine.convlab.lab`` (numpy only), the step-mode cursor and the
status line. It holds no Textual state, so the widget only lays out, draws and binds keys.
"""

from __future__ import annotations

from rich.text import Text

from engine.convlab.lab import CellExplanation, LabFilter, LabInput
from engine.convlab import lab as convlab
from engine.errors import EngineError

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


class ConvLabState:
    """Input, filters, padding, stride, pooling, step-mode cursor and the lab result."""

    playing: bool  # provided by the widget (a running slide timer)

    def init_state(self, data_dir: str | None) -> None:
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
        self.result: convlab.LabResult | None = None
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
            self.lab_input = convlab.load_input(self.input_spec, self.data_dir)
        except EngineError as exc:
            self.lab_input, message = None, str(exc)
        try:
            self.filters = convlab.load_filters(self.filter_specs)
        except EngineError as exc:
            self.filters, message = [], message or str(exc)
        if self.lab_input is not None and self.filters:
            try:
                self.result = convlab.run_lab(
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

    def _clamp_cursor(self) -> None:
        if self.result is None:
            return
        k, h, w = self.result.output.shape
        c, i, j = self.cursor
        self.cursor = (min(max(c, 0), k - 1), min(max(i, 0), h - 1), min(max(j, 0), w - 1))
        if self.step_mode:
            self.explanation = convlab.explain_cell(
                self.lab_input.values,
                self.result.weights,
                None,
                self.padding,
                self.stride,
                *self.cursor,
            )

    def at_last_cell(self) -> bool:
        if self.result is None:
            return True
        _, h, w = self.result.output.shape
        return self.cursor[1:] == (h - 1, w - 1)

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
        return Text(
            f"input {self.input_spec}{label}{shape} | filters {filters} | "
            f"padding {self.padding} | stride {self.stride} | pool {pool} | {view} | "
            f"step {step}"
        )
