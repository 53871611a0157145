"""Which model and dataset a run or checkpoint names, as text that still works elsewhere.

A user's model is built from the absolute ``path.py:Name`` its ModelInfo records (``source``),
so a checkpoint reopens from any working directory; a folder or CIFAR dataset is recorded with
an absolute path for the same reason. Torch-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.data.dataset_ref import parse_dataset
from engine.models.catalog import is_model_source

# The digits' class names, for checkpoints written before classes were recorded
DIGITS = tuple(str(i) for i in range(10))


def recorded_dataset(text: str | None) -> str:
    """``text`` as a checkpoint records it (engine.data.dataset_ref's canonical text):
    ``mnist``, ``fashion-mnist``, or the kind with the absolute path (``folder:/data/shapes``).
    DataError (one line) for an unknown kind."""
    return parse_dataset(text).text


def same_dataset(first: str | None, second: str | None) -> bool:
    """Whether two dataset texts name the same data (``mnist`` for None)."""
    try:
        return recorded_dataset(first or "mnist") == recorded_dataset(second or "mnist")
    except Exception:  # a text that does not parse equals only itself
        return (first or "mnist") == (second or "mnist")


def source_file(source: str) -> Path | None:
    """The file of a ``path.py:Name`` model source (None for ``package.module:Name``)."""
    location = source.rpartition(":")[0]
    return Path(location).expanduser() if location.endswith(".py") else None


def model_source_for(config: Any, ckpt: dict[str, Any] | None = None) -> str:
    """What to build for ``config.model``: resuming a user's model, the absolute source its
    checkpoint records (when that file is there), so a run resumes from any folder."""
    recorded = str(((ckpt or {}).get("info") or {}).get("source") or "")
    saved_model = ((ckpt or {}).get("config") or {}).get("model")
    if recorded and saved_model == config.model:
        file = source_file(recorded)
        if file is None or file.is_file():
            return recorded
    return config.model


def checkpoint_model(ckpt: dict[str, Any]) -> tuple[str, str]:
    """(what to build, the recorded source or "") for a checkpoint: the recorded absolute
    source when it is there, else the name the run was given (relative to this folder)."""
    recorded = str((ckpt.get("info") or {}).get("source") or "")
    name = ckpt["config"].get("model") or ckpt["model"]
    if not recorded:
        return name, ""
    file = source_file(recorded)
    if file is None or file.is_file():
        return recorded, recorded
    given = source_file(name) if is_model_source(name) else None
    if given is not None and given.is_file():
        return name, recorded
    return recorded, recorded
