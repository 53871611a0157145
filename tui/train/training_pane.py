"""The training pane: progress of the epoch and the run, and loss and accuracy curves.

Train curves are per step, smoothed (exponential moving average); test curves are per epoch.
The x axis counts epochs (step / steps per epoch), so both kinds of point line up. The plots
are rebuilt at most twice a second, however often progress arrives.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Static
from textual_plotext import PlotextPlot

from engine.training.events import EpochEnd, Progress, Started

SMOOTHING = 0.9  # EMA weight of the previous value for the per-step train curves
MAX_POINTS = 1500  # per curve; older points are thinned out beyond this
REDRAW_S = 0.5
SUBTITLE = "curves: train (smoothed) · test per epoch"
BUSY_REDRAW_S = 2.0  # while the user moves through layers and samples, their frames come first


@dataclass
class Curves:
    """The points of the four curves, x in epochs."""

    train_loss: list[tuple[float, float]] = field(default_factory=list)
    train_acc: list[tuple[float, float]] = field(default_factory=list)
    test_loss: list[tuple[float, float]] = field(default_factory=list)
    test_acc: list[tuple[float, float]] = field(default_factory=list)
    skipped: int = 0  # values that were not finite (NaN, inf): not drawn, counted for the caption
    _ema: tuple[float, float] | None = None

    def add_step(self, x: float, loss: float, acc: float) -> None:
        if not (math.isfinite(loss) and math.isfinite(acc)):  # a diverging run: not drawable
            self.skipped += 1
            return
        if self._ema is None:
            self._ema = (loss, acc)
        else:
            a = SMOOTHING
            self._ema = (a * self._ema[0] + (1 - a) * loss, a * self._ema[1] + (1 - a) * acc)
        self.train_loss.append((x, self._ema[0]))
        self.train_acc.append((x, 100 * self._ema[1]))
        if len(self.train_loss) > MAX_POINTS:
            self.train_loss = self.train_loss[::2]
            self.train_acc = self.train_acc[::2]

    def add_epoch(self, x: float, loss: float, acc: float) -> None:
        for points, value, scale in ((self.test_loss, loss, 1), (self.test_acc, acc, 100)):
            if math.isfinite(value):
                points.append((x, scale * value))
            else:
                self.skipped += 1


class TrainingPane(Vertical):
    """Progress bars and curves; feed it ``start``, ``progress`` and ``epoch_end`` events."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curves = Curves()
        self.epochs = 1
        self.steps_per_epoch = 1
        self.start_epoch = 0
        self._dirty = False
        self.busy_until = 0.0  # time.monotonic() until which the screen is being navigated
        self._drawn_at = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="bar-row"):
            yield Label("Epoch", classes="bar-label")
            yield ProgressBar(total=1, show_eta=False, id="epoch-bar")
        with Horizontal(classes="bar-row"):
            yield Label("Run", classes="bar-label")
            yield ProgressBar(total=1, show_eta=False, id="run-bar")
        yield Static("t: train · c: set up the run", id="train-message")
        with Horizontal(id="curves"):
            yield PlotextPlot(id="loss-plot")
            yield PlotextPlot(id="acc-plot")

    def on_mount(self) -> None:
        self.border_title = "Training"
        self.redraw()
        self.set_interval(REDRAW_S, self._redraw_if_dirty)

    # -------------------------------------------------------------------- feeding

    def start(self, event: Started) -> None:
        """A new run: clear the curves and size the bars."""
        self.curves = Curves()
        self.epochs = max(1, event.epochs)
        self.steps_per_epoch = max(1, event.steps_per_epoch)
        self.start_epoch = event.start_epoch
        self.query_one("#epoch-bar", ProgressBar).update(total=self.steps_per_epoch, progress=0)
        self.query_one("#run-bar", ProgressBar).update(
            total=self.epochs * self.steps_per_epoch,
            progress=self.start_epoch * self.steps_per_epoch,
        )
        self.set_message("")
        self._dirty = True

    def progress(self, event: Progress) -> None:
        steps = max(1, event.steps_per_epoch)
        self.steps_per_epoch = steps
        # Progress.epoch is the epoch in progress, from 1; step counts within it, from 1.
        done = event.epoch - 1 + event.step / steps
        self.query_one("#epoch-bar", ProgressBar).update(total=steps, progress=event.step)
        self.query_one("#run-bar", ProgressBar).update(
            total=self.epochs * steps, progress=round(done * steps)
        )
        self.curves.add_step(done, event.loss, event.acc)
        self._dirty = True

    def epoch_end(self, event: EpochEnd) -> None:
        # EpochEnd.epoch counts completed epochs from 1.
        self.curves.add_epoch(float(event.epoch), event.test_loss, event.test_acc)
        # Progress is throttled, so its last one may predate the epoch's last steps.
        self.query_one("#epoch-bar", ProgressBar).update(progress=self.steps_per_epoch)
        self.query_one("#run-bar", ProgressBar).update(progress=event.epoch * self.steps_per_epoch)
        self._dirty = True

    def finish(self, message: str) -> None:
        self.set_message(message)
        self.redraw()

    def set_message(self, text: str) -> None:
        label = self.query_one("#train-message", Static)
        label.update(text)
        label.display = bool(text)

    # -------------------------------------------------------------------- drawing

    def _redraw_if_dirty(self) -> None:
        now = time.monotonic()
        if now < self.busy_until and now - self._drawn_at < BUSY_REDRAW_S:
            return  # two plots cost a 10-15 ms frame: not while keys are being pressed
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        self._drawn_at = time.monotonic()
        skipped = f" · {self.curves.skipped} non-finite not drawn" if self.curves.skipped else ""
        self.border_subtitle = f"{SUBTITLE}{skipped}"
        self._draw(
            self.query_one("#loss-plot", PlotextPlot),
            "loss",
            self.curves.train_loss,
            self.curves.test_loss,
            None,
        )
        self._draw(
            self.query_one("#acc-plot", PlotextPlot),
            "accuracy %",
            self.curves.train_acc,
            self.curves.test_acc,
            (0, 100),
        )

    def _draw(
        self,
        plot: PlotextPlot,
        title: str,
        train: list[tuple[float, float]],
        test: list[tuple[float, float]],
        ylim: tuple[float, float] | None,
    ) -> None:
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        right = float(max(self.epochs, 1))
        plt.xlim(0, right)
        if train:
            xs, ys = zip(*train, strict=True)
            plt.plot(list(xs), list(ys), marker="braille", color="cyan")
        if test:
            xs, ys = zip(*test, strict=True)
            plt.scatter(list(xs), list(ys), marker="dot", color="orange")
        if ylim is not None and train:
            low = min(y for _, y in train + test)
            plt.ylim(max(0.0, min(low, 90.0) - 1), ylim[1])
        elif not train and not test:
            plt.ylim(0, 1)
        plt.xticks(list(range(0, int(right) + 1)))
        plot.refresh()
