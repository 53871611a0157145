"""The layer table against torchinfo 1.8, row by row and in totals, on a zoo of models: torchvision
nets with random weights, the user-style models of tests/zoo, and the registry's models."""

from __future__ import annotations

import pytest
from torch import nn
from torchvision import models as tv

from engine.models.registry import build_model
from tests.engine.inspect.summary_oracle import (
    assert_rows_match,
    assert_totals_match,
    compare,
    count_linear_rows_by_hand,
    linear_hand_count,
)
from tests.zoo.depthwise import DepthwiseNet
from tests.zoo.linear_4d import Linear4D
from tests.zoo.reordered import Reordered
from tests.zoo.reused_conv import ReusedConv
from tests.zoo.tiny_resnet import TinyResNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TORCHVISION = {
    "resnet18": (tv.resnet18, (3, 64, 64)),
    "mobilenet_v3_small": (tv.mobilenet_v3_small, (3, 64, 64)),
    "squeezenet1_0": (tv.squeezenet1_0, (3, 64, 64)),  # 64 -> 29 -> 14 -> 7 -> 3 after its pools
}
ZOO = {"tiny_resnet": TinyResNet, "reused_conv": ReusedConv, "reordered": Reordered}
ZOO_SHAPE = (1, 28, 28)
REGISTRY = ["basic-cnn", "convnet", "lenet5", "mlp", "c16b-p-c32k5b-p-f64b-bn-d0.25", "fast-net"]


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_models_match_torchinfo(name: str) -> None:
    build, shape = TORCHVISION[name]
    ours, oracle = compare(build(weights=None), shape)
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)
    assert any(not layer.leaf for layer in ours.layers)  # the containers are rows too


@pytest.mark.parametrize("name", ZOO)
def test_zoo_models_match_torchinfo(name: str) -> None:
    ours, oracle = compare(ZOO[name](), ZOO_SHAPE)
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)


def test_depthwise_separable_net_matches_torchinfo() -> None:
    model = DepthwiseNet()
    ours, oracle = compare(model, ZOO_SHAPE)
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)
    rows = {layer.key: layer for layer in ours.layers}
    # the kinds the issue names are all in it
    assert model.grouped.groups == 4 and model.grouped.dilation == (2, 2)
    assert model.blocks[1].depthwise.groups == 32 and model.blocks[1].depthwise.stride == (2, 2)
    assert model.strided.stride[0] > model.strided.kernel_size[0] and model.strided.bias is None
    assert rows["blocks.1.depthwise"].output_shape == [-1, 32, 14, 14]
    assert rows["strided"].output_shape == [-1, 64, 7, 7]
    assert {"BatchNorm2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"} <= {
        layer.type for layer in ours.layers
    }


def test_linear_on_a_4d_activation_counts_every_row() -> None:
    """torchinfo counts Linear's weight and bias once per sample; we count them at every one of
    the 6 x 28 leading positions: in_features * out_features + out_features per row."""
    model = Linear4D()
    ours, oracle = compare(model, ZOO_SHAPE)
    mix_index = next(i for i, layer in enumerate(ours.layers) if layer.key == "mix")
    mix, theirs = ours.layers[mix_index], oracle.rows[mix_index]
    assert mix.input_shape == mix.output_shape == [-1, 6, 28, 28]
    rows = 6 * 28
    hand = 28 * 28 * rows + 28 * rows
    assert mix.macs == hand == linear_hand_count(mix)
    assert theirs.macs == model.mix.weight.numel() + model.mix.bias.numel()  # once per sample
    assert ours.total_macs == oracle.total_macs - theirs.macs + hand
    # with that one count put right, every row and total is torchinfo's
    assert count_linear_rows_by_hand(ours, oracle) == 1
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)


def test_convnext_matches_torchinfo_but_its_linear_rows() -> None:
    """ConvNeXt mixes channels with Linear layers on (N, H, W, C) activations and keeps a
    layer-scale parameter on each block: torchinfo's rows, with those Linears hand-counted."""
    ours, oracle = compare(tv.convnext_tiny(weights=None), (3, 32, 32))
    assert count_linear_rows_by_hand(ours, oracle) == 2 * (3 + 3 + 9 + 3)  # 2 per block
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)
    blocks = [layer for layer in ours.layers if layer.type == "CNBlock"]
    assert blocks and all(block.own_params > 0 for block in blocks)  # the layer scale


@pytest.mark.parametrize("name", REGISTRY)
def test_registry_models_match_torchinfo(name: str) -> None:
    model, info = build_model(name)
    ours, oracle = compare(model, info.input_shape)
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)


def test_a_model_registered_twice_keeps_torchinfo_depth() -> None:
    """A module reachable under two parents sits where torchinfo puts it (its last place in the
    tree) and is named by its first dotted name."""

    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.block = nn.Sequential(self.conv, nn.ReLU())

        def forward(self, x):
            return self.block(x)

    ours, oracle = compare(Shared(), ZOO_SHAPE)
    assert oracle.rows[1].var_name == "0"  # torchinfo names it by its last place: block.0
    oracle.rows[1].var_name = "conv"  # we keep the first name, the one named_modules() gives
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)
    assert [(layer.key, layer.depth) for layer in ours.layers] == [
        ("block", 1),
        ("conv", 2),
        ("block.1", 2),
    ]
