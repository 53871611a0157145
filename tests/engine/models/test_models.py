"""engine.models.registry and engine.models.spec: registry architectures, parameter counts, spec
grammar."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.errors import SpecError
from engine.models.registry import build_model, count_params, model_names, named_layers
from engine.models.spec import build_from_spec, looks_like_spec

EXPECTED_PARAMS = {"basic-cnn": 206_922, "convnet": 421_642, "lenet5": 61_706, "mlp": 669_706}


@pytest.mark.parametrize(("name", "params"), EXPECTED_PARAMS.items())
def test_tutorial_parameter_counts(name: str, params: int) -> None:
    model, info = build_model(name)
    assert count_params(model) == params
    assert model(torch.zeros(3, *info.input_shape)).shape == (3, 10)


def test_alexnet_is_torchvision_and_labelled_random() -> None:
    model, info = build_model("alexnet")
    assert count_params(model) == 61_100_840
    assert info.input_shape == (3, 224, 224) and "random init" in info.weights


def test_tutorial_layer_names() -> None:
    names = [name for name, _ in named_layers(build_model("lenet5")[0])]
    assert names == [
        "conv1",
        "relu1",
        "pool1",
        "conv2",
        "relu2",
        "pool2",
        "flatten",
        "fc1",
        "relu3",
        "fc2",
        "relu4",
        "fc3",
    ]
    conv1 = dict(named_layers(build_model("lenet5")[0]))["conv1"]
    assert (conv1.out_channels, conv1.kernel_size, conv1.padding) == (6, (5, 5), (2, 2))
    mlp_layers = dict(named_layers(build_model("mlp")[0]))
    assert mlp_layers["drop1"].p == pytest.approx(0.2)


def test_every_registry_model_runs() -> None:
    for name in model_names():
        if name == "alexnet":
            continue
        model, info = build_model(name)
        assert model(torch.zeros(2, *info.input_shape)).shape == (2, 10), name


def test_spec_builds_third_block_with_dropout_and_batch_norm() -> None:
    model = build_from_spec("c32k3-p-c64k3-p-c128k3b-p-f128-d0.25")
    layers = dict(named_layers(model))
    assert layers["conv3"].out_channels == 128 and isinstance(layers["bn1"], nn.BatchNorm2d)
    assert layers["conv3"].bias is None  # batch norm makes the conv bias redundant
    assert isinstance(layers["drop1"], nn.Dropout) and layers["drop1"].p == 0.25
    assert layers["fc1"].in_features == 128 * 3 * 3
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_spec_kernel_stride_padding_and_pools() -> None:
    model = build_from_spec("c8k5p0-ap-c16s2-gap")
    layers = dict(named_layers(model))
    assert layers["conv1"].padding == (0, 0) and layers["conv2"].stride == (2, 2)
    assert isinstance(layers["pool1"], nn.AvgPool2d)
    assert layers["fc1"].in_features == 16
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


@pytest.mark.parametrize(
    ("spec", "token"),
    [
        ("c32-x-f10", "token 2 'x'"),
        ("c32-p-p-p-p-p-p", "token 6 'p'"),
        ("f10-c8", "token 2 'c8'"),
        ("c8k40p0", "token 1 'c8k40p0'"),
        ("c0", "token 1 'c0'"),
        ("c8-d2", "token 2 'd2'"),
    ],
)
def test_bad_spec_points_at_token(spec: str, token: str) -> None:
    with pytest.raises(SpecError) as info:
        build_model(spec)
    assert token in str(info.value) and "\n" not in str(info.value)


def test_unknown_name_lists_models() -> None:
    with pytest.raises(SpecError, match="unknown model 'resnet'.*lenet5"):
        build_model("resnet")
    assert looks_like_spec("c32-p-f128") and not looks_like_spec("lenet5")
