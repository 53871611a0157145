"""The data options every command that runs a model shares: --dataset and --input-shape, and
the words --model is explained with (a registry name, a spec, or the user's own file)."""

from __future__ import annotations

import argparse
from typing import Any

from engine.cli.arg_types import input_shape_arg
from engine.training.dataset_model import dataset_classes

MODEL_METAVAR = "NAME|SPEC|FILE.py:Name"
MODEL_HELP = (
    "registry name, spec string, or your own nn.Module: path/to/model.py:Name or "
    "package.module:Name (a class built with no arguments, or a function returning a module)"
)
DATASET_HELP = (
    "mnist (default), fashion-mnist, folder:PATH (one subfolder per class; train/ and test/ "
    "when present) or cifar10:PATH (CIFAR-10's python batches already on disk)"
)


def add_data_args(parser: argparse.ArgumentParser, default: str = "mnist") -> None:
    """Add ``--dataset`` and ``--input-shape`` (``default`` says what leaving them out means)."""
    parser.add_argument(
        "--dataset", metavar="NAME|KIND:PATH", help=f"{DATASET_HELP}; default {default}"
    )
    parser.add_argument(
        "--input-shape",
        type=input_shape_arg,
        metavar="C,H,W",
        help="the model's input (channels, height, width); default: the dataset's",
    )


def load_model(args: argparse.Namespace, with_data: bool = False) -> tuple[Any, Any]:
    """(model in eval mode, ModelInfo) named by --model (with --weights) or stored in
    --checkpoint, for --dataset and --input-shape. A checkpoint keeps the dataset and shape
    it was trained with unless they are given. ``with_data``: the dataset's per-channel mean
    and std too (reads the data: for commands that run samples through the model).
    EngineError (one line) for anything that cannot be used."""
    from dataclasses import replace

    from engine.errors import CheckpointError

    dataset, shape = getattr(args, "dataset", None), getattr(args, "input_shape", None)
    data_dir = getattr(args, "data_dir", None)
    if getattr(args, "checkpoint", None):
        if getattr(args, "weights", None):
            raise CheckpointError("--weights goes with --model, not --checkpoint; drop one")
        from engine.training.checkpoint import model_from_checkpoint

        model, info, _ = model_from_checkpoint(args.checkpoint, input_shape=shape)
        if dataset:
            info = dataset_for_model(info, dataset)
        return model.eval(), info
    if with_data or args.model.strip() == "alexnet":
        from engine.training.dataset_model import model_for_dataset

        model, info, _ = model_for_dataset(args.model, args.weights, dataset, shape, data_dir)
        return model.eval(), info
    from engine.data.dataset_ref import default_input_shape
    from engine.models.registry import build_model
    from engine.training.model_source import recorded_dataset

    classes = dataset_classes(dataset)
    shape = shape or default_input_shape(dataset)
    model, info = build_model(args.model, args.weights, input_shape=shape, classes=classes)
    return model.eval(), replace(info, dataset=recorded_dataset(dataset))


def dataset_for_model(info: Any, dataset: str) -> Any:
    """``info`` shown on ``dataset`` instead of the one it was trained on (its samples and
    class names; the model keeps its own mean and std): ConfigError (one line) when the
    dataset has another number of classes than the model outputs."""
    from dataclasses import replace

    from engine.errors import ConfigError
    from engine.training.model_source import recorded_dataset

    classes = dataset_classes(dataset)
    if len(classes) != len(info.classes):
        raise ConfigError(
            f"--dataset {dataset} has {len(classes)} classes but the model has "
            f"{len(info.classes)}; use a dataset with as many classes"
        )
    return replace(info, dataset=recorded_dataset(dataset), classes=classes)
