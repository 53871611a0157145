"""Issue 15 points 1 and 3: registry networks and specs are built for the data's input shape
(C, H, W) and number of classes; --input-shape reads "1,28,28" or "3x32x32", one line else."""

from __future__ import annotations

import argparse

import pytest
import torch

from engine.cli.arg_types import input_shape_arg
from engine.cli.main import OneLineParser
from engine.errors import ConfigError, SpecError
from engine.models.catalog import MODEL_NAMES, check_model_name, parse_input_shape
from engine.models.registry import build_model, named_layers

TRAINABLE = [name for name in MODEL_NAMES if name != "alexnet"]


@pytest.mark.parametrize("name", [*TRAINABLE, "c8k5p0-ap-c16s2-gap", "c8-p-f32b-d0.5"])
@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 40, 24), (3, 64, 64)])
def test_registry_models_and_specs_take_the_shape_and_classes(name, shape) -> None:
    model, info = build_model(name, input_shape=shape, classes=("cat", "dog", "bird"))
    assert model(torch.zeros(2, *shape)).shape == (2, 3)
    assert info.input_shape == shape and info.classes == ("cat", "dog", "bird")
    first = next(module for _, module in named_layers(model) if hasattr(module, "weight"))
    assert first.weight.shape[1] in (shape[0], shape[0] * shape[1] * shape[2])  # conv or mlp


def test_the_default_is_mnist_and_its_networks_are_unchanged() -> None:
    model, info = build_model("lenet5")
    assert info.input_shape == (1, 28, 28) and info.classes == tuple("0123456789")
    assert dict(named_layers(model))["fc1"].in_features == 400  # 16 x 5 x 5, as in the tutorial
    rgb = dict(named_layers(build_model("lenet5", input_shape=(3, 32, 32))[0]))
    assert rgb["conv1"].in_channels == 3 and rgb["fc1"].in_features == 16 * 6 * 6


def test_alexnet_keeps_its_photos_and_imagenet_classes() -> None:
    with torch.device("meta"):
        _, info = build_model("alexnet", input_shape=(1, 28, 28), classes=("a", "b"))
    assert info.input_shape == (3, 224, 224) and len(info.classes) == 1000
    assert info.classes[0] == "tench" and info.dataset == "imagenet"


@pytest.mark.parametrize(
    ("name", "shape", "says"),
    [
        ("basic-cnn", (1, 2, 2), "basic-cnn cannot be built for 1x2x2 inputs: its maps of a"),
        ("lenet5", (1, 10, 10), "lenet5 cannot be built for 1x10x10 inputs: its maps"),
        ("fast-net", (1, 3, 3), "1x3x3 inputs: token 4 'p' cannot pool a 1x1 map here; pass"),
        ("mlp", (64, 1024, 1024), "34,359,738,368 weights, over 50,000,000; pass another"),
    ],
)
def test_a_tutorial_network_that_cannot_take_the_shape_is_one_line(name, shape, says) -> None:
    with pytest.raises(ConfigError) as info:
        build_model(name, input_shape=shape)
    message = str(info.value)
    assert says in message and "\n" not in message and "grammar:" not in message, message


def test_a_spec_is_planned_for_the_shape() -> None:
    with pytest.raises(SpecError, match="token 1 'c8k5p0' does not fit a 3x3 input"):
        build_model("c8k5p0", input_shape=(1, 3, 3))
    model, _ = build_model("c8k5p0-p", input_shape=(2, 9, 13))  # not square
    assert dict(named_layers(model))["fc1"].in_features == 8 * 2 * 4
    with pytest.raises(SpecError, match="kernel size 60; use 1 to 48"):
        build_model("c8k60", input_shape=(1, 48, 32))  # bounds follow the longer side


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"input_shape": (0, 28, 28)}, "input shape has 0 channels; use 1 to 64"),
        ({"input_shape": (1, 28, 5000)}, "input shape 28x5000 is out of range"),
        ({"classes": ("only",)}, "a classifier needs at least 2 classes, got 1"),
    ],
)
def test_bad_shapes_and_classes_are_one_line(kwargs, says) -> None:
    with pytest.raises(ConfigError, match=says):
        build_model("lenet5", **kwargs)


@pytest.mark.parametrize(
    ("text", "shape"),
    [("1,28,28", (1, 28, 28)), ("3x32x32", (3, 32, 32)), (" 3, 64 ,48 ", (3, 64, 48))],
)
def test_input_shape_forms(text, shape) -> None:
    assert input_shape_arg(text) == shape == parse_input_shape(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("28,28", "input shape '28,28' is not C,H,W such as 1,28,28 or 3x32x32"),
        ("1,28,-3", "is not C,H,W"),
        ("a,b,c", "is not C,H,W"),
        ("1,28,99999999999", "is not C,H,W"),
        ("0,28,28", "input shape has 0 channels; use 1 to 64"),
        ("3,2048,32", "input shape 2048x32 is out of range; use sides of 1 to 1024"),
    ],
)
def test_a_bad_input_shape_is_one_argparse_line(text, says, capsys) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        input_shape_arg(text)
    parser = OneLineParser(prog="engine")
    parser.add_argument("--input-shape", type=input_shape_arg)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--input-shape", text])
    err = capsys.readouterr().err.strip()
    assert exited.value.code == 2 and says in err and "\n" not in err, err


def test_the_ui_check_plans_a_spec_for_the_shape() -> None:
    check_model_name("c8k5p0-p-c8k5p0-p-c8k5p0", input_shape=(3, 32, 32))  # 32 -> 28 -> 14 -> 10
    with pytest.raises(SpecError, match="token 5 'c8k5p0' does not fit a 4x4 input"):
        check_model_name("c8k5p0-p-c8k5p0-p-c8k5p0")  # 28 -> 24 -> 12 -> 8 -> 4, too small for 5x5
