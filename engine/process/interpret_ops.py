"""The Evaluate tab's Workbench ops: evaluation, gallery, saliency, Grad-CAM, occlusion, act-max.

Every op returns plain Python values and numpy arrays, never tensors, so the parent process
can read the payloads without torch. The headless ``python -m engine eval`` report
(``engine.process.eval_report``) is built from the same ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from engine.errors import EngineError
from engine.inspect import activation_max, actmax_report, attribution, evaluation
from engine.process.current_model import CurrentModel
from engine.process.sample_inputs import SampleInputs

GALLERY_PAGE = 12
EVAL_BATCH = 1000
_LAST = object()  # "the limit the cached evaluation used"


class InterpretOpError(EngineError):
    """An interpretation op that cannot run as asked (no run directory, not an MNIST model)."""


def class_names(info: Any) -> tuple[str, ...]:
    """The model's class names (``ModelInfo.classes``; the ten digits for a model whose info
    predates them)."""
    return tuple(getattr(info, "classes", None) or (str(d) for d in range(10)))


def class_label(index: int, names: tuple[str, ...]) -> str:
    """How a class is written: ``7`` for a digit class, ``2 triangle`` when it has a name."""
    name = names[index] if 0 <= index < len(names) else str(index)
    return str(index) if name == str(index) else f"{index} {name}"


def black_pixel(info: Any) -> tuple[float, ...]:
    """A black pixel in the model's input units, one value per input channel."""
    return tuple((0.0 - m) / s for m, s in zip(info.mean, info.std, strict=True))


def nonfinite_weights(model: torch.nn.Module) -> int:
    """How many of the model's parameters are NaN or infinite (why a loss is nan)."""
    return sum(int((~torch.isfinite(p.detach())).sum()) for p in model.parameters())


