"""A model's predictions over a split: confusion matrix, per-class accuracy, the digits of a cell.

``evaluate_batches`` runs prepared batches in eval mode without gradients; the numpy helpers
turn its labels and predictions into the Evaluate tab's numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class EvalResult:
    """One pass over a labelled split: per-sample predictions, confidences and losses."""

    labels: np.ndarray  # int64 (N,)
    preds: np.ndarray  # int64 (N,)
    confidence: np.ndarray  # float32 (N,): softmax probability of the predicted class
    losses: np.ndarray  # float32 (N,): cross-entropy of each sample
    classes: int

    @property
    def loss(self) -> float:
        return float(self.losses.mean()) if len(self.losses) else float("nan")

    @property
    def accuracy(self) -> float:
        return float((self.preds == self.labels).mean()) if len(self.labels) else float("nan")

    @property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.labels, self.preds, self.classes)


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, classes: int = 10) -> np.ndarray:
    """int64 (classes, classes): rows are true classes, columns predicted classes."""
    labels = np.asarray(labels, dtype=np.int64)
    preds = np.asarray(preds, dtype=np.int64)
    flat = np.bincount(labels * classes + preds, minlength=classes * classes)
    return flat[: classes * classes].reshape(classes, classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """float64 (classes,): the diagonal over the row sums; NaN for a class with no samples."""
    totals = confusion.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)


def cell_indices(
    labels: np.ndarray, preds: np.ndarray, true: int | None = None, pred: int | None = None
) -> np.ndarray:
    """Indices of samples with this true class and prediction (None: any; both None: wrong)."""
    mask = np.ones(len(labels), dtype=bool)
    if true is None and pred is None:
        return np.flatnonzero(labels != preds)
    if true is not None:
        mask &= labels == true
    if pred is not None:
        mask &= preds == pred
    return np.flatnonzero(mask)


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """The model in eval mode; every module's train/eval flag restored afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def model_device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def evaluate_batches(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], classes: int = 10
) -> EvalResult:
    """Run prepared (inputs, labels) batches through the model in eval mode, no grad."""
    device = model_device(model)
    parts: dict[str, list[np.ndarray]] = {"labels": [], "preds": [], "conf": [], "loss": []}
    with eval_mode(model), torch.inference_mode():
        for x, y in batches:
            logits = model(x.to(device)).float()
            target = y.to(device)
            probs = torch.softmax(logits, dim=1)
            confidence, preds = probs.max(dim=1)
            losses = F.cross_entropy(logits, target, reduction="none")
            parts["labels"].append(y.cpu().numpy().astype(np.int64))
            parts["preds"].append(preds.cpu().numpy().astype(np.int64))
            parts["conf"].append(confidence.cpu().numpy().astype(np.float32))
            parts["loss"].append(losses.cpu().numpy().astype(np.float32))

    def joined(key: str, dtype: Any) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.empty(0, dtype=dtype)

    return EvalResult(
        joined("labels", np.int64),
        joined("preds", np.int64),
        joined("conf", np.float32),
        joined("loss", np.float32),
        classes,
    )


def batches_of(
    count: int, batch: int, prepare: Callable[[int, int], torch.Tensor], labels: torch.Tensor
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(inputs, labels) batches from ``prepare(start, end)`` over ``count`` samples."""
    for start in range(0, count, batch):
        end = min(start + batch, count)
        yield prepare(start, end), labels[start:end]
