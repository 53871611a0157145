"""A model built for a dataset: its input shape and classes from the data, its info carrying
the dataset's name, class names and per-channel mean and std (what every view and the
checkpoint read back)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from torch import nn

from engine.models.registry import ModelInfo, build_model
from engine.training.model_source import recorded_dataset


def info_for_dataset(
    info: ModelInfo, data: Any, dataset: str, input_shape: tuple[int, int, int] | None = None
) -> ModelInfo:
    """``info`` with ``data``'s (engine.data.datasets.Dataset) input shape (or
    ``input_shape``, when the data was read at its own size), classes, mean and std (one
    value repeated for each channel of a grey dataset fed to a colour model), and ``dataset``
    as a checkpoint records it (absolute paths)."""
    shape = tuple(int(d) for d in (input_shape or data.input_shape))
    mean = tuple(float(m) for m in data.mean)
    std = tuple(float(s) for s in data.std)
    if len(mean) == 1 and shape[0] > 1:
        mean, std = mean * shape[0], std * shape[0]
    return replace(
        info,
        input_shape=shape,
        classes=tuple(str(c) for c in data.classes),
        mean=mean,
        std=std,
        dataset=recorded_dataset(dataset),
    )


def dataset_classes(text: str | None) -> tuple[str, ...]:
    """The class names of a dataset, read without decoding its images where possible (the
    MNISTs' are known, an image folder's are its subfolders); DataError (one line) when the
    dataset cannot be used."""
    from engine.data.dataset_ref import dataset_classes as classes_of
    from engine.data.dataset_ref import dataset_problem
    from engine.errors import DataError

    if problem := dataset_problem(text):
        raise DataError(problem)
    return classes_of(text)


def model_for_dataset(
    name: str,
    weights: str | None = None,
    dataset: str | None = None,
    input_shape: tuple[int, int, int] | None = None,
    data_dir: str | None = None,
) -> tuple[nn.Module, ModelInfo, Any]:
    """(model, info, dataset) for a registry name, spec or user's model (``path.py:Name``)
    built for ``dataset`` (default mnist: its classes, and its input shape unless
    ``input_shape`` says otherwise), with ``weights`` loaded. alexnet stays ImageNet's (the
    dataset is then None). EngineError (one line) when it cannot be built or the data read;
    a user's file that fails: ModelSourceError (summary line, then their traceback)."""
    from engine.data.dataset_ref import parse_dataset
    from engine.data.datasets import load_dataset

    if name.strip() == "alexnet":
        model, info = build_model(name, weights)
        return model, info, None
    text = dataset or "mnist"
    # The MNISTs are read at their own 28x28 and resized per batch where they are shown
    # (engine.process.sample_inputs): all 70,000 at 3x224x224 would take 10 GB
    fixed = parse_dataset(text).kind in ("mnist", "fashion-mnist")
    data = load_dataset(text, None if fixed else input_shape, data_dir)
    shape = (input_shape or data.input_shape) if fixed else data.input_shape
    model, info = build_model(name, weights, input_shape=shape, classes=data.classes)
    return model, info_for_dataset(info, data, text, shape), data