class EvaluateOps:
    """``evaluate``, ``gallery``, ``saliency``, ``gradcam``, ``occlusion`` and ``actmax``."""

    def __init__(self, current: CurrentModel, inputs: SampleInputs) -> None:
        self.current = current
        self.inputs = inputs
        # split -> (weights version, limit, result) of the last evaluation
        self._evaluations: dict[str, tuple[Any, int | None, evaluation.EvalResult]] = {}

    # ------------------------------------------------------------------ evaluation

    def _evaluation(self, split: str = "test", limit: Any = _LAST) -> evaluation.EvalResult:
        """The model's predictions over the split, cached per weights version and limit."""
        cache = self._evaluations
        model, info = self.current.require()
        version = self.current.weights_version()
        cached = cache.get(split)
        if limit is _LAST:
            limit = cached[1] if cached else None
        if cached and cached[0] == version and cached[1] == limit:
            return cached[2]
        if not info.trainable:
            raise InterpretOpError(
                f"evaluation needs a model built for the data set; {info.name} is for "
                "inspection only"
            )
        data = self.inputs.split(split).subset(limit)
        device = self.current.device()

        def prepare(start: int, end: int) -> torch.Tensor:
            return self.inputs.prepare(data.images[start:end].cpu()).to(device)

        batches = evaluation.batches_of(len(data), EVAL_BATCH, prepare, data.labels.cpu())
        result = evaluation.evaluate_batches(model, batches, classes=len(class_names(info)))
        cache[split] = (version, limit, result)
        return result

    def evaluate(self, split: str = "test", limit: int | None = None) -> dict[str, Any]:
        """Loss, accuracy, the confusion matrix and per-class accuracy over the split."""
        result = self._evaluation(split, limit)
        confusion = result.confusion
        return {
            "split": split,
            "count": len(result.labels),
            "loss": result.loss,
            "accuracy": result.accuracy,
            "confusion": confusion,
            "per_class": evaluation.per_class_accuracy(confusion),
            "class_counts": confusion.sum(axis=1),
            "wrong": int((result.preds != result.labels).sum()),
            "nonfinite_weights": nonfinite_weights(self.current.require()[0]),
        }

    def gallery(
        self,
        true: int | None = None,
        pred: int | None = None,
        page: int = 0,
        per_page: int = GALLERY_PAGE,
        split: str = "test",
    ) -> dict[str, Any]:
        """One page of the digits in a confusion cell (true, pred); both None: every mistake."""
        result = self._evaluation(split)
        indices = evaluation.cell_indices(result.labels, result.preds, true, pred)
        per_page = max(1, int(per_page))
        pages = max(1, math.ceil(len(indices) / per_page))
        page = min(max(0, int(page)), pages - 1)
        chosen = indices[page * per_page : (page + 1) * per_page]
        data = self.inputs.split(split)
        images = data.images[torch.as_tensor(chosen, dtype=torch.long)].cpu().numpy()
        items = [
            {
                "index": int(i),
                "label": int(result.labels[i]),
                "pred": int(result.preds[i]),
                "confidence": float(result.confidence[i]),
            }
            for i in chosen
        ]
        return {
            "true": true,
            "pred": pred,
            "page": page,
            "pages": pages,
            "total": int(len(indices)),
            "per_page": per_page,
            "split": split,
            "items": items,
            "images": np.ascontiguousarray(images, dtype=np.uint8),
        }

    # ------------------------------------------------------------- one digit

    def _digit(self, index: int, split: str) -> tuple[torch.Tensor, dict[str, Any]]:
        """The model input for one sample and the payload fields describing it."""
        x, images, labels = self.inputs.inputs([index], split)
        with self.current.evaluating() as model:
            probs = torch.softmax(model(x).float(), dim=1)[0]
        return x, {
            "index": int(index),
            "split": split,
            "image": images[0],
            "label": labels[0],
            "pred": int(probs.argmax()),
            "confidence": float(probs.max()),
        }

    def saliency(
        self, index: int, target: int | None = None, split: str = "test"
    ) -> dict[str, Any]:
        """|d class score / d input| for one digit (the predicted class when target is None)."""
        x, payload = self._digit(index, split)
        model, _ = self.current.require()
        values, chosen = attribution.saliency(model, x, target)
        return {
            **payload,
            "target": chosen,
            "saliency": values,
            "range": (float(values.min()), float(values.max())),
        }

    def gradcam(
        self, index: int, layer: str | None = None, target: int | None = None, split: str = "test"
    ) -> dict[str, Any]:
        """Grad-CAM of a conv layer's rectified output (the last one when None) for one digit,
        scaled to [0, 1]; ``empty`` is True when the map has no positive value (drawn blank)."""
        x, payload = self._digit(index, split)
        model, _ = self.current.require()
        raw, cam, chosen, name = attribution.grad_cam(model, x, layer, target)
        return {
            **payload,
            "target": chosen,
            "layer": name,
            "cam": cam,
            "raw": raw,
            "empty": attribution.is_empty_cam(raw) and bool(np.isfinite(raw).all()),
            "nonfinite": not bool(np.isfinite(raw).all()),
            "layers": attribution.gradcam_layers(model, x),
            "convs": attribution.conv_layers(model, x),
        }

    def occlusion(
        self,
        index: int,
        target: int | None = None,
        patch: int = 6,
        stride: int = 2,
        split: str = "test",
    ) -> dict[str, Any]:
        """Drop in the class probability when each patch of the digit is blanked."""
        x, payload = self._digit(index, split)
        model, info = self.current.require()
        values, chosen = attribution.occlusion(
            model, x, target, int(patch), int(stride), black_pixel(info)
        )
        return {
            **payload,
            "target": chosen,
            "sensitivity": values,
            "patch": int(patch),
            "stride": int(stride),
            "range": (float(values.min()), float(values.max())),
        }

    def actmax(
        self,
        layer: str | None = None,
        channel: int = 0,
        target_class: int | None = None,
        steps: int | None = None,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Activation maximisation of a class logit (``target_class``) or of one conv channel
        (``layer``, ``channel``): the payload of ``actmax_payload``."""
        model, info = self.current.require()
        result = activation_max.activation_maximisation(
            model,
            layer,
            int(channel),
            tuple(info.input_shape),
            None if steps is None else int(steps),
            target_class=None if target_class is None else int(target_class),
            seed=int(seed),
            bounds=actmax_report.channel_bounds(info),
        )
        payload = actmax_report.actmax_payload(model, info, result)
        if payload["target_class"] is not None:
            payload["class_label"] = class_label(payload["target_class"], class_names(info))
        return payload
