"""The real range of every numeric training option, checked in one place (TrainConfig.validate),
so the CLI, the app's command line and its run form refuse the same values with the same line."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_BATCH = 60_000  # the MNIST training set: a bigger batch is the whole set
MAX_EPOCHS = 10_000
MAX_SEED = 2**32 - 1  # numpy's range; torch's generators take it whole
MAX_COUNT = 2**31 - 1  # subsets and --log-every: more than any split holds
# Not this machine's CPU count: a run records its threads, and a resume elsewhere replays them
# (the same count gives the same sums). 1024 threads work; 100000 crash torch's thread pool.
MAX_THREADS = 1024
MAX_SNAPSHOTS = 1000  # engine.training.snapshot_plan: each snapshot is a file of kernels


@dataclass(frozen=True)
class Bound:
    """One option's allowed values: a whole number or a finite real number in [low, high]
    (``high_open``: high itself excluded; ``low_open``: low excluded); None where allowed."""

    option: str
    low: float
    high: float
    whole: bool = False
    low_open: bool = False
    high_open: bool = False
    optional: bool = False

    def problem(self, value: Any) -> str | None:
        """None if value is allowed, else the message naming the option, range and value."""
        if value is None and self.optional:
            return None
        if not _number(value, self.whole) or not self._inside(float(value)):
            return f"{self.option} must be {self.describe()}, not {_shown(value)}"
        return None

    def _inside(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below

    def describe(self) -> str:
        """The range in words: "a whole number from 1 to 60000", "a number in [0, 1)"."""
        if self.whole:
            return f"a whole number from {int(self.low)} to {int(self.high)}"
        if self.high == math.inf:
            return f"a finite number {'above' if self.low_open else 'of at least'} {self.low:g}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"a number in {left}{self.low:g}, {self.high:g}{right}"


def _number(value: Any, whole: bool) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if whole else isinstance(value, int | float)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def bounds() -> list[tuple[str, Bound]]:
    """(TrainConfig field, Bound) for every numeric option."""
    return [
        ("lr", Bound("--lr", 0, math.inf, low_open=True)),
        ("momentum", Bound("--momentum", 0, 1, high_open=True)),
        ("weight_decay", Bound("--weight-decay", 0, math.inf)),
        ("label_smoothing", Bound("--label-smoothing", 0, 1, high_open=True)),
        ("batch_size", Bound("--batch-size", 1, MAX_BATCH, whole=True)),
        ("epochs", Bound("--epochs", 1, MAX_EPOCHS, whole=True)),
        ("seed", Bound("--seed", 0, MAX_SEED, whole=True)),
        ("threads", Bound("--threads", 0, MAX_THREADS, whole=True)),
        ("train_subset", Bound("--train-subset", 1, MAX_COUNT, whole=True, optional=True)),
        ("test_subset", Bound("--test-subset", 1, MAX_COUNT, whole=True, optional=True)),
        ("log_every", Bound("--log-every", 0, MAX_COUNT, whole=True)),
        ("snapshots", Bound("--snapshots", 0, MAX_SNAPSHOTS, whole=True)),
    ]


def option_problem(config: Any) -> str | None:
    """The first numeric option of ``config`` (a TrainConfig) outside its range, as a message
    such as "--batch-size must be a whole number from 1 to 60000, not 10000000"; None if all
    are in range."""
    for name, bound in bounds():
        if hasattr(config, name) and (problem := bound.problem(getattr(config, name))):
            return problem
    return None


def input_shape_problem(shape: Any) -> str | None:
    """Why ``shape`` is not an input shape (C, H, W) of whole numbers in range
    (engine.models.catalog), or None (None itself: the dataset decides)."""
    from engine.models.catalog import INPUT_SHAPE_FORM
    from engine.models.catalog import input_shape_problem as shape_problem

    if shape is None:
        return None
    if not isinstance(shape, (tuple, list)) or not all(_number(d, whole=True) for d in shape):
        return f"--input-shape must be {INPUT_SHAPE_FORM}, not {_shown(shape)}"
    return shape_problem(tuple(shape))


def data_problem(dataset: Any, input_shape: Any, check_paths: bool = True) -> str | None:
    """Why ``dataset`` (mnist, fashion-mnist, folder:PATH, cifar10:PATH) or ``input_shape``
    cannot be trained on, as one line, or None. ``check_paths``: also that a folder or CIFAR
    path is on disk (engine.data.dataset_ref.dataset_problem); else only the form."""
    from engine.data.dataset_ref import dataset_problem, parse_dataset
    from engine.errors import EngineError

    if not isinstance(dataset, str) or not dataset.strip():
        return f"--dataset must name a dataset, not {_shown(dataset)}"
    if check_paths:
        problem = dataset_problem(dataset)
    else:
        try:
            parse_dataset(dataset)
            problem = None
        except (EngineError, ValueError) as exc:
            problem = str(exc)
    return problem or input_shape_problem(input_shape)
