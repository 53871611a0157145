"""The training pane: progress of the epoch and the run, and its loss, accuracy and lr curves.

Train curves are per step, smoothed (an exponential moving average), and the loss is the loss
as trained: with the run's label smoothing, which the pane's caption says; test curves are per
epoch. The x axis counts epochs (step / steps per epoch), so both kinds of point line up, with
fractional ticks for short runs. The charts share the pane by the room it has: one above the
other when tall, side by side when wide, else one at a time; ``v`` shows the next chart (loss,
accuracy, the learning rate: the planned schedule and what the engine reported). A finished or
stopped run's curves come from its folder (``show_run``). The plots are rebuilt at most twice a
second, however often progress arrives.
"""

from __future__ import annotations

import time
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Static

from engine.training.events import EpochEnd, Progress, Started
from tui.train.curve_plot import Curves, curves_of_run, draw_chart
from tui.train.curve_views import VIEW_NAMES, VIEWS, captions, chart, cycle, explanation, legend
from tui.widgets.cached_plot import CachedPlot

REDRAW_S = 0.5
BUSY_REDRAW_S = 2.0  # while the user moves through layers and samples, their frames come first
MIN_CHART_ROWS = 9  # title, five y ticks over six rows, the x axis and its labels
MIN_CHART_COLS = 24


