"""The training curves' points and how one chart of them is drawn (plotext, no Textual).

``Curves`` holds the points (x in epochs): train loss and accuracy per step, smoothed (an
exponential moving average), test loss and accuracy per epoch, and the learning rate per step.
``epoch_ticks`` and ``value_ticks`` choose the axes' ticks: epochs with fractions (0.25, 0.5…)
where a run is short and the chart wide enough, and five values on the y axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

SMOOTHING = 0.9  # EMA weight of the previous value for the per-step train curves
MAX_POINTS = 1500  # per curve; older points are thinned out beyond this
Y_TICKS = 5
TITLE_AND_X_AXIS_ROWS = 4  # rows without y ticks: title, both frame lines, x labels
TRAIN_COLOR = "cyan"
TEST_COLOR = "orange"
PLAN_COLOR = "magenta"
Y_LABEL_WIDTH = 7  # columns plotext takes for y tick labels and the axis, about
EPOCH_STEPS = (0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500)

Points = list[tuple[float, float]]


@dataclass
class Curves:
    """The points of the curves, x in epochs."""

    train_loss: Points = field(default_factory=list)
    train_acc: Points = field(default_factory=list)
    test_loss: Points = field(default_factory=list)
    test_acc: Points = field(default_factory=list)
    lr: Points = field(default_factory=list)  # the learning rate the engine reported
    skipped: int = 0  # values that were not finite (NaN, inf): not drawn, counted for the caption
    _ema: tuple[float, float] | None = None

    def add_step(self, x: float, loss: float, acc: float, lr: float | None = None) -> None:
        """One window of training steps ending at ``x`` (mean loss, accuracy 0..1)."""
        if lr is not None and math.isfinite(lr):
            self.lr.append((x, lr))
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
        if len(self.lr) > MAX_POINTS:
            self.lr = self.lr[::2]

    def add_epoch(self, x: float, loss: float, acc: float) -> None:
        """The test loss and accuracy (0..1) after epoch ``x``."""
        for points, value, scale in ((self.test_loss, loss, 1), (self.test_acc, acc, 100)):
            if math.isfinite(value):
                points.append((x, scale * value))
            else:
                self.skipped += 1

    def up_to(self, x: float) -> Curves:
        """The curves with the points after ``x`` left out (a run resumed from there)."""
        kept = Curves(skipped=self.skipped, _ema=self._ema)
        for name in ("train_loss", "train_acc", "test_loss", "test_acc", "lr"):
            setattr(kept, name, [p for p in getattr(self, name) if p[0] <= x + 1e-9])
        return kept


def curves_of_run(summary: dict[str, Any]) -> Curves:
    """The curves of a finished or stopped run from its folder's summary
    (engine.training.history.RunHistory.summary): per-step train records where the run wrote
    steps.jsonl, else its per-epoch train means; test per epoch."""
    curves = Curves()
    steps = summary.get("steps") or {}
    xs = steps.get("x") or []
    if xs:
        losses, accs, lrs = (
            steps.get("train_loss", []),
            steps.get("train_acc", []),
            steps.get("lr", []),
        )
        for i, x in enumerate(xs):
            loss, acc = _at(losses, i), _at(accs, i)
            curves.add_step(float(x), _number(loss), _number(acc), _at(lrs, i))
    epochs = summary.get("epoch") or []
    values = summary.get("curves") or {}
    for i, epoch in enumerate(epochs):
        if not xs:
            loss, acc = _at(values.get("train_loss", []), i), _at(values.get("train_acc", []), i)
            curves.add_step(float(epoch), _number(loss), _number(acc))
        test_loss, test_acc = (
            _at(values.get("test_loss", []), i),
            _at(values.get("test_acc", []), i),
        )
        curves.add_epoch(float(epoch), _number(test_loss), _number(test_acc))
    return curves


def _at(values: list[Any], i: int) -> Any:
    return values[i] if i < len(values) else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan


def epoch_ticks(epochs: float, width: int) -> tuple[list[float], list[str]]:
    """Ticks for an x axis of ``epochs`` epochs on a chart ``width`` columns wide: the finest
    step of EPOCH_STEPS whose labels fit (0, 0.25, 0.5, 0.75, 1 for one epoch, when wide)."""
    right = max(float(epochs), 0.25)
    room = max(4, width - Y_LABEL_WIDTH)
    for step in EPOCH_STEPS:
        count = int(right / step + 1e-9) + 1
        ticks = [round(i * step, 4) for i in range(count)]
        labels = [f"{t:g}" for t in ticks]
        if 2 <= count <= 11 and sum(len(label) + 2 for label in labels) <= room:
            return ticks, labels
    return [0.0, right], ["0", f"{right:g}"]


def value_ticks(low: float, high: float, count: int = Y_TICKS) -> tuple[list[float], list[str]]:
    """``count`` (2 or more) evenly spaced ticks from ``low`` to ``high``, labelled with as
    many decimals as tell them apart."""
    if not high > low:
        high = low + 1.0
    count = max(2, count)
    step = (high - low) / (count - 1)
    ticks = [low + i * step for i in range(count)]
    if max(abs(low), abs(high)) < 0.01:
        return ticks, [f"{t:.1e}" for t in ticks]
    decimals = max(0, math.ceil(-math.log10(step)) + (1 if step < 1 else 0))
    if max(abs(low), abs(high)) < 10:  # small values (losses) keep a decimal: 2.6, not 3
        decimals = max(decimals, 1)
    decimals = min(4, decimals)
    return ticks, [f"{t:.{decimals}f}" for t in ticks]


def value_range(points: list[Points], floor: float | None = None) -> tuple[float, float]:
    """(low, high) around every y in ``points`` with a little room; (0, 1) when empty."""
    ys = [y for series in points for _, y in series]
    if not ys:
        return (0.0, 1.0)
    low, high = min(ys), max(ys)
    pad = (high - low) * 0.05 or max(abs(high) * 0.05, 1e-6)
    low, high = low - pad, high + pad
    if floor is not None:
        low = max(floor, low)
    return low, high


def draw_chart(
    plt: Any,
    title: str,
    series: list[tuple[Points, str, Any]],
    *,
    epochs: float,
    width: int,
    ylim: tuple[float, float],
    height: int = 0,
) -> list[str]:
    """Draw ``series`` ((points, "line" | "dots", colour)) on plotext's ``plt``, x from 0 to
    ``epochs`` with epoch ticks for ``width`` columns, y over ``ylim`` with five ticks (fewer
    where a chart ``height`` rows tall has fewer rows for them: two ticks on one row would
    leave plotext to pick one). Returns the y tick labels."""
    plt.clear_data()
    plt.clear_figure()
    plt.title(title)
    plt.xlim(0, max(float(epochs), 0.25))
    for points, kind, color in series:
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        if kind == "line":
            plt.plot(list(xs), list(ys), marker="braille", color=color)
        else:
            plt.scatter(list(xs), list(ys), marker="dot", color=color)
    plt.ylim(*ylim)
    rows = height - TITLE_AND_X_AXIS_ROWS if height else Y_TICKS
    yticks, ylabels = value_ticks(*ylim, count=min(Y_TICKS, rows))
    plt.yticks(yticks, ylabels)
    xticks, xlabels = epoch_ticks(epochs, width)
    plt.xticks(xticks, xlabels)
    return ylabels
