"""Comparing runs in the UI: the compare view over the workbench.

``cnn-tui --compare RUN_DIR RUN_DIR ...``, or ``C`` in the app (a picker of the run folders,
tui.compare.picker), opens :class:`CompareScreen` over the workbench. It asks the engine child
for ``compare_runs`` (purpose ``compare.runs``, through the ``EngineService`` it is given; the
main screen posts the answer to it as an ``EngineAnswer``) and shows a table (model,
parameters, epochs, final and best test accuracy, training time), a legend line naming each
run's colour (kept off the plots) and two plots over epochs: the training loss per step (the
run folder's steps.jsonl, so a one-epoch run is a line too; per epoch for runs without one) and
the accuracy (train per step as lines, test per epoch as dots). Keys: r reloads, x exports the
table and curves as CSV into the first run's directory, escape goes back to the workbench as it
was.
"""

from __future__ import annotations

import math
from typing import Any

from rich.color import Color
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from engine.process.protocol import Reply
from tui.compare.table_fit import fit_rows
from tui.engine_service import EngineAnswer, EngineService
from tui.train.curve_plot import draw_chart, value_range
from tui.widgets.cached_plot import CachedPlot

PREFIX = "compare."
COLUMNS = ("run", "model", "params", "epochs", "final acc", "best acc", "train time")
PLOTS = (
    ("loss-plot", "train loss per step", "train_loss", 1.0),
    ("acc-plot", "accuracy % (line train, dots test)", "train_acc", 100.0),
)
# One colour per run (xterm-256 numbers, which plotext and Rich both take), in table order.
RUN_COLORS = (14, 214, 13, 10, 9, 12, 11, 15)
SMOOTHING = 0.5  # EMA weight of the previous value for the per-step curves (light: they are
# already means over a fiftieth of an epoch)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite number (a diverged run logs ``Infinity`` and ``NaN``)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_seconds(seconds: float | None) -> str:
    if not is_number(seconds) or not seconds:
        return "-"
    minutes, rest = divmod(float(seconds), 60)
    return f"{int(minutes)}m{rest:04.1f}s" if minutes else f"{rest:.1f}s"


def percent(value: float | None) -> str:
    return f"{100 * value:.2f}%" if is_number(value) else "-"


def table_row(run: dict[str, Any]) -> tuple[str, ...]:
    params = run.get("params") or 0
    return (
        str(run.get("name", "")),
        str(run.get("model", "")),
        f"{params:,}" if params else "-",
        str(run.get("epochs", 0)),
        percent(run.get("final_acc")),
        percent(run.get("best_acc")),
        format_seconds(run.get("seconds")),
    )


def curve_points(run: dict[str, Any], key: str, scale: float) -> tuple[list[int], list[float]]:
    """(epochs, values) of one curve, skipping epochs without a finite value."""
    pairs = [
        (e, v * scale)
        for e, v in zip(run.get("epoch", []), run.get("curves", {}).get(key, []), strict=False)
        if is_number(v) and is_number(e)
    ]
    return [e for e, _ in pairs], [v for _, v in pairs]


def step_points(run: dict[str, Any], key: str, scale: float) -> list[tuple[float, float]]:
    """(x in epochs, value) of the run's per-step curve ``key``, lightly smoothed; the
    per-epoch curve for a run without step records (older runs)."""
    steps = run.get("steps") or {}
    pairs = [
        (x, v * scale)
        for x, v in zip(steps.get("x") or [], steps.get(key) or [], strict=False)
        if is_number(x) and is_number(v)
    ]
    if not pairs:
        epochs, values = curve_points(run, key, scale)
        return list(zip(epochs, values, strict=True))
    smoothed, ema = [], pairs[0][1]
    for x, value in pairs:
        ema = SMOOTHING * ema + (1 - SMOOTHING) * value
        smoothed.append((x, ema))
    return smoothed


def run_color(position: int) -> int:
    return RUN_COLORS[position % len(RUN_COLORS)]