class TrainingPane(Vertical):
    """Progress bars and curves; feed it ``start``, ``progress`` and ``epoch_end`` events, or
    a run folder's summary with ``show_run``."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curves = Curves()
        self.epochs = 1
        self.steps_per_epoch = 1
        self.start_epoch = 0
        self.config: dict[str, Any] = {}  # the run's (label smoothing, lr schedule)
        self.run_dir: str | None = None  # the run whose curves are shown
        self.view = "loss"  # the chart v chose (one at a time) or the left one shows
        self.arrangement = "single"  # "stacked", "side" or "single": by the room there is
        self.y_labels: dict[str, list[str]] = {}  # each shown chart's y tick labels
        self._dirty = False
        self.busy_until = 0.0  # time.monotonic() until which the screen is being navigated
        self._drawn_at = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="bar-row"):
            yield Label("Epoch", classes="bar-label")
            yield ProgressBar(total=1, show_eta=False, id="epoch-bar")
            yield Label("Run", classes="bar-label")
            yield ProgressBar(total=1, show_eta=False, id="run-bar")
        yield Static("t: train · c: set up the run", id="train-message")
        with Horizontal(id="curves"):
            yield CachedPlot(id="loss-plot")
            yield CachedPlot(id="acc-plot")

    def on_mount(self) -> None:
        self.border_title = legend(self.shown_views())
        self.redraw()
        self.set_interval(REDRAW_S, self._redraw_if_dirty)

    # -------------------------------------------------------------------- feeding

    def start(self, event: Started) -> None:
        """A new run: clear the curves (a run resumed in the folder shown keeps them up to
        where it resumes) and size the bars."""
        resumed_here = bool(event.run_dir) and event.run_dir == self.run_dir and event.start_epoch
        self.curves = self.curves.up_to(event.start_epoch) if resumed_here else Curves()
        self.run_dir = event.run_dir
        self.config = dict(event.config or {})
        self.epochs = max(1, event.epochs)
        self.steps_per_epoch = max(1, event.steps_per_epoch)
        self.start_epoch = event.start_epoch
        self.set_bars(0, self.start_epoch * self.steps_per_epoch)
        self.set_message("")
        self._dirty = True

    def progress(self, event: Progress) -> None:
        steps = max(1, event.steps_per_epoch)
        self.steps_per_epoch = steps
        # Progress.epoch is the epoch in progress, from 1; step counts within it, from 1.
        done = event.epoch - 1 + event.step / steps
        self.set_bars(event.step, round(done * steps))
        self.curves.add_step(done, event.loss, event.acc, event.lr)
        self._dirty = True

    def epoch_end(self, event: EpochEnd) -> None:
        # EpochEnd.epoch counts completed epochs from 1.
        self.curves.add_epoch(float(event.epoch), event.test_loss, event.test_acc)
        # Progress is throttled, so its last one may predate the epoch's last steps.
        self.set_bars(self.steps_per_epoch, event.epoch * self.steps_per_epoch)
        self._dirty = True

    def show_run(self, summary: dict[str, Any], steps_per_epoch: int | None = None) -> None:
        """A saved run's curves (engine.training.history.RunHistory.summary of its folder):
        its planned epochs on the x axis, the bars where it ended."""
        self.curves = curves_of_run(summary)
        self.run_dir = summary.get("run_dir")
        self.config = dict(summary.get("config") or {})
        done = len(summary.get("epoch") or [])
        self.epochs = max(1, int(self.config.get("epochs") or done or 1))
        self.steps_per_epoch = max(1, int(steps_per_epoch or 1))
        self.start_epoch = done
        xs = (summary.get("steps") or {}).get("x") or []
        where = max([float(done), *xs])
        self.set_bars(
            round((where - int(where)) * self.steps_per_epoch) or self.steps_per_epoch * bool(done),
            round(where * self.steps_per_epoch),
        )
        self.redraw()

    def set_plan(self, config: dict[str, Any]) -> None:
        """Before any run: the next run's config (its planned learning rate, its epochs)."""
        if self.run_dir is None:
            from engine.training.lr_plan import config_steps_per_epoch

            self.config = dict(config)
            self.epochs = max(1, int(config.get("epochs") or 1))
            self.steps_per_epoch = config_steps_per_epoch(config)
            self._dirty = True

    def set_bars(self, epoch_steps: int, run_steps: int) -> None:
        """The epoch bar at ``epoch_steps`` and the run bar at ``run_steps`` steps."""
        steps = self.steps_per_epoch
        self.query_one("#epoch-bar", ProgressBar).update(total=steps, progress=epoch_steps)
        self.query_one("#run-bar", ProgressBar).update(
            total=self.epochs * steps, progress=run_steps
        )

    def finish(self, message: str) -> None:
        self.set_message(message)
        self.redraw()

    def clear(self, message: str) -> None:
        """No run of the model in view (a new model opened): no curves, empty bars, and
        ``message`` (the keys, the previous run) in their place."""
        self.curves = Curves()
        self.run_dir = None
        self.start_epoch = 0
        self.set_bars(0, 0)
        self.finish(message)

    def set_message(self, text: str) -> None:
        label = self.query_one("#train-message", Static)
        label.update(text)
        label.display = bool(text)

    def view_cycle(self) -> tuple[str, ...]:
        """The charts v steps through: all three one at a time, else loss and lr (the
        accuracy chart stays in view)."""
        return VIEWS if self.arrangement == "single" else ("loss", "lr")

    def next_view(self) -> str:
        """Show the next chart (loss, accuracy, learning rate); returns its name."""
        self.view = cycle(self.view_cycle(), self.view)
        self.redraw()
        return VIEW_NAMES[self.view]

    # -------------------------------------------------------------------- drawing

    def shown_views(self) -> tuple[str, ...]:
        """The charts on screen: (left or top, right or bottom), or the one of ``view``."""
        if self.arrangement == "single":
            return (self.view,)
        return ("lr" if self.view == "lr" else "loss", "accuracy")

    def on_resize(self, event: events.Resize) -> None:
        self.fit_charts()
        self.redraw()  # ticks and caption for the new size

    def on_cached_plot_resized(self, message: CachedPlot.Resized) -> None:
        """A chart resized by its neighbours (a message line shown or gone): new ticks."""
        message.stop()
        self._dirty = True

    def fit_charts(self) -> None:
        """Stacked where the pane is tall enough for two charts, side by side where wide
        enough, else one chart at a time."""
        curves = self.query_one("#curves")
        width, height = curves.size
        if height >= 2 * MIN_CHART_ROWS:
            arrangement = "stacked"
        elif width >= 2 * MIN_CHART_COLS:
            arrangement = "side"
        else:
            arrangement = "single"
        if arrangement != self.arrangement:
            self.arrangement = arrangement
            curves.styles.layout = "vertical" if arrangement == "stacked" else "horizontal"

    def _redraw_if_dirty(self) -> None:
        now = time.monotonic()
        if now < self.busy_until and now - self._drawn_at < BUSY_REDRAW_S:
            return  # two plots cost a 10-15 ms frame: not while keys are being pressed
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        self._drawn_at = time.monotonic()
        shown = self.shown_views()
        smoothing = float(self.config.get("label_smoothing") or 0.0)
        self.border_title = legend(shown)
        self.tooltip = explanation(smoothing)
        width = self.size.width - 4 if self.size.width else 200
        following = cycle(self.view_cycle(), self.view)
        wordings = captions(smoothing, self.curves.skipped, following, shown)
        self.border_subtitle = next((c for c in wordings if len(c) <= width), "")
        left, right = self.query_one("#loss-plot", CachedPlot), self.query_one("#acc-plot")
        left.display = shown[0] != "accuracy"
        right.display = "accuracy" in shown  # type: ignore[union-attr]
        self.y_labels = {}
        for view in shown:
            plot = right if view == "accuracy" else left
            self.y_labels[view] = self._draw(plot, view)  # type: ignore[arg-type]
            plot.changed()

    def _draw(self, plot: CachedPlot, view: str) -> list[str]:
        title, series, ylim = chart(view, self.curves, self.config, self.steps_per_epoch)
        width, height = plot.size.width or self.size.width, plot.size.height
        return draw_chart(
            plot.plt, title, series, epochs=self.epochs, width=width, ylim=ylim, height=height
        )
