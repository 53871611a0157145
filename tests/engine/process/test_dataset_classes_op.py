"""Opening a checkpoint on another dataset names its classes from a listing, never by
decoding the dataset's images (issue 15): CIFAR-10's batches stay unread."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.data import cifar10, datasets, folder_decode
from engine.models.registry import ModelInfo
from engine.process.model_ops import _with_dataset
from tests.engine.data.test_cifar10 import NAMES, cifar  # noqa: F401  (the fake CIFAR-10)

DIGITS = ModelInfo("basic-cnn", "a digits model", (3, 32, 32))


@pytest.fixture
def nothing_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading or decoding any dataset fails the test."""
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("loaded"))
    monkeypatch.setattr(datasets, "load_cifar10", lambda *a, **k: pytest.fail("loaded"))
    monkeypatch.setattr(cifar10, "load_cifar10", lambda *a, **k: pytest.fail("loaded"))
    monkeypatch.setattr(folder_decode, "decode_picture", lambda *a: pytest.fail("decoded"))


def test_cifar10_class_names_without_reading_its_batches(
    cifar: Path,  # noqa: F811
    nothing_decoded: None,
) -> None:
    shown = _with_dataset(DIGITS, f"cifar10:{cifar}")
    assert shown.classes == tuple(NAMES) and shown.dataset == f"cifar10:{cifar}"
