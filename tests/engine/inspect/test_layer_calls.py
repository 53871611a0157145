"""Layer keys name one call of any module (engine.inspect.layer_calls): ``conv#2`` is the second
call's maps, containers give their output, unknown keys get one line with close names, and
Grad-CAM's default layer is the last conv that RAN (not the last declared), read after its ReLU."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.inspect import attribution
from engine.inspect.activations import capture_activations, layer_kernels
from engine.inspect.layer_calls import (
    LayerKeyError,
    capture_call,
    executed_calls,
    resolve_layer,
)
from engine.inspect.layer_story import layer_story
from tests.zoo.tiny_resnet import TinyResNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Reused(nn.Module):
    """One 3x3 conv applied three times (weights shared), as a user's recurrent block."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x))
        for _ in range(3):
            x = F.relu(self.conv(x))
        return self.head(x.mean(dim=(2, 3)))


class Reordered(nn.Module):
    """Declared head first: the last DECLARED conv (``late``) runs first; ``early`` runs last."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 3)
        self.early = nn.Conv2d(4, 6, 3, padding=1)
        self.early_relu = nn.ReLU()
        self.late = nn.Conv2d(1, 4, 3, padding=1)
        self.late_relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.late_relu(self.late(x)))
        x = self.early_relu(self.early(x))
        return self.fc(x.mean(dim=(2, 3)))


def seeded(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for p in model.parameters():
        nn.init.normal_(p, std=0.5)
    return model.eval()


def test_second_call_key_returns_the_second_call_s_maps() -> None:
    model = seeded(Reused())
    x = torch.randn(1, 1, 12, 12)
    first, _ = capture_call(model, "conv", x)
    second, _ = capture_call(model, "conv#2", x)
    third, logits = capture_call(model, "conv#3", x)
    with torch.no_grad():  # the oracle: the same pass written out by hand
        a = F.relu(model.stem(x))
        c1 = model.conv(a)
        c2 = model.conv(F.relu(c1))
        c3 = model.conv(F.relu(c2))
    torch.testing.assert_close(first.output, c1)
    torch.testing.assert_close(second.output, c2)
    torch.testing.assert_close(third.output, c3)
    torch.testing.assert_close(second.input, F.relu(c1))
    assert not torch.allclose(first.output, second.output)
    torch.testing.assert_close(logits, model(x).detach())
    acts = capture_activations(model, x, ["conv#3", "conv#2"])
    assert list(acts) == ["conv#2", "conv#3"]  # in the order they ran
    torch.testing.assert_close(acts["conv#2"], c2)
    torch.testing.assert_close(layer_kernels(model, "conv#2"), model.conv.weight.detach())


def test_a_call_that_did_not_run_and_unknown_names_are_one_line() -> None:
    model = seeded(Reused())
    x = torch.randn(1, 1, 8, 8)
    with pytest.raises(LayerKeyError) as ran:
        capture_call(model, "conv#4", x)
    assert "conv ran 3 time(s)" in str(ran.value) and "conv to conv#3" in str(ran.value)
    with pytest.raises(LayerKeyError) as unknown:
        resolve_layer(model, "cnov")
    message = str(unknown.value)
    assert "unknown layer 'cnov'" in message and "close names: conv" in message
    assert "\n" not in message
    with pytest.raises(LayerKeyError, match="2 or more"):
        resolve_layer(model, "conv#1")


def test_a_container_s_feature_maps_are_its_output() -> None:
    model = seeded(TinyResNet(num_classes=3, in_channels=3))
    x = torch.randn(1, 3, 16, 16)
    block, _ = capture_call(model, "layer2", x)
    with torch.no_grad():
        expected = model.layer2(model.layer1(model.stem(x)))
    torch.testing.assert_close(block.output, expected)
    story = layer_story(model, x, "layer1.relu#2")  # the block's output ReLU, second call
    torch.testing.assert_close(torch.from_numpy(story["after"]), model.layer1(model.stem(x))[0])
    assert story["kind"] == "activation"


def test_grad_cam_defaults_to_the_last_executed_conv_not_the_last_declared() -> None:
    model = seeded(Reordered())
    x = torch.randn(1, 1, 12, 12)
    declared = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert declared[-1] == "late"  # what the old default took
    ran = [c.key for c in executed_calls(model, x) if isinstance(c.module, nn.Conv2d)]
    assert ran == ["late", "early"]
    _, _, _, layer = attribution.grad_cam(model, x)
    assert layer == "early_relu"  # the last conv that ran, after its ReLU
    assert attribution.gradcam_layers(model, x) == ["late_relu", "early_relu"]
    assert attribution.conv_layers(model, x) == ["late", "early"]


def test_grad_cam_of_a_reused_conv_call_reads_that_call() -> None:
    model = seeded(Reused())
    x = torch.randn(1, 1, 10, 10)
    assert attribution.conv_layers(model, x) == ["stem", "conv", "conv#2", "conv#3"]
    raw2, _, _, name = attribution.grad_cam(model, x, "conv#2", target=1)
    raw3, *_ = attribution.grad_cam(model, x, "conv#3", target=1)
    assert name == "conv#2" and raw2.shape == (10, 10)
    assert not torch.allclose(torch.from_numpy(raw2), torch.from_numpy(raw3))


def test_grad_cam_on_the_resnet_block_output_equals_captum() -> None:
    from captum import attr as captum

    model = seeded(TinyResNet(num_classes=3, in_channels=3))
    x = torch.randn(1, 3, 16, 16)
    raw, _, target, name = attribution.grad_cam(model, x, target=2)
    # the last conv run is layer2's 1x1 shortcut; its rectified output is the block's ReLU
    # (second call of layer2.relu), i.e. the output of layer2, where Grad-CAM usually looks
    assert name == "layer2.relu#2" and target == 2
    gradcam = captum.LayerGradCam(model, model.layer2)
    theirs = gradcam.attribute(x, target=2, relu_attributions=True)  # ReLU after the sum
    torch.testing.assert_close(torch.from_numpy(raw), theirs[0, 0].detach(), atol=1e-6, rtol=1e-5)


def test_zoo_reordered_grad_cam_takes_the_conv_that_ran_last_and_equals_captum() -> None:
    from captum import attr as captum

    from tests.zoo.reordered import Reordered as ZooReordered

    model = seeded(ZooReordered(num_classes=4))
    x = torch.randn(1, 1, 28, 28)
    declared = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert declared[-1] == "stem.0" and attribution.conv_layers(model, x)[-1] == "stages.0.0"
    raw, _, _, name = attribution.grad_cam(model, x, target=3)
    assert name == "stages.0.2" and raw.shape == (7, 7)  # after its batch norm, its ReLU
    theirs = captum.LayerGradCam(model, model.stages[0][2]).attribute(
        x, target=3, relu_attributions=True
    )
    torch.testing.assert_close(torch.from_numpy(raw), theirs[0, 0].detach(), atol=1e-6, rtol=1e-5)


def test_zoo_reused_conv_keys_name_each_call_and_its_relu() -> None:
    from tests.zoo.reused_conv import ReusedConv

    model = seeded(ReusedConv(num_classes=3))
    x = torch.randn(1, 1, 28, 28)
    maps = capture_activations(model, x, ["shared", "shared#2", "shared#3"])
    assert [tuple(t.shape[-2:]) for t in maps.values()] == [(28, 28), (14, 14), (7, 7)]
    assert attribution.gradcam_layers(model, x) == ["relu", "relu#2", "relu#3", "relu#4"]
    assert attribution.grad_cam(model, x, target=0)[3] == "relu#4"
    second = capture_call(model, "relu#3", x)[0]
    torch.testing.assert_close(second.output, maps["shared#2"].clamp(min=0))
