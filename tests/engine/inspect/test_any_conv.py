"""Kernels, the cell explainer and the attributions on any Conv2d: groups, depthwise, dilation,
stride, padding modes, no bias, non-square kernels, colour inputs; checked against F.conv2d,
torchvision's make_grid and captum as oracles, on small models and torchvision's own."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.inspect import activation_max, attribution
from engine.inspect.kernel_views import group_facts, rgb_pictures
from engine.models.registry import ModelInfo
from engine.process.cell_explain import explain_call_cell
from engine.process.current_model import CurrentModel
from engine.process.inspection_ops import InspectionOps
from tests.zoo.tiny_resnet import TinyResNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")

RGB_INFO = ModelInfo("user", "a user's model", (3, 16, 16), (0.5, 0.4, 0.3), (0.25, 0.2, 0.3))


class OddConvs(nn.Module):
    """An RGB stem, then a grouped, dilated, strided, reflect-padded conv with a 3x2 kernel
    and no bias, a depthwise conv used twice, and a head for 3 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, padding=1)
        self.odd = nn.Conv2d(
            6, 4, (3, 2), stride=(2, 1), dilation=(2, 3), padding=2, groups=2, bias=False,
            padding_mode="reflect",
        )  # fmt: skip
        self.depthwise = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.odd(F.relu(self.stem(x)))
        x = self.depthwise(F.relu(self.depthwise(x)))
        return self.head(x.mean(dim=(2, 3)))


def seeded(model: nn.Module, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    for p in model.parameters():
        nn.init.normal_(p, std=0.4)
    return model.eval()


def ops_for(model: nn.Module, info: ModelInfo = RGB_INFO) -> InspectionOps:
    current = CurrentModel()
    current.set_model(model, info)
    return InspectionOps(current, SimpleNamespace())


@pytest.mark.parametrize(("key", "cells"), [("odd", [(0, 0, 0), (3, 2, 4), (1, 7, 1)]),
                                            ("depthwise#2", [(2, 1, 1), (0, 0, 5)])])  # fmt: skip
def test_the_cell_explainer_sums_to_f_conv2d_s_cell(key: str, cells: list) -> None:
    model = seeded(OddConvs())
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():  # the oracle: the layer's input written out, through F.conv2d
        stem = F.relu(model.stem(x))
        odd_in = F.pad(stem, (2, 2, 2, 2), mode="reflect")
        odd = F.conv2d(odd_in, model.odd.weight, None, (2, 1), 0, (2, 3), 2)
        first = model.depthwise(odd)
        second = F.conv2d(F.relu(first), model.depthwise.weight, model.depthwise.bias, 1, 1, 1, 4)
    expected = odd if key == "odd" else second
    for channel, i, j in cells:
        cell = explain_call_cell(model, x, key, channel, i, j)
        want = float(expected[0, channel, i, j])
        assert cell["total"] == pytest.approx(want, abs=1e-5)
        assert cell["captured"] == pytest.approx(want, abs=1e-5)
        assert float(cell["products"].sum()) + cell["bias"] == pytest.approx(want, abs=1e-5)
        per_group = model.odd.in_channels // 2 if key == "odd" else 1
        assert len(cell["channels"]) == per_group  # a group's channels only
        assert cell["input_box"] is None  # functional ReLUs: no exact receptive field
    assert explain_call_cell(model, x, "odd", 0, None, None)["strongest"]


def test_a_sequential_conv_keeps_its_receptive_field() -> None:
    model = seeded(nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3, stride=2)))
    cell = explain_call_cell(model, torch.randn(1, 3, 12, 12), "2", 1, 1, 2)
    assert cell["input_box"] == (2, 4, 7, 9)


def test_depthwise_and_grouped_kernel_payloads_say_what_each_kernel_sees() -> None:
    ops = ops_for(seeded(OddConvs()))
    depthwise = ops.kernels("depthwise#2")
    assert depthwise["weights"].shape == (4, 1, 3, 3)
    assert depthwise["groups"] == 4 and depthwise["depthwise"] and not depthwise["rgb"]
    assert depthwise["channels_seen"].tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    odd = ops.kernels("odd")
    assert odd["weights"].shape == (4, 3, 3, 2) and odd["groups"] == 2
    assert not odd["depthwise"] and odd["channels_seen"].tolist() == [
        [0, 3],
        [0, 3],
        [3, 6],
        [3, 6],
    ]
    stem = ops.kernels("stem")  # the first layer on colour images: one RGB picture per kernel
    assert stem["rgb"] and stem["rgb_kernels"].shape == (6, 3, 3, 3)
    with pytest.raises(ValueError):
        group_facts(4, 6, 4)


def test_rgb_kernels_are_scaled_as_torchvision_make_grid_does() -> None:
    from torchvision.utils import make_grid

    weights = torch.randn(5, 3, 4, 3)
    weights[2] = 0.7  # a flat kernel
    grid = make_grid(weights.clone(), nrow=5, padding=0, normalize=True, scale_each=True)
    ours = rgb_pictures(weights.numpy())
    for k in range(5):
        np.testing.assert_allclose(ours[k], grid[:, :, 3 * k : 3 * k + 3].numpy(), atol=1e-6)


