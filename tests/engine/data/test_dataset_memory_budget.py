"""Every dataset kind is refused in one line before it is resized past the decoded-size
budget (issue 15): the MNISTs at 3,224,224 would take ~10 GiB; nothing is resized."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.data import datasets
from engine.errors import DataError
from tests.engine.data.test_cifar10 import cifar  # noqa: F401  (the fake CIFAR-10 fixture)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def no_resize(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resizing fails the test: the refusal must come before any pixels are fitted."""
    monkeypatch.setattr(datasets, "fit_images", lambda *a: pytest.fail("resized"))


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_the_mnists_at_224_are_refused_before_resizing(name: str, no_resize: None) -> None:
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(name, (3, 224, 224))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{name}: 70,000 images at 3x224x224 need 9.8 GiB decoded")
    assert "pass a smaller --input-shape (e.g. 3,64,64)" in message


def test_cifar10_is_refused_past_the_budget(
    cifar: Path,  # noqa: F811
    no_resize: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(datasets, "MEMORY_BUDGET_BYTES", 25 * 3 * 64 * 64 - 1)  # 20 + 5 images
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(f"cifar10:{cifar}", (3, 64, 64))
    assert str(caught.value).startswith(f"cifar10:{cifar}: 25 images at 3x64x64 need")


def test_a_shape_within_the_budget_still_loads(cifar: Path) -> None:  # noqa: F811
    loaded = datasets.load_dataset(f"cifar10:{cifar}", (3, 40, 40))
    assert tuple(loaded.train.images.shape) == (20, 3, 40, 40)
