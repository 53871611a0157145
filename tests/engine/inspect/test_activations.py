"""engine.inspect.activations: layer outputs, kernels and picture inputs, leaving the model as it
was."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from engine.data.idx import MNIST_MEAN, MNIST_STD
from engine.errors import DataError, SpecError
from engine.inspect.activations import (
    capture_activations,
    denormalize,
    kernel_layers,
    layer_kernels,
    load_image,
    predict,
)
from engine.inspect.summary import summarize
from engine.models.registry import IMAGENET_MEAN, IMAGENET_STD, ModelInfo, build_model, named_layers

MNIST_INFO = ModelInfo("lenet5", "test")
ALEXNET_INFO = ModelInfo("alexnet", "test", (3, 224, 224), IMAGENET_MEAN, IMAGENET_STD)


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_every_leaf_layer_in_forward_order_with_summary_shapes() -> None:
    model, info = build_model("lenet5")
    x = torch.randn(1, *info.input_shape)
    acts = capture_activations(model, x)
    assert isinstance(acts, OrderedDict)
    assert list(acts) == [name for name, _ in named_layers(model)]
    summary = summarize(model, info.input_shape)
    for layer in summary.layers:
        assert list(acts[layer.name].shape) == [1, *layer.output_shape[1:]]
    # each output is the previous one pushed through that layer
    previous = x
    for name, module in named_layers(model):
        with torch.no_grad():
            expected = module(previous)
        torch.testing.assert_close(acts[name], expected)
        previous = expected


def test_outputs_are_plain_detached_cpu_copies() -> None:
    model, info = build_model("basic-cnn")
    acts = capture_activations(model, torch.randn(1, *info.input_shape))
    for tensor in acts.values():
        assert tensor.device.type == "cpu" and not tensor.requires_grad
        assert not tensor.is_inference()
    acts["conv1"].add_(1.0)  # callers may modify what they get


def test_in_place_relu_does_not_overwrite_captured_conv_output() -> None:
    model = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 4, 3), relu=nn.ReLU(inplace=True)))
    acts = capture_activations(model, torch.randn(1, 1, 8, 8))
    assert (acts["conv"] < 0).any()
    torch.testing.assert_close(acts["relu"], acts["conv"].clamp(min=0))


def test_selected_layers_and_unknown_layer() -> None:
    model, info = build_model("lenet5")
    acts = capture_activations(model, torch.zeros(1, *info.input_shape), ["fc1", "conv2"])
    assert list(acts) == ["conv2", "fc1"]  # forward order
    with pytest.raises(SpecError) as err:
        capture_activations(model, torch.zeros(1, *info.input_shape), ["conv9"])
    message = str(err.value)
    assert "conv9" in message and "conv1" in message and "fc3" in message
    assert "\n" not in message
    assert hook_count(model) == 0


@pytest.mark.parametrize("train", [True, False])
def test_mode_params_and_hooks_are_restored(train: bool) -> None:
    model, info = build_model("c8b-p-f32b-d0.5")
    model.train(train)
    modes = [m.training for m in model.modules()]
    before = snapshot(model)
    x = torch.randn(2, *info.input_shape)
    first = capture_activations(model, x)
    second = capture_activations(model, x)
    for name in first:  # eval mode inside: dropout off, batch norm on running stats
        torch.testing.assert_close(first[name], second[name])
    assert [m.training for m in model.modules()] == modes
    assert hook_count(model) == 0
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert all(p.grad is None for p in model.parameters())


def test_hooks_removed_and_mode_restored_on_error() -> None:
    model, _ = build_model("lenet5")
    model.train()
    with pytest.raises(RuntimeError):
        capture_activations(model, torch.zeros(1, 3, 10, 10))
    assert hook_count(model) == 0
    assert all(m.training for m in model.modules())


def test_predict_gives_probabilities_and_restores_mode() -> None:
    model, info = build_model("mlp")
    model.train()
    probs = predict(model, torch.randn(3, *info.input_shape))
    assert probs.shape == (3, 10)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(3))
    assert model.training and not probs.is_inference()


def test_layer_kernels_conv_and_linear() -> None:
    model, _ = build_model("lenet5")
    conv = layer_kernels(model, "conv2")
    assert conv.shape == (16, 6, 5, 5) and conv.dtype == torch.float32
    torch.testing.assert_close(conv, model.conv2.weight.detach())
    dense = layer_kernels(model, "fc1")
    assert dense.shape == (120, 400, 1, 1)
    torch.testing.assert_close(dense[:, :, 0, 0], model.fc1.weight.detach())
    conv.zero_()  # a copy: the model keeps its weights
    assert model.conv2.weight.abs().sum() > 0
    assert kernel_layers(model) == ["conv1", "conv2", "fc1", "fc2", "fc3"]


@pytest.mark.parametrize("layer", ["relu1", "pool1", "nope", "bn1"])
def test_layer_kernels_rejects_layers_without_weights(layer: str) -> None:
    model, _ = build_model("c8b-p")
    with pytest.raises(SpecError) as err:
        layer_kernels(model, layer)
    message = str(err.value)
    assert layer in message and "conv1, fc1" in message and "\n" not in message


def write_picture(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array.astype(np.uint8)).save(path)
    return path


def test_dark_on_light_digit_is_inverted_and_preprocessed_as_mnist(tmp_path: Path) -> None:
    picture = np.full((56, 40), 255, dtype=np.uint8)  # white paper ...
    picture[10:46, 18:22] = 0  # ... with a black stroke, 36 px tall and 4 wide
    x = load_image(write_picture(tmp_path / "digit.png", picture), MNIST_INFO)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    pixels = (x[0, 0] * MNIST_STD + MNIST_MEAN).numpy()
    assert pixels[0, 0] == pytest.approx(0.0, abs=1e-6)  # paper became black
    # MNIST's pre-processing: the stroke fitted to 20 px tall (2 wide: the aspect kept),
    # its centre of mass moved to the middle of the 28x28 field
    ink_rows = np.flatnonzero((pixels > 0.1).any(axis=1))
    ink_cols = np.flatnonzero((pixels > 0.1).any(axis=0))
    assert ink_rows[-1] - ink_rows[0] + 1 == 20
    assert abs((ink_rows[0] + ink_rows[-1]) / 2 - 14) <= 0.5  # a uniform bar: centre = mass
    assert len(ink_cols) <= 3 and 13 <= ink_cols[0] <= 14
    assert pixels[14, ink_cols[0]] > 0.9  # the stroke became light
    assert pixels.mean() < 0.1


def test_light_on_dark_digit_is_kept(tmp_path: Path) -> None:
    picture = np.zeros((28, 28, 3), dtype=np.uint8)
    picture[5:20, 12:16] = 255
    x = load_image(write_picture(tmp_path / "digit.png", picture), MNIST_INFO)
    pixels = x[0, 0] * MNIST_STD + MNIST_MEAN
    assert pixels[10, 13].item() == pytest.approx(1.0, abs=1e-5)
    assert pixels[0, 0].item() == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(denormalize(x, MNIST_INFO)[0], pixels.numpy(), atol=1e-6)


def test_rgb_picture_for_alexnet_is_resized_and_centre_cropped(tmp_path: Path) -> None:
    picture = np.zeros((300, 400, 3), dtype=np.uint8)
    picture[:, :, 2] = 255  # blue everywhere ...
    picture[:, :50, 0] = 255  # ... magenta on the far left, cut off by the centre crop
    x = load_image(write_picture(tmp_path / "photo.jpg", picture), ALEXNET_INFO)
    assert x.shape == (1, 3, 224, 224)
    rgb = denormalize(x, ALEXNET_INFO)
    assert rgb[2].mean() > 0.95 and rgb[0].mean() < 0.05
    expected_blue = (1 - IMAGENET_MEAN[2]) / IMAGENET_STD[2]
    assert x[0, 2, 112, 112].item() == pytest.approx(expected_blue, abs=0.05)


def test_missing_and_unreadable_pictures_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_image(tmp_path / "absent.png", MNIST_INFO)
    assert "absent.png" in str(err.value) and "\n" not in str(err.value)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n but not really")
    with pytest.raises(DataError) as err:
        load_image(bad, MNIST_INFO)
    assert "bad.png" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DataError):
        load_image(tmp_path, MNIST_INFO)
