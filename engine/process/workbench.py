"""Workbench: one model and the MNIST splits in one process, answering the inspection ops.

The child process (``engine.process.worker``) owns one Workbench. Each op returns a dict of plain
Python values and numpy arrays (never tensors), so the parent can unpickle the payload without
importing torch. During training ``set_live(state)`` points the ops at the model being trained:
each op puts it in eval mode only for its own duration (under ``torch.inference_mode``) and
restores every module's train/eval flag afterwards.
"""

from __future__ import annotations

import inspect
import math
import operator
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.data.mnist import MnistSplit
from engine.errors import EngineError
from engine.models.registry import ModelInfo, build_model, named_layers
from engine.process.interpret_ops import InterpretOps
from engine.process.protocol import CUSTOM_INDEX, OPS, Reply, Request, one_line
from engine.process.workbench_inputs import SPLITS, OpError, WorkbenchInputs  # noqa: F401

DENSE_LIMIT = 512  # dense weight matrices are block-averaged down to at most this per side
PREDICT_BATCH = 1000


def block_average(matrix: np.ndarray, limit: int = DENSE_LIMIT) -> np.ndarray:
    """Average ``matrix`` (rows, cols) over blocks so that neither side exceeds ``limit``.

    A side of n > limit is cut into ceil(n / ceil(n / limit)) blocks of ceil(n / limit)
    entries (the last one may be shorter); each output entry is the mean of its block.
    """
    out = np.asarray(matrix, dtype=np.float32)
    for axis in (0, 1):
        size = out.shape[axis]
        if size <= limit:
            continue
        factor = math.ceil(size / limit)
        starts = np.arange(0, size, factor)
        counts = np.diff(np.append(starts, size)).astype(np.float32)
        sums = np.add.reduceat(out, starts, axis=axis)
        shape = [1, 1]
        shape[axis] = len(starts)
        out = (sums / counts.reshape(shape)).astype(np.float32)
    return out