def test_torchvision_models_kernels_and_grad_cam() -> None:
    from captum import attr as captum
    from torchvision.models import mobilenet_v3_small, resnet18

    info = ModelInfo(
        "resnet18", "random", (3, 64, 64), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    )
    torch.manual_seed(0)
    resnet = resnet18(num_classes=5).eval()
    kernels = ops_for(resnet, info).kernels("conv1")
    assert kernels["rgb"] and kernels["rgb_kernels"].shape == (64, 3, 7, 7)
    assert not ops_for(resnet, info).kernels("layer1.0.conv1")["rgb"]
    x = torch.randn(1, 3, 64, 64)
    raw, _, _, name = attribution.grad_cam(resnet, x, target=4)
    assert name == "layer4.1.relu#2"  # the last block's output ReLU
    theirs = captum.LayerGradCam(resnet, resnet.layer4).attribute(
        x, target=4, relu_attributions=True
    )
    torch.testing.assert_close(torch.from_numpy(raw), theirs[0, 0].detach(), atol=1e-6, rtol=1e-4)
    mobile = mobilenet_v3_small(num_classes=5).eval()
    depthwise = ops_for(mobile, info).kernels("features.1.block.0.0")
    assert depthwise["depthwise"] and depthwise["weights"].shape == (16, 1, 3, 3)
    _, cam, _, name = attribution.grad_cam(mobile, x, target=1)
    assert name == "features.12.2" and cam.shape == (64, 64)  # last conv, its Hardswish
    cell = explain_call_cell(mobile, x, "features.1.block.0.0", 3, 2, 5)
    assert cell["total"] == pytest.approx(cell["output"], abs=1e-4)


def test_saliency_and_occlusion_equal_captum_on_a_three_class_rgb_resnet() -> None:
    from captum import attr as captum

    model = seeded(TinyResNet(num_classes=3, in_channels=3), seed=1)
    x = torch.randn(1, 3, 16, 16)
    values, target = attribution.saliency(model, x, 2)
    grads = captum.Saliency(model).attribute(x.clone().requires_grad_(True), target=2, abs=True)
    assert target == 2
    np.testing.assert_allclose(values, grads[0].amax(dim=0).numpy(), rtol=1e-5, atol=1e-7)
    black = tuple((0 - m) / s for m, s in zip(RGB_INFO.mean, RGB_INFO.std, strict=True))
    ours, _ = attribution.occlusion(model, x, 1, patch=4, stride=2, baseline=black)

    def probability(inputs: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(inputs), dim=1)[:, 1]

    baseline = torch.tensor(black).reshape(1, 3, 1, 1).expand_as(x)
    theirs = captum.Occlusion(probability).attribute(
        x, sliding_window_shapes=(3, 4, 4), strides=(3, 2, 2), baselines=baseline
    )
    for channel in range(3):  # captum gives each channel the same value for whole-pixel patches
        np.testing.assert_allclose(ours, theirs[0, channel].numpy(), rtol=1e-4, atol=1e-6)


def test_act_max_raises_a_class_and_a_reused_conv_call_on_rgb() -> None:
    model = seeded(OddConvs(), seed=2)
    bounds = ((-2.0, -2.0, -1.0), (2.0, 2.5, 2.3))  # per channel, as a colour data set's
    result = activation_max.activation_maximisation(
        model, input_shape=(3, 16, 16), steps=30, target_class=2, bounds=bounds
    )
    assert result.end > result.start and result.image.shape == (3, 16, 16)
    assert result.image[1].max() <= 2.5 + 1e-6 and result.image[2].min() >= -1.0 - 1e-6
    first = activation_max.activation_maximisation(model, "depthwise", 1, (3, 16, 16), steps=20)
    second = activation_max.activation_maximisation(model, "depthwise#2", 1, (3, 16, 16), steps=20)
    assert first.layer == "depthwise" and second.layer == "depthwise#2"
    assert second.end > second.start
    assert not np.allclose(first.image, second.image)
    default = activation_max.activation_maximisation(model, None, 0, (3, 16, 16), steps=2)
    assert default.layer == "depthwise#2"  # the last conv that ran


def test_zoo_depthwise_net_on_rgb_cells_and_kernels() -> None:
    from tests.zoo.depthwise import DepthwiseNet

    model = seeded(DepthwiseNet(num_classes=3, in_channels=3), seed=3)
    x = torch.randn(1, 3, 28, 28)
    layers = ["stem", "grouped", "blocks.1.depthwise", "blocks.1.pointwise", "strided"]
    for key in layers:
        module = dict(model.named_modules())[key]
        seen = layer_input(model, module, x)
        bias = None if module.bias is None else module.bias.detach()
        expected = F.conv2d(  # the oracle, from the input the layer really received
            seen, module.weight.detach(), bias, module.stride, module.padding,
            module.dilation, module.groups,
        )  # fmt: skip
        channel = module.out_channels - 1
        i, j = expected.shape[-2] // 2, expected.shape[-1] - 1
        cell = explain_call_cell(model, x, key, channel, i, j)
        assert cell["total"] == pytest.approx(float(expected[0, channel, i, j]), abs=1e-5), key
        assert len(cell["channels"]) == module.in_channels // module.groups
    ops = ops_for(model, replace_shape(RGB_INFO, (3, 28, 28)))
    depthwise = ops.kernels("blocks.1.depthwise")
    assert depthwise["depthwise"] and depthwise["channels_seen"][5].tolist() == [5, 6]
    grouped = ops.kernels("grouped")
    assert grouped["groups"] == 4 and grouped["channels_seen"][31].tolist() == [12, 16]
    assert ops.kernels("stem")["rgb"] and not grouped["rgb"]


def replace_shape(info: ModelInfo, shape: tuple[int, int, int]) -> ModelInfo:
    from dataclasses import replace

    return replace(info, input_shape=shape)


def layer_input(model: nn.Module, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What ``module`` received in its first call of ``model(x)``."""
    seen: list[torch.Tensor] = []

    def hook(_module: nn.Module, inputs: tuple, _output: torch.Tensor) -> None:
        seen.append(inputs[0].detach().clone())

    handle = module.register_forward_hook(hook)
    with torch.no_grad():
        model(x)
    handle.remove()
    return seen[0]
