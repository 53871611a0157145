"""Per-epoch snapshots of kernels and metrics in a run directory: the files, reading them back.

Layout inside a run directory (written by ``engine.training.snapshots.record_epoch``, which the
trainer calls before
a fresh run's first step, for epoch 0 = the initial weights, and at the end of every epoch)::

    history/index.json        {"format": "cnn-tui-history", "version": 1, "model", "params",
                               "config", "epochs": [{"epoch", metrics..., "snapshot"}]}
    history/epoch-0003.npz    one array per layer with weights (conv (out, in, kh, kw),
                              dense (out, in)); dense matrices over 65,536 entries as float16
    history/epoch-0000.npz    the weights at random initialisation (index entry without metrics)

numpy and json only (the UI process imports this module); taking the snapshot of a model is
``engine.training.snapshots``, comparing runs ``engine.training.compare``. A folder that does not
exist, or holds neither a history index nor the trainer's metrics.jsonl, raises EngineError with
one line naming it and the fix.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import EngineError
from engine.training.step_records import read_steps, step_curves

FORMAT = "cnn-tui-history"
VERSION = 1
HISTORY_DIR = "history"
INDEX_FILE = "index.json"
METRICS_FILE = "metrics.jsonl"  # written by engine.training.loop, one JSON object per epoch
CONFIG_FILE = "config.json"
HALF_PRECISION_ABOVE = 65_536  # big dense matrices are stored as float16 to keep runs small
CURVE_KEYS = ("train_loss", "train_acc", "test_loss", "test_acc")
RUN_HINT = "pass a run directory written by `python -m engine train` or cnn-tui"
INITIAL_EPOCH = 0  # the snapshot of the weights before training: no metrics, not a trained epoch


class HistoryError(EngineError):
    """A run directory is missing, foreign, or lacks the snapshot asked for."""


# ----------------------------------------------------------------------------- writing


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file_object)`` on a temporary file, then move it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """JSON-safe scalars: numpy and torch scalars to Python, NaN and inf to None."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def write_snapshot(
    run_dir: str | Path,
    epoch: int,
    kernels: dict[str, np.ndarray],
    metrics: dict[str, Any],
    header: dict[str, Any],
) -> Path:
    """Write one epoch's kernels and add its metrics to the run's index; returns the .npz."""
    folder = Path(run_dir) / HISTORY_DIR
    snapshot = folder / f"epoch-{int(epoch):04d}.npz"
    _atomic_write(snapshot, lambda f: np.savez(f, **kernels))
    index = _read_index(folder / INDEX_FILE) if (folder / INDEX_FILE).is_file() else {}
    entries = [e for e in index.get("epochs", []) if e.get("epoch") != int(epoch)]
    entry = {**_plain(metrics), "epoch": int(epoch), "snapshot": f"{HISTORY_DIR}/{snapshot.name}"}
    entries.append(entry)
    entries.sort(key=lambda e: e["epoch"])
    index = {"format": FORMAT, "version": VERSION, **_plain(header), "epochs": entries}
    text = json.dumps(index, indent=1).encode()
    _atomic_write(folder / INDEX_FILE, lambda f: f.write(text))
    return snapshot


# ----------------------------------------------------------------------------- reading


