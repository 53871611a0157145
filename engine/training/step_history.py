"""Kernel snapshots taken between epoch ends, and every snapshot of a run as one list of points.

Beside the per-epoch files of engine.training.history, a run with ``TrainConfig.snapshots`` >= 2
(engine.training.snapshot_plan) writes::

    history/steps.json           {"format": "cnn-tui-steps", "version": 1, "steps_per_epoch",
                                  "total_steps", "steps": [{"step", "epoch", "snapshot"}]}
    history/step-00000120.npz    the kernels after global step 120 (as an epoch's .npz)

:func:`snapshot_points` merges both into one list ordered by global step, each point keyed by
its step; a run written before step snapshots existed (no steps.json) still lists its epoch
snapshots. numpy and json only (the UI process may import it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from engine.training.history import (
    HISTORY_DIR,
    HistoryError,
    _atomic_write,
    load_history,
    load_npz,
    load_snapshot,
    pick_layer,
)
from engine.training.snapshot_plan import epoch_position

STEPS_FORMAT = "cnn-tui-steps"
STEPS_VERSION = 1
STEPS_FILE = "steps.json"
# A dense matrix bigger than this per side is kept as block means at the points (each a few
# dozen kB: fast-net's 128x1568 fc1 becomes 128x121 float16), read so at epoch ends too
POINT_DENSE_SIDE = 128


def block_means(matrix: np.ndarray, side: int) -> np.ndarray:
    """Block means of a 2-D matrix to at most ``side`` per side (the blocks of
    engine.render.maps.downsample, a shorter last one; with np.add.reduceat: ~1 ms for
    fast-net's fc1 where a padded nanmean takes ~13, once per snapshot during training)."""
    result = np.asarray(matrix, dtype=np.float32)
    for axis in (0, 1):
        size = result.shape[axis]
        factor = -(-size // side)
        if factor > 1:
            starts = np.arange(0, size, factor)
            counts = np.diff(np.append(starts, size)).astype(np.float32)
            shape = (-1, 1) if axis == 0 else (1, -1)
            result = np.add.reduceat(result, starts, axis=axis) / counts.reshape(shape)
    return result


def point_kernels(kernels: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The kernels as a point keeps them: conv kernels whole, a dense matrix over
    ``POINT_DENSE_SIDE`` per side as float16 block means."""
    kept = {}
    for name, weights in kernels.items():
        if weights.ndim == 2 and max(weights.shape) > POINT_DENSE_SIDE:
            with np.errstate(over="ignore"):  # a diverging run's huge weights become inf,
                means = block_means(weights, POINT_DENSE_SIDE).astype(np.float16)
            kept[name] = means  # which the inspector marks as ! like any non-finite value
        else:
            kept[name] = weights
    return kept


def _steps_index(folder: Path) -> dict[str, Any]:
    """history/steps.json, or {} when absent or not ours (a damaged file lists no steps)."""
    path = folder / HISTORY_DIR / STEPS_FILE
    try:
        data = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == STEPS_FORMAT else {}


def write_step_snapshot(
    run_dir: str | Path,
    step: int,
    kernels: dict[str, np.ndarray],
    steps_per_epoch: int,
    total_steps: int,
) -> Path:
    """Write the kernels after global ``step`` and list them in history/steps.json (both files
    atomically: a temporary file moved into place); returns the .npz. OSError when the disk
    refuses (the caller turns it into one line)."""
    folder = Path(run_dir)
    snapshot = folder / HISTORY_DIR / f"step-{int(step):08d}.npz"
    _atomic_write(snapshot, lambda f: np.savez(f, **kernels))
    index = _steps_index(folder)
    entries = [e for e in index.get("steps", []) if e.get("step") != int(step)]
    entries.append(
        {
            "step": int(step),
            "epoch": round(epoch_position(step, steps_per_epoch), 4),
            "snapshot": f"{HISTORY_DIR}/{snapshot.name}",
        }
    )
    entries.sort(key=lambda e: e["step"])
    text = json.dumps(
        {
            "format": STEPS_FORMAT,
            "version": STEPS_VERSION,
            "steps_per_epoch": int(steps_per_epoch),
            "total_steps": int(total_steps),
            "steps": entries,
        },
        indent=1,
    ).encode()
    _atomic_write(folder / HISTORY_DIR / STEPS_FILE, lambda f: f.write(text))
    return snapshot


def steps_index_bytes(run_dir: str | Path) -> bytes | None:
    """history/steps.json as it is now (None when absent), to put back with
    :func:`remove_step_snapshots`."""
    path = Path(run_dir) / HISTORY_DIR / STEPS_FILE
    try:
        return path.read_bytes()
    except OSError:
        return None


def remove_step_snapshots(run_dir: str | Path, steps: list[int], index: bytes | None) -> None:
    """Take the snapshots of ``steps`` back out and put steps.json back as ``index`` was
    (removed when None), as when the run that wrote them saved no checkpoint."""
    folder = Path(run_dir) / HISTORY_DIR
    for step in steps:
        (folder / f"step-{int(step):08d}.npz").unlink(missing_ok=True)
    if index is None:
        (folder / STEPS_FILE).unlink(missing_ok=True)
    else:
        _atomic_write(folder / STEPS_FILE, lambda f: f.write(index))


def _per_epoch(epoch_entries: list[dict[str, Any]], index: dict[str, Any]) -> int:
    """Steps per epoch: steps.json's, else read off an epoch snapshot's global step."""
    if int(index.get("steps_per_epoch") or 0) > 0:
        return int(index["steps_per_epoch"])
    for entry in epoch_entries:
        step, epoch = entry.get("global_step"), int(entry["epoch"])
        if isinstance(step, int) and epoch > 0 and step > 0:
            return step // epoch
    return 0


def snapshot_points(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every kernel snapshot on disk, ordered: dicts ``key`` (what to ask for: the global step,
    or the epoch for a run whose snapshots carry no step), ``step`` (None if unknown),
    ``epoch`` (float: 0.51 is half-way through the first epoch), ``total_steps`` (None if
    unknown), ``snapshot`` (path relative to the run) and ``end_of_epoch`` (int or None).
    HistoryError for a folder that is not a run (engine.training.history.load_history)."""
    run = load_history(run_dir)
    folder, index = run.run_dir, _steps_index(run.run_dir)
    per_epoch = _per_epoch(run.snapshots, index)
    epochs_total = int(run.config.get("epochs") or 0)
    total = int(index.get("total_steps") or 0) or (per_epoch * epochs_total) or None
    points = []
    for entry in run.snapshots:
        step = entry.get("global_step")
        step = step if isinstance(step, int) and not isinstance(step, bool) else None
        epoch = int(entry["epoch"])
        points.append((step, float(epoch), entry.get("snapshot"), epoch))
    for entry in index.get("steps", []):
        if isinstance(entry.get("step"), int):
            epoch = float(entry.get("epoch") or epoch_position(entry["step"], per_epoch))
            points.append((entry["step"], epoch, entry.get("snapshot"), None))
    points = [p for p in points if (folder / str(p[2] or "")).is_file()]
    by_step = all(p[0] is not None for p in points)
    unique: dict[int, dict[str, Any]] = {}
    for step, epoch, path, end in points:
        key = int(step) if by_step else int(epoch)
        if key in unique and unique[key]["end_of_epoch"] is not None:
            continue  # an epoch's own snapshot (with metrics) wins over a step one
        unique[key] = {"key": key, "step": step, "epoch": epoch, "total_steps": total,
                       "snapshot": str(path), "end_of_epoch": end}  # fmt: skip
    return [unique[k] for k in sorted(unique)]


def load_point(run_dir: str | Path, key: int) -> dict[str, np.ndarray]:
    """Every layer's weights at the point ``key`` (see :func:`snapshot_points`), float32."""
    points = {p["key"]: p for p in snapshot_points(run_dir)}
    point = points.get(int(key))
    if point is None:
        listed = ", ".join(str(k) for k in points) or "none"
        raise HistoryError(f"{run_dir} has no kernel snapshot at step {key}; steps: {listed}")
    if point["end_of_epoch"] is not None:
        kernels = load_snapshot(run_dir, point["end_of_epoch"])
    else:
        kernels = load_npz(Path(run_dir) / point["snapshot"])
    # every point at one resolution, so that a change between any two is defined
    return {name: w.astype(np.float32) for name, w in point_kernels(kernels).items()}


def point_layer(run_dir: str | Path, key: int, layer: str) -> np.ndarray:
    """One layer's weights at the point ``key``; HistoryError naming the layers otherwise."""
    return pick_layer(load_point(run_dir, key), layer)


def point_delta(run_dir: str | Path, layer: str, before: int, after: int) -> np.ndarray:
    """How ``layer``'s weights changed from point ``before`` to point ``after``."""
    return point_layer(run_dir, after, layer) - point_layer(run_dir, before, layer)
