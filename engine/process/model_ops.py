"""The Workbench's model ops: load a model or checkpoint, describe it, set the input, save.

Every op returns plain Python values and numpy arrays, never tensors.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from engine.models.registry import ModelInfo
from engine.process.current_model import CurrentModel, OpError
from engine.process.inspection_ops import InspectionOps
from engine.process.protocol import CUSTOM_INDEX
from engine.process.sample_inputs import SampleInputs

MAX_CANVAS = 1024  # pixels a side of a drawn canvas (the app's is 28)


class ModelOps:
    """``load``, ``describe``, ``image``, ``drawn`` and ``save``: what is inspected, and writing
    it out."""

    def __init__(
        self, current: CurrentModel, inputs: SampleInputs, inspection: InspectionOps
    ) -> None:
        self.current = current
        self.inputs = inputs
        self.inspection = inspection

    def load(
        self,
        model: str | None = None,
        checkpoint: str | None = None,
        weights: str | None = None,
        dataset: str | None = None,
        input_shape: Any = None,
    ) -> dict[str, Any]:
        """Load a registry model, spec or user's model (``path.py:Name``), optionally with
        weights, built for ``dataset`` (default mnist) and ``input_shape`` (C, H, W; default:
        the dataset's); or a checkpoint, which records its own dataset and shape (``dataset``
        then picks the samples shown, ``input_shape`` rebuilds it for another size)."""
        if self.current.live:
            raise OpError("cannot load a model while training; stop training first")
        shape = _shape(input_shape)
        if checkpoint:
            net, info = _model_from_checkpoint(checkpoint, shape)
            if dataset:
                info = _with_dataset(info, dataset)
        elif model:
            from engine.training.dataset_model import model_for_dataset

            net, info, data = model_for_dataset(model, weights, dataset, shape)
            self.inputs.remember(info, data)
        else:
            raise OpError("load needs model=NAME or checkpoint=PATH")
        net.eval()
        self.current.set_model(net, info)
        reply = self.describe()
        warning = getattr(data, "warning", "") if model and not checkpoint else ""
        if warning:  # skipped unreadable images: said in the app, not only in engine.log
            reply["data_warning"] = warning
        return reply

    def describe(self) -> dict[str, Any]:
        """The current model's info, summary table, layer names, class names, and where it
        computes (``device`` like ``cpu`` or ``cuda:0 (H200)``, ``precision`` like float32 or
        bf16), as ``load`` returns them.

        During training this describes the model being trained, which may differ from the
        last one loaded.
        """
        from engine.inspect.summary import summarize

        model, info = self.current.require()
        summary = summarize(model, info.input_shape)
        return {
            "info": asdict(info),
            "summary": summary.to_dict(),
            "layers": summary.leaf_keys(),  # executed leaves in order, one key per call
            "classes": self.class_names(),
            **self.current.compute_labels(),
        }

    def class_names(self) -> list[str]:
        """The model's class names: ImageNet's for alexnet, else those its info records (the
        digits '0' to '9' for MNIST, Fashion-MNIST's names, an image folder's subfolders)."""
        _, info = self.current.require()
        if info.name == "alexnet":
            try:
                from engine.models.registry import imagenet_categories

                return imagenet_categories()
            except Exception:
                return [str(i) for i in range(1000)]
        return [str(name) for name in info.classes]

    def image(self, path: str) -> dict[str, Any]:
        """Use a picture file as the input sample (index -1); returns that sample."""
        self.current.require()
        if not Path(path).is_file():
            raise OpError(f"image file {path} does not exist; check the path")
        inputs = self.inputs
        previous = inputs.image_path, inputs.drawing
        inputs.image_path = str(path)
        inputs.set_drawing(None)
        try:
            return self.inspection.sample(CUSTOM_INDEX)
        except Exception:
            inputs.image_path = previous[0]
            inputs.set_drawing(previous[1])
            raise

    def drawn(self, pixels: Any) -> dict[str, Any]:
        """Use a drawn canvas as the input sample (index -1), pre-processed as MNIST was.

        ``pixels``: (H, W) floats in [0, 1] (a 2-D list or array; 28x28 in the app), light
        ink on a dark ground. They are rounded to 8 bits, as a PNG of the canvas stores them,
        so ``--image`` on such a PNG gives the same input. Returns the ``sample`` payload of
        index -1: ``image`` is the pre-processed uint8 (28, 28), with ``pred`` and ``probs``;
        ``blank`` is True when the canvas holds no ink (the input is then all black).
        """
        _, info = self.current.require()
        if info.input_shape[0] != 1:
            raise OpError(
                f"{info.name} takes {info.input_shape[0]}-channel photos; drawing a digit "
                "needs a one-channel digit model (open fast-net, for instance)"
            )
        canvas = drawn_canvas(pixels)
        previous = self.inputs.image_path, self.inputs.drawing
        self.inputs.image_path = None
        self.inputs.set_drawing(canvas)
        try:
            payload = self.inspection.sample(CUSTOM_INDEX)
        except Exception:
            self.inputs.image_path = previous[0]
            self.inputs.set_drawing(previous[1])
            raise
        return {**payload, "blank": not bool(payload["image"].any())}

    def save(self, path: str | None = None) -> dict[str, Any]:
        """Write a full checkpoint of the training state (the live one while training)."""
        self.current.require()
        if self.current.state is None:
            raise OpError(
                "nothing to save: this model has no training state; train it first "
                "(a loaded checkpoint is already on disk)"
            )
        from engine.training.checkpoint import save_checkpoint

        written = save_checkpoint(self.current.state, path)
        return {"path": str(written)}


def drawn_canvas(pixels: Any) -> np.ndarray:
    """A drawn canvas (H, W) of floats in [0, 1] as uint8 0-255 (rounded, NaN as 0); OpError
    when it is not a non-empty 2-D grid of numbers or is larger than 1024x1024."""
    try:
        values = np.asarray(pixels, dtype=np.float32)
    except (TypeError, ValueError):
        raise OpError("drawn pixels must be a 2-D grid of numbers in [0, 1]") from None
    if values.ndim != 2 or 0 in values.shape or max(values.shape) > MAX_CANVAS:
        raise OpError(
            f"drawn pixels must be a 2-D grid of numbers in [0, 1] (at most {MAX_CANVAS} a "
            f"side), got shape {values.shape}"
        )
    return np.rint(np.clip(np.nan_to_num(values), 0.0, 1.0) * 255.0).astype(np.uint8)


def _shape(value: Any) -> tuple[int, int, int] | None:
    """An input shape from the op's argument (a list or tuple of three whole numbers), or
    None; OpError for anything else."""
    if value is None:
        return None
    from engine.training.options import input_shape_problem

    shape = tuple(value) if isinstance(value, (list, tuple)) else value
    if problem := input_shape_problem(shape):
        raise OpError(problem)
    return shape  # type: ignore[return-value]


def _with_dataset(info: ModelInfo, dataset: str) -> ModelInfo:
    """``info`` showing samples of ``dataset`` (its own: unchanged); OpError when the dataset
    cannot be read or has another number of classes. The class names come from a listing
    (``dataset_ref.dataset_classes``): no image is decoded here."""
    from engine.data.dataset_ref import dataset_classes, dataset_problem
    from engine.training.model_source import recorded_dataset

    if problem := dataset_problem(dataset):
        raise OpError(problem)
    if recorded_dataset(dataset) == info.dataset:
        return info
    classes = dataset_classes(dataset)
    if len(classes) != len(info.classes):
        raise OpError(
            f"{info.name} has {len(info.classes)} classes but {dataset} has {len(classes)}; "
            "pick a dataset with as many classes"
        )
    return replace(info, dataset=recorded_dataset(dataset), classes=tuple(classes))


def _model_from_checkpoint(path: str, input_shape: Any = None) -> tuple[nn.Module, ModelInfo]:
    """(model, info) from a checkpoint file or a run folder holding checkpoint.pt."""
    from engine.training.checkpoint import model_from_checkpoint

    model, info, _ = model_from_checkpoint(path, input_shape=input_shape)
    return model, info