def _layer_names_hint(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


class Workbench(WorkbenchInputs, InterpretOps):
    """A model, its ModelInfo, the MNIST splits (loaded on first use) and a custom image."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = data_dir
        self.model: nn.Module | None = None
        self.info: ModelInfo | None = None
        self.state: Any = None  # the TrainState of the live or last training run
        self.live = False
        self.verbose = False  # print tracebacks of unexpected errors to stderr
        self.image_path: str | None = None
        self._splits: dict[str, MnistSplit] = {}
        self._generation = 0  # bumped whenever the model object changes
        self._predictions: tuple[tuple, np.ndarray] | None = None
        self._custom: tuple[tuple, torch.Tensor, np.ndarray] | None = None

    # ----------------------------------------------------------------- dispatch

    def handle(self, request: Request) -> Reply:
        """Answer one inspection request; every problem becomes Reply(ok=False, one line)."""
        method = getattr(self, request.op, None) if request.op in OPS else None
        if method is None:
            return Reply.failure(request, f"unknown op {request.op!r}; use one of {', '.join(OPS)}")
        kwargs = dict(request.kwargs or {})
        try:
            inspect.signature(method).bind(**kwargs)
        except TypeError as exc:
            return Reply.failure(request, f"bad arguments for {request.op}: {exc}")
        try:
            return Reply.success(request, method(**kwargs))
        except EngineError as exc:
            return Reply.failure(request, str(exc))
        except Exception as exc:  # never let one request take the process down
            if self.verbose:
                traceback.print_exc()
            return Reply.failure(request, f"{request.op} failed: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------ model state

    def set_model(self, model: nn.Module, info: ModelInfo, state: Any = None) -> None:
        """Inspect ``model`` from now on (a freshly loaded one, or a trained one)."""
        self.model, self.info, self.state = model, info, state
        self._generation += 1
        self._predictions = None
        self._custom = None

    def set_live(self, state: Any) -> None:
        """Point the ops at the model being trained (a TrainState); cheap to call every step."""
        if state is None:
            self.end_live()
            return
        if state is not self.state or state.model is not self.model:
            self.set_model(state.model, state.info, state)
        self.live = True

    def end_live(self) -> None:
        """Training ended: keep the trained model (and its state, for ``save``)."""
        self.live = False
        self._generation += 1
        self._predictions = None

    def require_model(self) -> tuple[nn.Module, ModelInfo]:
        if self.model is None or self.info is None:
            raise OpError("no model is loaded; send load(model=NAME) or start training first")
        return self.model, self.info

    def _weights_version(self) -> tuple:
        step = getattr(self.state, "global_step", None) if self.live else None
        return (self._generation, step)

    @contextmanager
    def evaluating(self) -> Iterator[nn.Module]:
        """The model in eval mode under inference_mode; every module's mode restored after."""
        model, _ = self.require_model()
        modes = [(module, module.training) for module in model.modules()]
        model.eval()
        try:
            with torch.inference_mode():
                yield model
        finally:
            for module, training in modes:
                module.training = training

    def _device(self) -> torch.device:
        model, _ = self.require_model()
        for tensor in model.parameters():
            return tensor.device
        return torch.device("cpu")

    # ----------------------------------------------------------------------- ops

    def load(
        self, model: str | None = None, checkpoint: str | None = None, weights: str | None = None
    ) -> dict[str, Any]:
        """Load a registry model or spec (optionally with weights) or a checkpoint."""
        if self.live:
            raise OpError("cannot load a model while training; stop training first")
        if checkpoint:
            net, info = _model_from_checkpoint(checkpoint)
        elif model:
            net, info = build_model(model, weights)
        else:
            raise OpError("load needs model=NAME or checkpoint=PATH")
        net.eval()
        self.set_model(net, info)
        return self.describe()

    def describe(self) -> dict[str, Any]:
        """The current model's info, summary table and layer names (as ``load`` returns them).

        During training this describes the model being trained, which may differ from the
        last one loaded.
        """
        from engine.inspect.summary import summarize

        model, info = self.require_model()
        return {
            "info": asdict(info),
            "summary": summarize(model, info.input_shape).to_dict(),
            "layers": [name for name, _ in named_layers(model)],
            "classes": self.class_names(),
        }

    def _layer(self, layer: str) -> nn.Module:
        model, _ = self.require_model()
        layers = dict(named_layers(model))
        if layer not in layers:
            raise OpError(f"unknown layer {layer!r}; use one of {_layer_names_hint(list(layers))}")
        return layers[layer]

    def sample(self, index: int, split: str = "test") -> dict[str, Any]:
        """One input sample: the image, its label and the model's prediction."""
        x, images, labels = self.inputs([index], split)
        with self.evaluating() as model:
            probs = torch.softmax(model(x).float(), dim=1)[0].cpu().numpy().astype(np.float32)
        return {
            "index": int(index),
            "split": split,
            "image": images[0],
            "label": labels[0],
            "pred": int(probs.argmax()),
            "probs": probs,
        }

    def kernels(self, layer: str) -> dict[str, Any]:
        """A conv layer's weights (out, in, kh, kw) or a dense layer's (out, in), as float32."""
        from engine.inspect.activations import layer_kernels

        module = self._layer(layer)
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dim() not in (2, 4):
            raise OpError(
                f"layer {layer} ({type(module).__name__}) has no kernels; choose a "
                "conv or dense layer"
            )
        model, _ = self.require_model()
        with torch.inference_mode():
            tensor = layer_kernels(model, layer)
        weights = tensor.detach().to("cpu", torch.float32).numpy().copy()
        if weight.dim() == 2:
            weights = block_average(weights.reshape(weights.shape[0], -1))
        lo, hi = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
        return {
            "layer": layer,
            "weights": weights,
            "range": (lo, hi),
            "shape": tuple(int(s) for s in weight.shape),
        }

    def _maps(self, layer: str, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The layer's output and the logits, in one forward pass."""
        from engine.inspect.activations import capture_activations

        self._layer(layer)
        model, _ = self.require_model()
        last = named_layers(model)[-1][0]
        with self.evaluating() as model:
            acts = capture_activations(model, x, layers=list(dict.fromkeys([layer, last])))
        return acts[layer], acts[last].float().reshape(x.shape[0], -1)

    def activations(self, layer: str, index: int, split: str = "test") -> dict[str, Any]:
        """One layer's output for one sample, quantised to uint8 with per-map ranges."""
        self._layer(layer)
        x, _, labels = self.inputs([index], split)
        out, logits = self._maps(layer, x)
        item = _quantized(layer, out[0])
        item.update(index=int(index), label=labels[0], pred=int(logits[0].argmax()))
        return item

    def activations_many(
        self, layer: str, indices: Sequence[int], split: str = "test"
    ) -> dict[str, Any]:
        """The same layer's output for several samples (one batch)."""
        self._layer(layer)
        indices = list(indices)
        if not indices:
            return {"layer": layer, "items": []}
        x, _, labels = self.inputs(indices, split)
        out, logits = self._maps(layer, x)
        preds = logits.argmax(dim=1).tolist()
        items = []
        for row, index in enumerate(indices):
            item = _quantized(layer, out[row])
            item.update(index=int(index), label=labels[row], pred=int(preds[row]))
            items.append(item)
        return {"layer": layer, "items": items}

    def explain(
        self, layer: str, index: int, channel: int, i: int, j: int, split: str = "test"
    ) -> dict[str, Any]:
        """Cell (i, j) of output channel ``channel`` of conv ``layer`` for one sample, as the
        contributions of each input channel's kernel plus the bias (see explain_model_cell),
        with the value the forward pass captured there and the receptive field on the input."""
        from engine.convlab.torch_ops import explain_model_cell

        module = self._layer(layer)
        if not isinstance(module, nn.Conv2d):
            raise OpError(f"{layer} is a {type(module).__name__}; pick a conv layer to explain")
        x, _, labels = self.inputs([index], split)
        with self.evaluating() as model:
            result = explain_model_cell(model, x, layer, int(channel), int(i), int(j))
        result.update(index=int(index), label=labels[0], input_shape=tuple(x.shape[1:]))
        return result

    def predictions(self, split: str = "test") -> np.ndarray:
        """Predicted class for every sample of the split, cached per weights version."""
        data = self.split(split)
        key = (self._weights_version(), split)
        if self._predictions is not None and self._predictions[0] == key:
            return self._predictions[1]
        preds = np.empty(len(data), dtype=np.int64)
        device = self._device()
        with self.evaluating() as model:
            for start in range(0, len(data), PREDICT_BATCH):
                raw = data.images[start : start + PREDICT_BATCH].cpu()
                x = self._prepare_mnist(raw).to(device)
                preds[start : start + len(raw)] = model(x).argmax(dim=1).cpu().numpy()
        self._predictions = (key, preds)
        return preds

    def misclassified(self, after: int = -1, split: str = "test") -> dict[str, Any]:
        """The next index after ``after`` (wrapping around) that the model gets wrong."""
        self.require_model()
        try:
            after = operator.index(after)
        except TypeError:
            raise OpError(f"after={after!r} is not an integer") from None
        labels = self.split(split).labels.cpu().numpy()
        wrong = np.flatnonzero(self.predictions(split) != labels)
        if not len(wrong):
            return {"index": None, "count": 0}
        later = wrong[wrong > after]
        index = int(later[0]) if len(later) else int(wrong[0])
        return {"index": index, "count": int(len(wrong))}

    def image(self, path: str) -> dict[str, Any]:
        """Use a picture file as the input sample (index -1); returns that sample."""
        self.require_model()
        if not Path(path).is_file():
            raise OpError(f"image file {path} does not exist; check the path")
        previous, self.image_path = self.image_path, str(path)
        try:
            return self.sample(CUSTOM_INDEX)
        except Exception:
            self.image_path = previous
            raise

    def save(self, path: str | None = None) -> dict[str, Any]:
        """Write a full checkpoint of the training state (the live one while training)."""
        self.require_model()
        if self.state is None:
            raise OpError(
                "nothing to save: this model has no training state; train it first "
                "(a loaded checkpoint is already on disk)"
            )
        from engine.training.checkpoint import save_checkpoint

        written = save_checkpoint(self.state, path)
        return {"path": str(written)}


def _quantized(layer: str, output: torch.Tensor) -> dict[str, Any]:
    """A layer output without its batch dimension as uint8 maps: (C, H, W), dense (1, 1, N)."""
    from engine.render.maps import quantize

    shape = tuple(int(s) for s in output.shape)
    values = output.detach().to("cpu", torch.float32).numpy()
    if values.ndim == 0:
        values = values.reshape(1, 1, 1)
    elif values.ndim == 1:
        values = values.reshape(1, 1, -1)
    elif values.ndim == 2:
        values = values.reshape(1, *values.shape)
    elif values.ndim > 3:
        values = values.reshape(values.shape[0], values.shape[1], -1)
    maps, ranges = quantize(values)
    return {
        "layer": layer,
        "maps": np.asarray(maps, dtype=np.uint8),
        "ranges": np.asarray(ranges, dtype=np.float32),
        "shape": shape,
    }


def _model_from_checkpoint(path: str) -> tuple[nn.Module, ModelInfo]:
    """(model, info) from a checkpoint file or a run folder holding checkpoint.pt."""
    from engine.training.checkpoint import model_from_checkpoint

    model, info, _ = model_from_checkpoint(path)
    return model, info


__all__ = ["Workbench", "OpError", "block_average", "one_line"]