def _read_index(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise HistoryError(f"{path} is unreadable ({type(exc).__name__}); {RUN_HINT}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise HistoryError(f"{path} is not a cnn-tui history index; {RUN_HINT}")
    if int(data.get("version", 0)) > VERSION:
        raise HistoryError(f"{path} was written by a newer cnn-tui; upgrade cnn-tui to read it")
    return data


def finite_number(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class RunHistory:
    """What a run directory says about its run: model, size, config and per-epoch metrics.

    ``epochs`` holds the trained epochs (1, 2, ...) with their metrics; ``snapshots`` every
    index entry with a kernel snapshot, epoch 0 (the initial weights) included.
    """

    run_dir: Path
    model: str
    params: int
    config: dict[str, Any] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    @property
    def epoch_numbers(self) -> list[int]:
        return [int(e["epoch"]) for e in self.epochs]

    def curve(self, key: str) -> list[float | None]:
        """The metric ``key`` per epoch; None where it is missing or not a finite number (a
        diverged run's ``Infinity``/``NaN``), which plots and tables skip."""
        return [finite_number(e.get(key)) for e in self.epochs]

    @property
    def final_acc(self) -> float | None:
        return finite_number(self.epochs[-1].get("test_acc")) if self.epochs else None

    @property
    def best_acc(self) -> float | None:
        values = [v for v in self.curve("test_acc") if v is not None]
        return max(values) if values else None

    @property
    def seconds(self) -> float:
        """Training seconds: the trainer's running total, else the sum over epochs."""
        if self.epochs and finite_number(self.epochs[-1].get("elapsed")) is not None:
            return float(self.epochs[-1]["elapsed"])
        return float(sum(finite_number(e.get("seconds")) or 0.0 for e in self.epochs))

    def summary(self) -> dict[str, Any]:
        """Plain values for a table row and the curves for plotting: per epoch (``epoch``,
        ``curves``) and per step (``steps``: engine.training.step_records.step_curves)."""
        return {
            "run_dir": str(self.run_dir),
            "name": self.run_dir.name,
            "model": self.model,
            "params": self.params,
            "epochs": len(self.epochs),
            "final_acc": self.final_acc,
            "best_acc": self.best_acc,
            "seconds": self.seconds,
            "epoch": self.epoch_numbers,
            "curves": {key: self.curve(key) for key in CURVE_KEYS},
            "steps": step_curves(read_steps(self.run_dir)),
            "label_smoothing": finite_number(self.config.get("label_smoothing")) or 0.0,
        }


def check_run_dir(run_dir: str | Path) -> Path:
    """The folder if it holds a run (cheap: no file is parsed); HistoryError otherwise."""
    folder = Path(run_dir).expanduser()
    if not folder.is_dir():
        raise HistoryError(f"run directory {folder} does not exist; {RUN_HINT}")
    markers = (folder / HISTORY_DIR / INDEX_FILE, folder / METRICS_FILE, folder / CONFIG_FILE)
    if not any(marker.is_file() for marker in markers):
        raise HistoryError(
            f"{folder} is not a cnn-tui run directory (no {HISTORY_DIR}/"
            f"{INDEX_FILE} or {METRICS_FILE}); {RUN_HINT}"
        )
    return folder


def load_history(run_dir: str | Path) -> RunHistory:
    """The run's history; HistoryError for a missing or foreign directory.

    A run without snapshots (history/index.json) is still read from the trainer's
    metrics.jsonl and config.json; it then lists no snapshots.
    """
    folder = check_run_dir(run_dir)
    index = folder / HISTORY_DIR / INDEX_FILE
    data = _read_index(index) if index.is_file() else _trainer_files(folder)
    entries = [  # an entry without a numeric epoch cannot be placed: skipped, not a crash
        e
        for e in data.get("epochs") or []
        if isinstance(e, dict) and finite_number(e.get("epoch")) is not None
    ]
    return RunHistory(
        folder,
        str(data.get("model") or "?"),
        int(data.get("params") or 0),
        dict(data.get("config") or {}),
        [e for e in entries if int(e["epoch"]) > INITIAL_EPOCH],
        [e for e in entries if e.get("snapshot")],
    )


def _trainer_files(folder: Path) -> dict[str, Any]:
    """A history index rebuilt from the trainer's config.json and metrics.jsonl."""
    try:
        config_path = folder / CONFIG_FILE
        config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        metrics_path = folder / METRICS_FILE
        lines = metrics_path.read_text().splitlines() if metrics_path.is_file() else []
        epochs = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise HistoryError(
            f"{folder} has an unreadable {CONFIG_FILE} or {METRICS_FILE} "
            f"({type(exc).__name__}); {RUN_HINT}"
        ) from None
    model = config.get("model") if isinstance(config, dict) else None
    return {
        "model": model,
        "params": 0,  # unknown: engine.training.compare counts it by building the model
        "config": config,
        "epochs": [e for e in epochs if isinstance(e, dict) and "epoch" in e],
    }


def list_snapshots(run_dir: str | Path) -> list[int]:
    """The epochs with a kernel snapshot on disk, in order (0: the initial weights)."""
    history = load_history(run_dir)
    return [
        int(e["epoch"])
        for e in history.snapshots
        if (history.run_dir / str(e.get("snapshot", ""))).is_file()
    ]


def step_snapshot(epochs: list[int], current: int | None, step: int) -> int | None:
    """The snapshot ``step`` places after (or before, negative) ``current``, clamped."""
    if not epochs:
        return None
    if current not in epochs:
        return epochs[-1] if step <= 0 else epochs[0]
    position = min(max(epochs.index(current) + step, 0), len(epochs) - 1)
    return epochs[position]


def load_snapshot(run_dir: str | Path, epoch: int) -> dict[str, np.ndarray]:
    """Every layer's weights at the end of ``epoch`` (0: before training) as float32 arrays."""
    history = load_history(run_dir)
    entry = next((e for e in history.snapshots if int(e["epoch"]) == int(epoch)), None)
    if entry is None:
        saved = [str(e["epoch"]) for e in history.snapshots]
        raise HistoryError(
            f"{history.run_dir} has no snapshot for epoch {epoch}; epochs: "
            f"{', '.join(saved) or 'none'}"
        )
    return load_npz(history.run_dir / str(entry.get("snapshot", "")), "epoch")


def load_npz(path: Path, other: str = "snapshot") -> dict[str, np.ndarray]:
    """Every array of one snapshot file as float32; HistoryError (one line, naming the file and
    suggesting another ``other``) when it is missing or cut short."""
    try:
        with np.load(path) as archive:
            return {name: archive[name].astype(np.float32) for name in archive.files}
    except (OSError, ValueError) as exc:
        raise HistoryError(
            f"snapshot {path} is unreadable ({type(exc).__name__}); it may "
            f"have been cut short: train again or pick another {other}"
        ) from None


def pick_layer(kernels: dict[str, np.ndarray], layer: str) -> np.ndarray:
    """``kernels[layer]``; HistoryError naming the layers the snapshot has otherwise."""
    if layer not in kernels:
        raise HistoryError(
            f"the snapshot has no layer {layer!r}; layers with weights: "
            f"{', '.join(kernels) or 'none'}"
        )
    return kernels[layer]


def snapshot_layer(run_dir: str | Path, epoch: int, layer: str) -> np.ndarray:
    """One layer's weights at the end of ``epoch``."""
    return pick_layer(load_snapshot(run_dir, epoch), layer)


def kernel_delta(run_dir: str | Path, layer: str, before: int, after: int) -> np.ndarray:
    """How ``layer``'s weights changed from epoch ``before`` to epoch ``after`` (after - before)."""
    return snapshot_layer(run_dir, after, layer) - snapshot_layer(run_dir, before, layer)