def curve_rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Long-format rows (one per run and epoch) for the CSV export."""
    rows = []
    for run in runs:
        curves = run.get("curves", {})
        for position, epoch in enumerate(run.get("epoch", [])):
            row = {"run": run.get("name"), "epoch": epoch}
            row.update(
                {key: values[position] for key, values in curves.items() if position < len(values)}
            )
            rows.append(row)
    return rows


class CompareScreen(Screen):
    """Several runs side by side; see the module docstring."""

    reply_prefix = "compare"
    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen > #compare-title { height: 1; text-style: bold; padding: 0 1; }
    CompareScreen > #compare-status { height: auto; max-height: 3; padding: 0 1; }
    CompareScreen > #compare-table { height: auto; max-height: 12; }
    CompareScreen > #compare-legend { height: auto; max-height: 2; padding: 0 1; }
    CompareScreen > #compare-plots { height: 1fr; min-height: 8; }
    CompareScreen PlotextPlot { width: 1fr; height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "Workbench"),
        Binding("r", "reload", "Reload"),
        Binding("x", "export", "Export CSV"),
    ]

    def __init__(self, run_dirs: list[str] | tuple[str, ...], engine: EngineService) -> None:
        super().__init__(id="compare")
        self.engine = engine
        self.run_dirs = [str(d) for d in run_dirs]
        self.runs: list[dict[str, Any]] = []
        self.status = ""
        self.exported: list[str] = []

    def compose(self) -> ComposeResult:
        count = len(self.run_dirs)
        title = f"Compare {count} run{'' if count == 1 else 's'}"
        yield Static(title, id="compare-title", markup=False)
        yield Static("Reading the runs…", id="compare-status", markup=False)
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="compare-legend")
        with Horizontal(id="compare-plots"):
            for plot_id, _, _, _ in PLOTS:
                yield CachedPlot(id=plot_id)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.action_reload()

    # ---------------------------------------------------------------- engine

    def ask(self, kind: str, op: str, **kwargs: Any) -> None:
        if not self.engine.running:
            self.set_status("The engine is not running.")
            return
        self.engine.want(PREFIX + kind, op, **kwargs)

    def on_engine_answer(self, message: EngineAnswer) -> None:
        self.engine_reply(message.purpose, message.reply, message.kwargs)

    def engine_reply(self, purpose: str, reply: Reply, kwargs: dict[str, Any]) -> None:
        """A reply to this screen's request."""
        if not reply.ok:
            self.set_status(reply.error or "compare failed")
            return
        payload = reply.payload or {}
        if purpose == PREFIX + "runs":
            self.show_runs(payload.get("runs", []))
        elif purpose == PREFIX + "export":
            self.exported = list(payload.get("paths", []))
            self.set_status(f"Exported {len(self.exported)} file(s) to {payload.get('folder')}")

    def set_status(self, text: str) -> None:
        self.status = text
        line = self.query_one("#compare-status", Static)
        line.update(text)
        line.display = bool(text)

    # --------------------------------------------------------------- drawing

    def show_runs(self, runs: list[dict[str, Any]]) -> None:
        self.runs = list(runs)
        self.fill_table()
        self.set_status("")
        legend = Text()
        for position, run in enumerate(self.runs):
            color = Color.from_ansi(run_color(position))
            legend.append(f"━ {run.get('name')}  ", style=f"bold {color.name}")
        self.query_one("#compare-legend", Static).update(legend)
        self.redraw()

    def fill_table(self) -> None:
        """The table's rows, the run and model names shortened to the screen's width."""
        table = self.query_one(DataTable)
        table.clear()
        width = table.size.width or self.size.width
        for row in fit_rows(COLUMNS, [table_row(run) for run in self.runs], width - 2):
            table.add_row(*row)

    def on_resize(self) -> None:
        self.fill_table()
        self.redraw()

    def redraw(self) -> None:
        """Both plots, for the plots' current width."""
        for plot_id, title, key, scale in PLOTS:
            self.draw_plot(self.query_one(f"#{plot_id}", CachedPlot), title, key, scale)

    def draw_plot(self, plot: CachedPlot, title: str, key: str, scale: float) -> None:
        """One line per run (per step), x in epochs; the accuracy plot adds each run's test
        accuracy per epoch as dots of its colour. The legend is the line above the plots."""
        series: list[tuple[list[tuple[float, float]], str, Any]] = []
        for position, run in enumerate(self.runs):
            color = run_color(position)
            series.append((step_points(run, key, scale), "line", color))
            if key == "train_acc":
                epochs, values = curve_points(run, "test_acc", scale)
                series.append((list(zip(epochs, values, strict=True)), "dots", color))
        floor = 0.0 if scale == 1.0 else None
        low, high = value_range([points for points, _, _ in series], floor=floor)
        if scale == 100.0:
            low, high = max(0.0, low), min(100.0, high)
        right = max([float(run.get("epochs") or 0) for run in self.runs] + [1.0])
        width = plot.size.width or self.size.width
        height = plot.size.height
        draw_chart(
            plot.plt, title, series, epochs=right, width=width, ylim=(low, high), height=height
        )
        plot.changed()

    # --------------------------------------------------------------- actions

    def action_reload(self) -> None:
        self.set_status("Reading the runs…")
        self.ask("runs", "compare_runs", dirs=self.run_dirs)

    def action_export(self) -> None:
        if not self.runs:
            self.set_status("Nothing to export yet.")
            return
        keys = ("name", "model", "params", "epochs", "final_acc", "best_acc", "seconds", "run_dir")
        rows = [{key: run.get(key) for key in keys} for run in self.runs]
        self.ask(
            "export",
            "export",
            name="compare",
            run_dir=self.run_dirs[0],
            tables={"runs": rows, "curves": curve_rows(self.runs)},
        )

    def action_close(self) -> None:
        self.app.pop_screen()
