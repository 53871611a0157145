"""The Evaluate tab's Workbench ops: evaluation, gallery, saliency, Grad-CAM, history, exports.

``InterpretOps`` is a mixin of ``engine.process.workbench.Workbench``: it relies on the workbench's
``require_model``, ``split``, ``inputs``, ``_prepare_mnist``, ``_weights_version``, ``info`` and
``state``. Every op returns plain Python values and numpy arrays, never tensors, so the parent
process can read the payloads without torch. ``eval_report`` and ``format_eval_report``
(``engine.process.eval_report``, re-exported here) serve the headless ``python -m engine eval`` with the
same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from engine.errors import EngineError
from engine.inspect import interpret
from engine.process.eval_report import eval_details, eval_report, format_eval_report  # noqa: F401
from engine.training import history

GALLERY_PAGE = 12
EVAL_BATCH = 1000
_LAST = object()  # "the limit the cached evaluation used"


class InterpretOpError(EngineError):
    """An interpretation op that cannot run as asked (no run directory, not an MNIST model)."""


class InterpretOps:
    """Workbench ops for evaluation and interpretation (mixed into Workbench)."""

    _evaluations: dict[str, tuple[Any, int | None, interpret.EvalResult]]

    # ------------------------------------------------------------------ evaluation

    def _evaluation(self, split: str = "test", limit: Any = _LAST) -> interpret.EvalResult:
        """The model's predictions over the split, cached per weights version and limit."""
        cache = self.__dict__.setdefault("_evaluations", {})
        model, info = self.require_model()
        version = self._weights_version()
        cached = cache.get(split)
        if limit is _LAST:
            limit = cached[1] if cached else None
        if cached and cached[0] == version and cached[1] == limit:
            return cached[2]
        if info.name == "alexnet" or info.input_shape[0] != 1:
            raise InterpretOpError(
                "evaluation needs an MNIST model with 10 classes; "
                f"{info.name} is for inspection only"
            )
        data = self.split(split).subset(limit)
        device = self._device()

        def prepare(start: int, end: int) -> torch.Tensor:
            return self._prepare_mnist(data.images[start:end].cpu()).to(device)

        batches = interpret.batches_of(len(data), EVAL_BATCH, prepare, data.labels.cpu())
        result = interpret.evaluate_batches(model, batches, classes=10)
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
            "per_class": interpret.per_class_accuracy(confusion),
            "class_counts": confusion.sum(axis=1),
            "wrong": int((result.preds != result.labels).sum()),
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
        indices = interpret.cell_indices(result.labels, result.preds, true, pred)
        per_page = max(1, int(per_page))
        pages = max(1, math.ceil(len(indices) / per_page))
        page = min(max(0, int(page)), pages - 1)
        chosen = indices[page * per_page : (page + 1) * per_page]
        data = self.split(split)
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
        x, images, labels = self.inputs([index], split)
        with self.evaluating() as model:
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
        model, _ = self.require_model()
        values, chosen = interpret.saliency(model, x, target)
        return {
            **payload,
            "target": chosen,
            "saliency": values,
            "range": (float(values.min()), float(values.max())),
        }

    def gradcam(
        self, index: int, layer: str | None = None, target: int | None = None, split: str = "test"
    ) -> dict[str, Any]:
        """Grad-CAM of a conv layer (the last one when None) for one digit, scaled to [0, 1]."""
        x, payload = self._digit(index, split)
        model, _ = self.require_model()
        raw, cam, chosen, name = interpret.grad_cam(model, x, layer, target)
        return {
            **payload,
            "target": chosen,
            "layer": name,
            "cam": cam,
            "raw": raw,
            "layers": interpret.conv_layers(model),
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
        model, info = self.require_model()
        blank = (0.0 - info.mean[0]) / info.std[0]  # a black pixel in the model's units
        values, chosen = interpret.occlusion(model, x, target, int(patch), int(stride), blank)
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
        steps: int = 60,
        lr: float = 0.1,
        l2: float = 1e-3,
        seed: int = 0,
    ) -> dict[str, Any]:
        """An input optimised from noise to excite one conv channel, as pixels in [0, 1]."""
        model, info = self.require_model()
        mean = np.asarray(info.mean, dtype=np.float32).reshape(-1, 1, 1)
        std = np.asarray(info.std, dtype=np.float32).reshape(-1, 1, 1)
        bounds = (float((-mean / std).min()), float(((1 - mean) / std).max()))
        result = interpret.activation_maximisation(
            model,
            layer,
            int(channel),
            tuple(info.input_shape),
            int(steps),
            float(lr),
            float(l2),
            int(seed),
            bounds,
        )
        pixels = np.clip(result.image * std + mean, 0, 1).mean(axis=0).astype(np.float32)
        module = dict(model.named_modules())[result.layer]
        return {
            "layer": result.layer,
            "channel": result.channel,
            "channels": int(module.out_channels),
            "layers": interpret.conv_layers(model),
            "image": pixels,
            "start": result.start,
            "end": result.end,
        }

    # ------------------------------------------------------------ runs and history

    def _run_dir(self, run_dir: str | None, fallback_dir: str | None = None) -> str:
        """The explicit run directory, else the current or last training run's, else
        ``fallback_dir`` (e.g. the folder of the checkpoint the UI opened)."""
        chosen = run_dir or getattr(getattr(self, "state", None), "run_dir", None) or fallback_dir
        if not chosen:
            raise InterpretOpError(
                "no run directory: train the model first or open a "
                "checkpoint that sits in its run directory"
            )
        return str(chosen)

    def snapshots(self, run_dir: str | None = None) -> dict[str, Any]:
        """The run's epochs with kernel snapshots, its layers with weights and its metrics."""
        folder = self._run_dir(run_dir)
        run = history.load_history(folder)
        epochs = history.list_snapshots(folder)
        layers = list(history.load_snapshot(folder, epochs[-1])) if epochs else []
        return {
            "run_dir": folder,
            "epochs": epochs,
            "layers": layers,
            "model": run.model,
            "metrics": run.epochs,
        }

    def snapshot_kernels(
        self, layer: str, epoch: int, run_dir: str | None = None, base_epoch: int | None = None
    ) -> dict[str, Any]:
        """A layer's kernels at an epoch (as the ``kernels`` op gives them), or their change
        since ``base_epoch`` when one is given."""
        from engine.process.workbench import block_average

        folder = self._run_dir(run_dir)
        if base_epoch is None:
            weights = history.snapshot_layer(folder, epoch, layer)
        else:
            weights = history.kernel_delta(folder, layer, base_epoch, epoch)
        shape = tuple(int(s) for s in weights.shape)
        if weights.ndim == 2:
            weights = block_average(weights)
        lo, hi = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
        return {
            "layer": layer,
            "weights": weights.astype(np.float32),
            "range": (lo, hi),
            "shape": shape,
            "epoch": int(epoch),
            "base_epoch": base_epoch,
            "delta": base_epoch is not None,
            "run_dir": folder,
        }

    def compare_runs(self, dirs: Sequence[str]) -> dict[str, Any]:
        """Curves, final accuracy, parameters and training time of several runs."""
        return {"runs": history.compare_runs(list(dirs))}

    def export(
        self, name: str, run_dir: str | None = None, fallback_dir: str | None = None, **parts: Any
    ) -> dict[str, Any]:
        """Write the view's heatmaps, grids, overlays and tables (see export.export_view)."""
        from engine.render.export import export_dir, export_view

        folder = self._run_dir(run_dir, fallback_dir)
        paths = export_view(folder, name, **parts)
        return {"paths": paths, "folder": str(export_dir(folder))}
