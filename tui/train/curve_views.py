"""What the training pane's charts show and say (plain functions, no Textual).

A view is one chart: "loss", "accuracy" or "lr" (the planned learning-rate schedule with the
rates the engine reported). ``chart`` gives a view's title, series and y range; ``legend``,
``captions`` and ``explanation`` the pane's border title, border subtitle (longest first: the
pane shows the first that fits) and tooltip.
"""

from __future__ import annotations

from typing import Any

from engine.training.lr_plan import planned_lr
from tui.train.curve_plot import PLAN_COLOR, TEST_COLOR, TRAIN_COLOR, Curves, Points, value_range

VIEWS = ("loss", "accuracy", "lr")
VIEW_NAMES = {"loss": "loss", "accuracy": "accuracy", "lr": "learning rate"}
Series = list[tuple[Points, str, str]]


def cycle(views: tuple[str, ...], view: str) -> str:
    """The view after ``view`` in ``views`` (the first when ``view`` is not among them)."""
    return views[(views.index(view) + 1) % len(views)] if view in views else views[0]


def legend(shown: tuple[str, ...]) -> str:
    """The border title (markup): what each line of the charts in view is."""
    parts = []
    if "lr" in shown:
        parts.append(f"[{PLAN_COLOR}]━ planned lr[/] [{TRAIN_COLOR}]• lr used[/]")
    if shown != ("lr",):
        parts.append(f"[{TRAIN_COLOR}]━ train[/] [{TEST_COLOR}]● test[/]")
    return "Training " + " ".join(parts)


def captions(
    smoothing: float, skipped: int, following: str, shown: tuple[str, ...] = ("loss", "accuracy")
) -> list[str]:
    """The border subtitle's wordings, longest first, for the charts ``shown``: the train
    loss's label smoothing said plainly (only while the loss is in view), the values not
    drawn, and what v shows next (``following``, a view)."""
    lead = f"{skipped} non-finite not drawn · " if skipped else ""
    key = f" · v: {VIEW_NAMES.get(following, 'loss')}"
    if shown == ("lr",):
        choices = [f"line: planned lr · dots: lr used{key}", f"planned and used lr{key}"]
        choices += ["planned and used lr", "lr"]
    elif "loss" not in shown:
        lr = "lr: planned line, used dots · " if "lr" in shown else ""
        choices = [f"{lr}train: EMA of batches · test: per epoch{key}"]
        choices += [f"lr: planned line, used dots{key}"] if lr else []
        choices += [f"train: EMA of batches · test: per epoch{key}", f"train: EMA{key}"]
        choices += ["train: EMA of batches", "train: EMA"]
    elif smoothing:
        loss = f"train loss incl. label smoothing {smoothing:g}"
        choices = [f"train: EMA of batches, {loss[6:]} · test: per epoch{key}", loss + key]
        choices += [loss, f"train loss incl. smoothing {smoothing:g}", "train: smoothed loss"]
    else:
        choices = [f"train: EMA of batches · test: per epoch{key}", f"train: EMA{key}"]
        choices += ["train: EMA of batches", "train: EMA"]
    return [lead + choice for choice in choices] + [lead.rstrip(" ·")]


def explanation(smoothing: float) -> str:
    """The pane's tooltip: every caption in full."""
    loss = (
        f"The train loss includes label smoothing {smoothing:g} (the loss the optimiser "
        "minimises), so it stays above the test loss, which has none."
        if smoothing
        else "Train and test loss are plain cross-entropy."
    )
    return (
        "Train (cyan line): an exponential moving average of the batches' loss and "
        f"accuracy. Test (orange dots): the whole test split after each epoch. {loss} "
        "x: epochs. v: the next chart (loss, accuracy, the learning-rate schedule)."
    )


def chart(
    view: str, curves: Curves, config: dict[str, Any], steps_per_epoch: int
) -> tuple[str, Series, tuple[float, float]]:
    """(title, series, y range) of ``view``; "lr" plans ``config``'s schedule."""
    if view == "accuracy":
        low = value_range([curves.train_acc, curves.test_acc])[0]
        series = [(curves.train_acc, "line", TRAIN_COLOR), (curves.test_acc, "dots", TEST_COLOR)]
        return "accuracy %", series, (max(0.0, min(low, 90.0)), 100.0)
    if view == "lr":
        plan = planned_lr(config, steps_per_epoch) if config else []
        series = [(plan, "line", PLAN_COLOR), (curves.lr, "dots", TRAIN_COLOR)]
        title = f"learning rate ({config.get('schedule', '?')})"
        return title, series, value_range([plan, curves.lr], floor=0.0)
    series = [(curves.train_loss, "line", TRAIN_COLOR), (curves.test_loss, "dots", TEST_COLOR)]
    return "loss", series, value_range([curves.train_loss, curves.test_loss], floor=0.0)
