"""The child's inspection, story, evaluation and attribution ops on a user's model with three
classes and colour inputs (tests/zoo/tiny_resnet.py), with layer keys for calls and containers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from engine.data.mnist import MnistSplit
from engine.inspect import attribution
from engine.models.registry import ModelInfo
from engine.process.attribution_ops import AttributionOps
from engine.process.current_model import CurrentModel
from engine.process.inspection_ops import InspectionOps
from engine.process.interpret_ops import EvaluateOps
from engine.process.story_ops import StoryOps
from tests.zoo.tiny_resnet import TinyResNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")

INFO = ModelInfo(
    "tiny_resnet.py:TinyResNet", "a user's model", (3, 16, 16), (0.5, 0.4, 0.3), (0.25, 0.2, 0.3)
)
INFO = replace(INFO, classes=("circle", "square", "triangle"), dataset="folder:/shapes")


class ColourInputs:
    """What the ops ask of SampleInputs, over 12 random colour pictures of 3 classes."""

    def __init__(self, current: CurrentModel) -> None:
        generator = torch.Generator().manual_seed(4)
        self.current = current
        self.data = MnistSplit(
            torch.randint(0, 256, (12, 3, 16, 16), dtype=torch.uint8, generator=generator),
            torch.arange(12) % 3,
        )

    def split(self, name: str = "test") -> MnistSplit:
        return self.data

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(INFO.mean).reshape(1, 3, 1, 1)
        std = torch.tensor(INFO.std).reshape(1, 3, 1, 1)
        return (images.float() / 255 - mean) / std

    def inputs(self, indices: list[int], split: str = "test") -> tuple[Any, list, list]:
        raw = self.data.images[list(indices)]
        return (
            self.prepare(raw),
            [r.numpy() for r in raw],
            [int(self.data.labels[i]) for i in indices],
        )


@pytest.fixture(scope="module")
def ops() -> dict[str, Any]:
    torch.manual_seed(0)
    model = TinyResNet(num_classes=3, in_channels=3).eval()
    current = CurrentModel()
    current.set_model(model, INFO)
    inputs = ColourInputs(current)
    evaluation = EvaluateOps(current, inputs)
    return {
        "model": model,
        "inputs": inputs,
        "inspection": InspectionOps(current, inputs),
        "stories": StoryOps(current, inputs),
        "evaluation": evaluation,
        "attribution": AttributionOps(evaluation),
    }


def test_evaluation_counts_three_classes(ops: dict[str, Any]) -> None:
    report = ops["evaluation"].evaluate()
    assert report["confusion"].shape == (3, 3) and report["count"] == 12
    assert report["class_counts"].tolist() == [4, 4, 4]


def test_saliency_occlusion_and_grad_cam_ops_on_colour_inputs(ops: dict[str, Any]) -> None:
    model, inputs = ops["model"], ops["inputs"]
    x, _, _ = inputs.inputs([5])
    saliency = ops["attribution"].attribute(5, "saliency", target=2)
    expected, _ = attribution.saliency(model, x, 2)
    np.testing.assert_allclose(saliency["maps"][0]["values"], expected, rtol=1e-6)
    occlusion = ops["attribution"].attribute(5, "occlusion", target=1)
    black = tuple((0 - m) / s for m, s in zip(INFO.mean, INFO.std, strict=True))
    direct, _ = attribution.occlusion(model, x, 1, 6, 2, black)  # a black pixel per channel
    np.testing.assert_allclose(occlusion["maps"][0]["values"], direct, rtol=1e-6)
    gradcam = ops["evaluation"].gradcam(5, target=0)
    assert gradcam["layer"] == "layer2.relu#2" and gradcam["cam"].shape == (16, 16)
    assert gradcam["convs"][-1] == "layer2.shortcut.0"  # the conv that ran last
    chosen = ops["evaluation"].gradcam(5, layer="layer1.relu#2", target=0)
    assert chosen["raw"].shape == (16, 16)
    with pytest.raises(Exception, match="out of range; use 0 to 2"):
        ops["attribution"].attribute(5, "saliency", target=3)


def test_act_max_for_a_class_and_a_channel_of_a_colour_model(ops: dict[str, Any]) -> None:
    klass = ops["evaluation"].actmax(target_class=2, steps=25)
    assert klass["pixels"].shape == (3, 16, 16) and klass["end"] > klass["start"]
    assert klass["pixels"].min() >= 0.0 and klass["pixels"].max() <= 1.0
    channel = ops["evaluation"].actmax(layer="layer2.conv2", channel=3, steps=10)
    assert channel["layer"] == "layer2.conv2" and channel["channels"] == 32
    assert channel["layers"][-1] == "layer2.shortcut.0"


def test_maps_story_kernels_and_cells_by_layer_key(ops: dict[str, Any]) -> None:
    model, inspection = ops["model"], ops["inspection"]
    x, _, _ = ops["inputs"].inputs([3])
    first = inspection.activations("layer1.relu", 3)
    second = inspection.activations("layer1.relu#2", 3)
    assert first["shape"] == second["shape"] == (16, 16, 16)
    assert not np.array_equal(first["ranges"], second["ranges"])  # two different calls
    block = inspection.activations("layer2", 3)  # a container row: its output
    assert block["shape"] == (32, 8, 8)
    with torch.no_grad():
        out = model.layer2(model.layer1(model.stem(x)))[0]
    np.testing.assert_allclose(block["ranges"][:, 1], out.amax(dim=(1, 2)).numpy(), rtol=1e-5)
    story = ops["stories"].layer_story("layer2.conv1", 3)
    assert (
        story["kind"] == "conv" and "(stride 2x2)" in story["line"] and "no bias" in story["line"]
    )
    stem = inspection.kernels("stem.0")
    assert stem["rgb"] and stem["rgb_kernels"].shape == (16, 3, 3, 3)
    cell = inspection.explain("layer2.conv1", 3, 5)
    assert cell["total"] == pytest.approx(cell["captured"], abs=1e-5)
    with pytest.raises(Exception, match=r"unknown layer 'layer3'; close names: layer2"):
        inspection.activations("layer3", 3)
    with pytest.raises(Exception, match="is a BatchNorm2d"):
        inspection.explain("stem.1", 3, 0)
    assert isinstance(model.stem[1], nn.BatchNorm2d)


def test_the_cli_words_name_the_user_s_classes(ops: dict[str, Any]) -> None:
    from engine.cli import actmax, interpret
    from engine.cli.interpret_text import interpret_lines
    from engine.render.attribution_figure import attribution_figure

    payload = ops["attribution"].attribute(2, "saliency", target=2)
    assert payload["maps"][0]["class_label"] == "2 triangle"
    text = "\n".join(interpret_lines(payload, "tiny", "ascii"))
    assert "test image #2: true 2 triangle, predicted" in text and "the image" in text
    assert "class 2 triangle" in text and "target 2 triangle (p=" in text
    answer = interpret.json_object(payload)
    assert (answer["target_name"], answer["label_name"]) == ("triangle", "triangle")
    assert "class 2 triangle" in attribution_figure(payload)["panels"][1]["label"]
    maximised = ops["evaluation"].actmax(target_class=1, steps=2)
    assert actmax.json_object(maximised, 3)["class_name"] == "square"
    assert actmax.summary_line(maximised).startswith("class 1 square: p = ")
