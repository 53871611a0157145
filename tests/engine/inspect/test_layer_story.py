"""engine.inspect.layer_story against PyTorch: every layer's before -> after and its facts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from engine.inspect.layer_story import image_template_shape, layer_story
from engine.models.registry import build_model, named_layers
from engine.process.protocol import OPS, Request
from engine.process.workbench import Workbench

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MODELS = ("basic-cnn", "lenet5", "mlp", "fast-net", "convnet")


def _model(name: str) -> nn.Module:
    torch.manual_seed(3)
    model, _ = build_model(name)
    for module in model.modules():  # batch norm statistics away from their 0/1 start
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.train()  # the story must not depend on (nor change) the mode


def _run(module: nn.Module, before: np.ndarray) -> np.ndarray:
    """The module itself, in eval mode, on one sample's input."""
    mode = module.training
    module.eval()
    try:
        with torch.no_grad():
            return module(torch.from_numpy(before)[None])[0].numpy()
    finally:
        module.train(mode)


@pytest.mark.parametrize("name", MODELS)
def test_after_is_the_module_applied_to_before_for_every_layer(name: str) -> None:
    model = _model(name)
    x = torch.randn(6, 1, 28, 28)
    for layer, module in named_layers(model):
        story = layer_story(model, x, layer)
        assert story["layer"] == layer and story["type"] == type(module).__name__
        assert story["line"] and "\n" not in story["line"]
        np.testing.assert_allclose(
            story["after"], _run(module, story["before"]), rtol=1e-5, atol=1e-5
        )
    assert all(module.training for module in model.modules())  # modes restored


def test_relu_counts_the_negatives_it_zeroes() -> None:
    model = _model("fast-net")
    story = layer_story(model, torch.randn(1, 1, 28, 28), "relu2")
    before, after = story["before"], story["after"]
    assert story["kind"] == "activation"
    assert story["zeroed"] == int((before < 0).sum()) > 0
    assert np.all(after[before < 0] == 0) and np.array_equal(after[before > 0], before[before > 0])
    assert story["fraction"] == pytest.approx(story["zeroed"] / before.size)
    assert f"{story['zeroed']:,} of {before.size:,}" in story["line"]


@pytest.mark.parametrize(
    "pool",
    [
        nn.MaxPool2d(2),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.MaxPool2d(2, stride=1, dilation=2),
        nn.AvgPool2d(3, stride=2, padding=1),
        nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        nn.AdaptiveAvgPool2d((3, 4)),
        nn.AdaptiveMaxPool2d(5),
    ],
)
def test_pooling_keeps_the_output_cell_value(pool: nn.Module) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), pool)
    story = layer_story(model, torch.randn(1, 1, 11, 13), "1")
    c, i, j = story["cell"]
    assert story["kind"] == "pool" and story["channel"] == c
    assert story["kept"] == pytest.approx(float(story["after"][c, i, j]), abs=1e-5)
    assert story["output"] == pytest.approx(story["after"].max(), abs=1e-6)  # the strongest
    window, (height, width) = story["window"], story["before"].shape[1:]
    for a, row in enumerate(story["rows"]):
        for b, col in enumerate(story["cols"]):
            inside = 0 <= row < height and 0 <= col < width
            if inside:
                assert window[a, b] == pytest.approx(float(story["before"][c, row, col]))
            else:
                assert np.isnan(window[a, b])
    if story["how"] == "max":
        assert window[story["kept_at"]] == story["kept"] == np.nanmax(window)


