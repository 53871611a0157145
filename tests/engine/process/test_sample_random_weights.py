"""Issue 13 point 4, the engine's side: a sample says when its prediction comes from random
weights (a fresh model, AlexNet without pretrained weights), and AlexNet's classes are
torchvision's ImageNet names, read from its weights' metadata (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.process.workbench import Workbench

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_fresh_model_s_predictions_come_from_random_weights() -> None:
    bench = Workbench()
    bench.load(model="c4-p-f16")
    assert bench.sample(0)["random_weights"] is True


def test_a_trained_checkpoint_s_predictions_do_not(tiny_trained_run: Path) -> None:
    bench = Workbench()
    bench.load(checkpoint=str(tiny_trained_run / "checkpoint.pt"))
    assert bench.sample(0)["random_weights"] is False


def test_alexnet_names_imagenet_classes_and_without_weights_is_random(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchvision.models import AlexNet_Weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # no cached pretrained weights here
    bench = Workbench()
    payload = bench.load(model="alexnet")
    assert payload["info"]["weights"].startswith("random init")
    assert payload["classes"] == list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])
    assert payload["classes"][:2] == ["tench", "goldfish"] and len(payload["classes"]) == 1000
    assert bench.sample(0)["random_weights"] is True
    assert not list(tmp_path.rglob("*.pth"))  # nothing was downloaded
