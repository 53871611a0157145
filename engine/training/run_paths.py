"""Where a run's checkpoint is, told without torch (the UI process checks paths with it too).

``resolve_checkpoint_path`` is the one resolution every command uses: ``eval``, ``summary``,
``kernels``, ``featuremaps``, ``train --resume``, the app's ``load`` op and ``cnn-tui
--checkpoint`` all accept a checkpoint file or the run folder holding it.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import CheckpointError
from engine.training.history import CONFIG_FILE, HISTORY_DIR, METRICS_FILE
from engine.training.step_records import STEPS_FILE

CHECKPOINT_NAME = "checkpoint.pt"
# What a run writes into its folder; any of them there means the folder holds a run.
RUN_FILES = (CHECKPOINT_NAME, CONFIG_FILE, METRICS_FILE, HISTORY_DIR, STEPS_FILE)


def resolve_checkpoint_path(path: str | Path) -> Path:
    """A checkpoint file, or a run folder holding checkpoint.pt, as the file's path.

    Raises CheckpointError (one line) when neither exists.
    """
    candidate = Path(path).expanduser()
    if candidate.is_dir():
        candidate = candidate / CHECKPOINT_NAME
    if not candidate.is_file():
        raise CheckpointError(
            f"checkpoint {candidate} does not exist; pass a run's checkpoint.pt "
            "(runs/<run>/checkpoint.pt) or its run folder"
        )
    return candidate


def holds_run(folder: str | Path) -> bool:
    """Whether ``folder`` holds a training run's files (``RUN_FILES``)."""
    return any((Path(folder) / name).exists() for name in RUN_FILES)


def free_run_dir(folder: str | Path) -> Path:
    """``folder`` when it holds no run, else the first of ``folder-2``, ``folder-3``, ... that
    holds none: where the app puts a fresh run so that no saved run is replaced."""
    base = Path(folder)
    candidate, number = base, 1
    while holds_run(candidate):
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate
