"""The ``attribute`` op: one method for the true and the predicted class, equal to
engine.inspect.attribution, with the colour map that reads each map and p(class)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli.model_source import model_from_checkpoint
from engine.errors import EngineError
from engine.inspect import attribution
from engine.process.protocol import OPS, Request
from engine.process.workbench import Workbench

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def bench(tiny_trained_run: Path) -> Workbench:
    model, info = model_from_checkpoint(tiny_trained_run)
    workbench = Workbench()
    workbench.set_model(model, info)
    return workbench


def digits(bench: Workbench, right: bool) -> int:
    """A test digit the model gets right (or wrong)."""
    for index in range(300):
        payload = bench.evaluation.saliency(index)
        if (payload["label"] == payload["pred"]) == right:
            return index
    pytest.skip("no such digit in the first 300")


def test_a_mistake_is_explained_for_its_true_then_its_predicted_class(bench: Workbench) -> None:
    index = digits(bench, right=False)
    payload = bench.handle(Request(1, "attribute", {"index": index, "method": "saliency"}))
    assert payload.ok, payload.error
    answer = payload.payload
    (true, pred) = answer["maps"]
    assert (true["role"], true["target"]) == ("true", answer["label"])
    assert (pred["role"], pred["target"]) == ("predicted", answer["pred"])
    x, _, _ = bench.inputs([index], "test")
    for entry in (true, pred):
        expected, _ = attribution.saliency(bench.model, x, entry["target"])
        np.testing.assert_allclose(entry["values"], expected, rtol=1e-6)
        assert entry["cmap"] == "sequential" and entry["range"][0] >= 0
    with torch.no_grad():
        probs = torch.softmax(bench.model(x), dim=1)[0]
    assert true["probability"] == pytest.approx(float(probs[true["target"]]), abs=1e-6)
    assert not answer["same"] and "attribute" in OPS


def test_a_right_answer_gives_one_map_and_occlusion_is_signed(bench: Workbench) -> None:
    index = digits(bench, right=True)
    answer = bench.attribute(index, "occlusion")
    assert answer["same"] and len(answer["maps"]) == 1
    entry = answer["maps"][0]
    assert entry["cmap"] == ("diverging" if entry["range"][0] < 0 else "sequential")
    assert "6x6 patch" in answer["how_to_read"][0]
    gradcam = bench.attribute(index, "gradcam", layer=None, target=3)
    probe = torch.zeros(1, 1, 28, 28)
    assert gradcam["layer"] == attribution.gradcam_layers(bench.model, probe)[-1]
    assert gradcam["maps"][0]["values"].shape == (28, 28) and gradcam["maps"][0]["target"] == 3


def test_bad_arguments_are_one_line_errors(bench: Workbench) -> None:
    with pytest.raises(EngineError, match="unknown method"):
        bench.attribute(0, "lime")
    with pytest.raises(EngineError, match="out of range"):
        bench.attribute(0, "saliency", target=10)
    with pytest.raises(EngineError, match="not a conv layer"):
        bench.attribute(0, "gradcam", layer="nope")