def test_lenet_pooling_window_is_the_two_by_two_block() -> None:
    model = _model("lenet5")
    story = layer_story(model, torch.randn(1, 1, 28, 28), "pool1")
    c, i, j = story["cell"]
    block = story["before"][c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
    np.testing.assert_array_equal(story["window"], block)
    assert story["kept"] == block.max() == story["after"][c, i, j]


@pytest.mark.parametrize("layer", ["bn1", "bn2", "bn3"])
def test_batch_norm_statistics_are_the_buffers_and_the_batch(layer: str) -> None:
    model = _model("fast-net")
    module = dict(named_layers(model))[layer]
    x = torch.randn(5, 1, 28, 28)
    story = layer_story(model, x, layer)
    assert story["kind"] == "batchnorm" and "running statistics are used" in story["line"]
    np.testing.assert_allclose(story["running_mean"], module.running_mean.numpy())
    np.testing.assert_allclose(story["running_var"], module.running_var.numpy())
    np.testing.assert_allclose(story["gamma"], module.weight.detach().numpy())
    np.testing.assert_allclose(story["beta"], module.bias.detach().numpy())
    assert story["batch_size"] == 5 and story["eps"] == module.eps
    seen = {}
    handle = module.register_forward_hook(lambda _m, inputs, _o: seen.update(x=inputs[0]))
    with torch.no_grad():
        model.eval()(x)
    handle.remove()
    dims = [d for d in range(seen["x"].dim()) if d != 1]
    np.testing.assert_allclose(story["batch_mean"], seen["x"].mean(dim=dims).numpy(), atol=1e-5)
    np.testing.assert_allclose(
        story["batch_var"], seen["x"].var(dim=dims, unbiased=False).numpy(), rtol=1e-4, atol=1e-6
    )
    expected = (story["before"].T - story["running_mean"]) / np.sqrt(
        story["running_var"] + story["eps"]
    ) * story["gamma"] + story["beta"]  # per channel: channels on the last axis after .T
    np.testing.assert_allclose(story["after"].T, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("name", "shape"), [("fast-net", (32, 7, 7)), ("mlp", (1, 28, 28))])
def test_flatten_index_is_c_h_w_plus_y_w_plus_x(name: str, shape: tuple) -> None:
    model = _model(name)
    story = layer_story(model, torch.randn(1, 1, 28, 28), "flatten")
    c, y, x = story["cell"]
    channels, height, width = shape
    assert story["shape"] == shape and story["kind"] == "flatten"
    assert story["flat_index"] == c * height * width + y * width + x
    assert story["after"][story["flat_index"]] == story["before"][c, y, x] == story["value"]
    assert story["before"][c, y, x] == story["before"].max()  # the strongest cell


def test_dropout_eval_is_identity_and_the_train_mask_scales_survivors() -> None:
    model = _model("mlp")
    story = layer_story(model, torch.randn(1, 1, 28, 28), "drop1")
    before, mask = story["before"], story["mask"]
    assert story["kind"] == "dropout" and story["p"] == pytest.approx(0.2)
    np.testing.assert_array_equal(story["after"], before)
    np.testing.assert_allclose(story["train_after"], np.where(mask, before * 1.25, 0), rtol=1e-6)
    assert 0.1 < 1 - mask.mean() < 0.3  # about p of them dropped
    again = layer_story(model, torch.randn(1, 1, 28, 28), "drop1")
    np.testing.assert_array_equal(again["mask"], mask)  # a fixed example (seed)


def test_linear_unit_is_dot_plus_bias_and_image_fed_layers_are_templates() -> None:
    model = _model("mlp")
    story = layer_story(model, torch.randn(1, 1, 28, 28), "fc1")
    unit = story["unit"]
    assert story["kind"] == "linear" and unit == int(story["after"].argmax())
    assert story["dot"] + story["bias"] == pytest.approx(story["output"], abs=1e-4)
    assert story["output"] == pytest.approx(float(story["after"][unit]))
    assert story["template_shape"] == (28, 28)
    assert layer_story(model, torch.randn(1, 1, 28, 28), "fc2")["template_shape"] is None
    assert image_template_shape(_model("fast-net"), "fc1", (1, 28, 28)) is None
    assert image_template_shape(model, "fc1", (3, 28, 28)) is None


def test_layer_story_op_and_dense_templates_through_the_workbench() -> None:
    assert "layer_story" in OPS
    torch.manual_seed(0)
    bench = Workbench()
    bench.load(model="mlp")
    reply = bench.handle(Request(1, "layer_story", dict(layer="relu1", index=4)))
    assert reply.ok, reply.error
    assert reply.payload["index"] == 4 and reply.payload["kind"] == "activation"
    flat = bench.layer_story("flatten", index=4)  # the sample's index and the cell's, apart
    c, y, x = flat["cell"]
    assert flat["index"] == 4 and flat["flat_index"] == c * 784 + y * 28 + x
    kernels = bench.kernels("fc1")
    assert kernels["template_shape"] == (28, 28)
    assert kernels["weights"].shape == (512, 784)  # whole rows, not block-averaged
    np.testing.assert_array_equal(
        kernels["weights"], bench.model.get_submodule("fc1").weight.detach().numpy()
    )
    assert "template_shape" not in bench.kernels("fc2")
    bad = bench.handle(Request(2, "layer_story", dict(layer="nope", index=0)))
    assert not bad.ok and "unknown layer" in bad.error


def test_batch_norm_story_through_the_workbench_uses_a_batch_of_digits() -> None:
    torch.manual_seed(0)
    bench = Workbench()
    bench.load(model="fast-net")
    story = bench.layer_story("bn1", index=9995)  # wraps around the end of the split
    assert story["batch_size"] == 64 and story["index"] == 9995
    assert story["before"].shape == (16, 14, 14)
