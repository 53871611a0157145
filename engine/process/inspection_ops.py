"""The Workbench's inspection ops: samples, kernels, activations, one conv cell, mistakes.

Every op returns plain Python values and numpy arrays, never tensors, so the parent process
can read the payloads without torch.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.process.cell_explain import conv_kernel_extras, explain_call_cell
from engine.process.current_model import CurrentModel, OpError
from engine.process.payloads import dense_template_payload, kernel_payload, quantized_maps
from engine.process.sample_inputs import SampleInputs

PREDICT_BATCH = 1000


class InspectionOps:
    """``sample``, ``kernels``, ``activations(_many)``, ``explain``, ``misclassified``."""

    def __init__(self, current: CurrentModel, inputs: SampleInputs) -> None:
        self.current = current
        self.inputs = inputs
        self._predictions: tuple[tuple, np.ndarray] | None = None

    def sample(self, index: int, split: str = "test") -> dict[str, Any]:
        """One input sample: the image, its label, the model's prediction and probabilities,
        and ``random_weights`` (the prediction comes from untrained, randomly set weights)."""
        x, images, labels = self.inputs.inputs([index], split)
        with self.current.evaluating() as model:
            probs = torch.softmax(model(x).float(), dim=1)[0].cpu().numpy().astype(np.float32)
        return {
            "index": int(index),
            "split": split,
            "image": images[0],
            "label": labels[0],
            "pred": int(probs.argmax()),
            "probs": probs,
            "random_weights": self.random_weights(),
        }

    def random_weights(self) -> bool:
        """Whether the model's weights are its random initialisation: built without weights
        (``ModelInfo.weights`` "random init...", AlexNet without pretrained ones) and not
        trained since (no training state)."""
        _, info = self.current.require()
        return info.weights.startswith("random") and self.current.state is None

    def _module(self, layer: str) -> nn.Module:
        """The module of layer key ``layer`` (any module; ``conv1#2`` names conv1)."""
        from engine.inspect.layer_calls import resolve_layer

        model, _ = self.current.require()
        return resolve_layer(model, layer)[2]

    def kernels(self, layer: str) -> dict[str, Any]:
        """A conv layer's weights (out, in/groups, kh, kw) or a dense layer's (out, in), as
        float32; a conv's payload adds its groups (``conv_kernel_extras``) and, for a first
        layer on colour images, ``rgb`` and ``rgb_kernels``."""
        from engine.inspect.activations import layer_kernels
        from engine.inspect.layer_story import image_template_shape

        module = self._module(layer)
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dim() not in (2, 4):
            raise OpError(
                f"layer {layer} ({type(module).__name__}) has no kernels; choose a "
                "conv or dense layer"
            )
        model, _ = self.current.require()
        with torch.inference_mode():
            tensor = layer_kernels(model, layer)
        weights = tensor.detach().to("cpu", torch.float32).numpy().copy()
        shape = tuple(int(s) for s in weight.shape)
        if weight.dim() == 2:
            weights = weights.reshape(weights.shape[0], -1)
            template = image_template_shape(model, layer, self.current.info.input_shape)
            if template is not None:  # whole rows: each one an H x W picture, never averaged
                return dense_template_payload(layer, weights, shape, template)
        payload = kernel_payload(layer, weights, shape)
        if isinstance(module, nn.Conv2d):
            payload.update(conv_kernel_extras(model, module, weights, self.current.info))
        return payload

    def _maps(self, layer: str, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The output of the call ``layer`` names (a container's: its output) and the
        logits, in one forward pass."""
        from engine.inspect.layer_calls import capture_call

        with self.current.evaluating() as model:
            capture, logits = capture_call(model, layer, x)
        return capture.require("output"), logits.float().reshape(x.shape[0], -1)

    def activations(self, layer: str, index: int, split: str = "test") -> dict[str, Any]:
        """One layer's output for one sample, quantised to uint8 with per-map ranges;
        ``layer`` is a layer key (``conv1#2``: conv1's second call)."""
        x, _, labels = self.inputs.inputs([index], split)
        out, logits = self._maps(layer, x)
        item = quantized_maps(layer, out[0])
        item.update(index=int(index), label=labels[0], pred=int(logits[0].argmax()))
        return item

    def activations_many(
        self, layer: str, indices: Sequence[int], split: str = "test"
    ) -> dict[str, Any]:
        """The same layer's output for several samples (one batch)."""
        self._module(layer)
        indices = list(indices)
        if not indices:
            return {"layer": layer, "items": []}
        x, _, labels = self.inputs.inputs(indices, split)
        out, logits = self._maps(layer, x)
        preds = logits.argmax(dim=1).tolist()
        items = []
        for row, index in enumerate(indices):
            item = quantized_maps(layer, out[row])
            item.update(index=int(index), label=labels[row], pred=int(preds[row]))
            items.append(item)
        return {"layer": layer, "items": items}

    def explain(
        self,
        layer: str,
        index: int,
        channel: int,
        i: int | None = None,
        j: int | None = None,
        split: str = "test",
    ) -> dict[str, Any]:
        """Cell (i, j) of output channel ``channel`` of conv ``layer`` for one sample; i or j
        None: the channel's strongest cell (``strongest`` True in the payload).

        Per input channel the receptive-field ``patch``, the ``kernel``, their ``products``
        and their sum (``contributions``), plus the bias (see explain_conv_cell), with the
        value the forward pass produced there (``captured``) and the receptive field on the
        input.
        """
        module = self._module(layer)
        if not isinstance(module, nn.Conv2d):
            raise OpError(f"{layer} is a {type(module).__name__}; pick a conv layer to explain")
        x, _, labels = self.inputs.inputs([index], split)
        with self.current.evaluating() as model:
            result = explain_call_cell(model, x, layer, int(channel), i, j)
        result.update(index=int(index), label=labels[0], input_shape=tuple(x.shape[1:]))
        return result

    def predictions(self, split: str = "test") -> np.ndarray:
        """Predicted class for every sample of the split, cached per weights version."""
        data = self.inputs.split(split)
        key = (self.current.weights_version(), split)
        if self._predictions is not None and self._predictions[0] == key:
            return self._predictions[1]
        preds = np.empty(len(data), dtype=np.int64)
        device = self.current.device()
        with self.current.evaluating() as model:
            for start in range(0, len(data), PREDICT_BATCH):
                raw = data.images[start : start + PREDICT_BATCH].cpu()
                x = self.inputs.prepare(raw).to(device)
                preds[start : start + len(raw)] = model(x).argmax(dim=1).cpu().numpy()
        self._predictions = (key, preds)
        return preds

    def misclassified(self, after: int = -1, split: str = "test") -> dict[str, Any]:
        """The next index after ``after`` (wrapping around) that the model gets wrong."""
        self.current.require()
        try:
            after = operator.index(after)
        except TypeError:
            raise OpError(f"after={after!r} is not an integer") from None
        labels = self.inputs.split(split).labels.cpu().numpy()
        wrong = np.flatnonzero(self.predictions(split) != labels)
        if not len(wrong):
            return {"index": None, "count": 0}
        later = wrong[wrong > after]
        index = int(later[0]) if len(later) else int(wrong[0])
        return {"index": index, "count": int(len(wrong))}
