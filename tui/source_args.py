"""What the app is told to open, checked without torch: a model source, a dataset, an input shape.

``--model path/model.py:Name``, ``--dataset mnist|fashion-mnist|folder:PATH|cifar10:PATH`` and
``--input-shape C,H,W`` (the command line and the run form share these checks). The engine's
torch-free checks (``engine.models.catalog``, ``engine.data.dataset_ref``) say what is wrong;
each problem is one line naming the fix. The run config gets the dataset and input shape as
``TrainConfig.dataset`` / ``TrainConfig.input_shape``.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

DATASETS_HELP = (
    "mnist (default), fashion-mnist, folder:PATH (one subfolder per class), cifar10:PATH"
)


def format_input_shape(shape: Any) -> str:
    """``(3, 32, 32)`` -> ``"3,32,32"``; "" for None."""
    return ",".join(str(int(d)) for d in shape) if shape else ""


def model_problem(text: str) -> str | None:
    """Why ``text`` cannot be opened as a model source (missing file, ...), or None; None too
    for a registry name or spec (the engine checks those when it builds them)."""
    from engine.models.catalog import is_model_source, model_source_problem

    if not is_model_source(text):
        return None
    return model_source_problem(text)


def dataset_problem(text: str) -> str | None:
    """Why ``text`` is not a dataset the engine can read (one line with the fix), or None."""
    from engine.data.dataset_ref import dataset_problem as problem

    return problem(text)


def has_data_fields() -> bool:
    """Whether this engine's TrainConfig carries ``dataset`` and ``input_shape``."""
    from engine.training.config import TrainConfig

    names = {f.name for f in fields(TrainConfig)}
    return {"dataset", "input_shape"} <= names


def with_data(config: Any, dataset: str | None, input_shape: tuple[int, ...] | None) -> Any:
    """``config`` (a TrainConfig) training on ``dataset`` at ``input_shape`` (None keeps its
    own); unchanged when neither is given."""
    changes: dict[str, Any] = {}
    if dataset:
        changes["dataset"] = dataset
    if input_shape:
        changes["input_shape"] = tuple(int(d) for d in input_shape)
    return replace(config, **changes) if changes else config


def load_args(config: Any) -> dict[str, Any]:
    """The ``load`` op's data arguments for ``config``: ``dataset`` unless MNIST (the
    engine's default) and ``input_shape`` when set."""
    dataset = getattr(config, "dataset", "mnist") or "mnist"
    shape = getattr(config, "input_shape", None)
    args: dict[str, Any] = {}
    if dataset != "mnist":
        args["dataset"] = dataset
    if shape:
        args["input_shape"] = tuple(int(d) for d in shape)
    return args


def same_model(config: Any, other: Any) -> bool:
    """Whether two run configs train the same model on the same data (shape included)."""
    return (config.model, data_of(config)) == (other.model, data_of(other))


def saved_run_config(config: Any, info: dict[str, Any]) -> Any:
    """``config`` training the model an opened checkpoint holds (its ``load`` info): a user
    model from its file (``source``), on the dataset it was trained on."""
    changes = {"model": info.get("source") or info["name"]}
    if info.get("dataset") and has_data_fields():
        changes["dataset"] = info["dataset"]
    return replace(config, **changes)


def data_of(config: Any) -> tuple[str, tuple[int, ...] | None]:
    """(dataset, input_shape) of a run config: what a loaded model was built for."""
    shape = getattr(config, "input_shape", None)
    return getattr(config, "dataset", "mnist") or "mnist", tuple(shape) if shape else None
