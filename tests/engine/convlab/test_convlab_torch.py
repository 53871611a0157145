"""The convolution lab's torch side (engine.convlab.torch_ops): the fixed-filter network against
torch, the conv-cell explainer for real layers and models, and receptive fields."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from engine.convlab import inputs, network, torch_ops
from engine.convlab.inputs import ConvError

# ------------------------------------------------------------------------------- network


def test_fixed_filter_network_stages_equal_the_torch_network():
    digit = inputs.load_input("digit:3").values
    stages = network.fixed_filter_network(digit)
    assert [s.name for s in stages] == ["input", "conv", "relu", "pool"]
    assert [s.maps.shape for s in stages] == [(1, 28, 28), (4, 25, 25), (4, 25, 25), (4, 12, 12)]
    model = torch_ops.fixed_filter_model().double()
    x = torch.from_numpy(digit)[None]
    with torch.no_grad():
        conv = model.conv(x)
        activated = model.relu(conv)
        pooled = model.pool(activated)
    np.testing.assert_allclose(stages[1].maps, conv[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(stages[2].maps, activated[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(stages[3].maps, pooled[0].numpy(), atol=1e-12)
    assert (stages[2].maps >= 0).all()


# ------------------------------------------------------------------------------- explainer


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(1, 3),
    st.sampled_from([0, 1, 2, "same", "valid"]),
    st.integers(1, 2),
    st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    st.booleans(),
    st.integers(0, 10_000),
)
def test_explain_conv_cell_equals_the_layer_output(
    in_groups, out_groups, kernel, stride, padding, dilation, padding_mode, bias, seed
):
    torch.manual_seed(seed)
    groups = 1 if seed % 3 else 2
    if padding == "same" and stride != 1:
        stride = 1  # torch allows 'same' only with stride 1
    layer = nn.Conv2d(
        in_groups * groups,
        out_groups * groups,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
        padding_mode=padding_mode,
    )
    size = dilation * (kernel - 1) + 4
    x = torch.randn(1, in_groups * groups, size, size + 1)
    with torch.no_grad():
        out = layer(x)
    gen = np.random.default_rng(seed)
    k = int(gen.integers(out.shape[1]))
    i, j = int(gen.integers(out.shape[2])), int(gen.integers(out.shape[3]))
    result = torch_ops.explain_conv_cell(layer, x, k, i, j)
    assert result["total"] == pytest.approx(float(out[0, k, i, j]), abs=1e-5)
    assert result["output"] == pytest.approx(float(out[0, k, i, j]), abs=1e-6)
    assert result["total"] == pytest.approx(sum(result["contributions"]) + result["bias"])
    assert len(result["contributions"]) == in_groups
    np.testing.assert_allclose(result["products"], result["patch"] * result["kernel"])
    top, left, bottom, right = result["box"]
    assert (bottom - top, right - left) == (dilation * (kernel - 1) + 1,) * 2


def test_explain_conv_cell_rejects_bad_requests():
    layer = nn.Conv2d(2, 3, 3)
    with pytest.raises(ConvError, match="outside"):
        torch_ops.explain_conv_cell(layer, torch.zeros(1, 2, 5, 5), 0, 3, 0)
    with pytest.raises(ConvError, match="must be"):
        torch_ops.explain_conv_cell(layer, torch.zeros(1, 1, 5, 5), 0, 0, 0)
    with pytest.raises(ConvError, match="conv layers"):
        torch_ops.explain_conv_cell(nn.Linear(2, 2), torch.zeros(1, 2, 5, 5), 0, 0, 0)


def _captured(model, x, layer):
    """The layer's output through engine.inspect.activations when present, else a forward hook."""
    try:
        from engine.inspect.activations import capture_activations
    except ImportError:
        capture_activations = None
    if capture_activations is not None:
        return capture_activations(model, x, [layer])[layer]
    seen = {}
    handle = dict(model.named_modules())[layer].register_forward_hook(
        lambda m, i, o: seen.setdefault("out", o.detach().clone())
    )
    with torch.no_grad():
        model(x)
    handle.remove()
    return seen["out"]


@pytest.mark.parametrize("name", ["lenet5", "basic-cnn"])
def test_explain_model_cell_matches_captured_activations(name):
    from engine.models.registry import build_model

    torch.manual_seed(0)
    model, _ = build_model(name)
    model.eval()
    digit = inputs.load_input("digit:4").values
    x = ((torch.from_numpy(digit).float() - 0.1307) / 0.3081)[None]
    for layer in ("conv1", "conv2"):
        activation = _captured(model, x, layer)
        _, channels, h, w = activation.shape
        for k, i, j in [(0, 0, 0), (channels - 1, h - 1, w - 1), (1, h // 2, w // 3)]:
            result = torch_ops.explain_model_cell(model, x, layer, k, i, j)
            assert result["total"] == pytest.approx(float(activation[0, k, i, j]), abs=1e-5)
            assert result["captured"] == pytest.approx(float(activation[0, k, i, j]), abs=1e-6)
            box = torch_ops.receptive_field(model, layer, i, j, (28, 28))
            assert result["input_box"] == box.as_tuple()
            assert result["input_box_clipped"] == box.clip(28, 28).as_tuple()
    with pytest.raises(ConvError, match="pick a conv layer"):
        torch_ops.explain_model_cell(model, x, "relu1", 0, 0, 0)


# ------------------------------------------------------------------------------- receptive field


def _linearised(model):
    """The model with max pools as average pools, ReLUs as identity and positive conv weights,
    so an output cell's gradient is non-zero exactly on its receptive field."""
    layers = OrderedDict()
    for name, module in model.named_children():
        if isinstance(module, nn.MaxPool2d):
            module = nn.AvgPool2d(module.kernel_size, module.stride, module.padding)
        elif isinstance(module, nn.ReLU):
            module = nn.Identity()
        elif isinstance(module, nn.Conv2d):
            with torch.no_grad():
                module.weight.copy_(module.weight.abs() + 0.1)
        layers[name] = module
    return nn.Sequential(layers).double()


@pytest.mark.parametrize(
    "name, layers",
    [
        ("lenet5", ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]),
        ("basic-cnn", ["conv1", "pool1", "conv2", "relu2", "pool2"]),
    ],
)
def test_receptive_field_is_the_gradient_support(name, layers):
    from engine.models.registry import build_model

    torch.manual_seed(1)
    model, _ = build_model(name)
    linear = _linearised(model)
    for layer in layers:
        prefix = nn.Sequential(
            OrderedDict(
                (n, m)
                for n, m in list(linear.named_children())[
                    : list(dict(linear.named_children())).index(layer) + 1
                ]
            )
        )
        x = torch.ones(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
        out = prefix(x)
        h, w = out.shape[2:]
        for i, j in {(0, 0), (h - 1, w - 1), (h // 2, w // 2), (1, w - 2)}:
            if x.grad is not None:
                x.grad = None
            out = prefix(x)
            out[0, 0, i, j].backward()
            rows, cols = np.nonzero(x.grad[0, 0].numpy())
            box = torch_ops.receptive_field(model, layer, i, j, (28, 28)).clip(28, 28)
            assert (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) == box.as_tuple(), (
                layer,
                i,
                j,
            )


def test_receptive_field_known_sizes():
    from engine.models.registry import build_model

    lenet, _ = build_model("lenet5")
    assert torch_ops.receptive_field(lenet, "conv1", 0, 0).as_tuple() == (-2, -2, 3, 3)
    box = torch_ops.receptive_field(lenet, "conv2", 3, 4)
    assert (box.height, box.width) == (14, 14) and box.as_tuple() == (4, 6, 18, 20)
    cnn, _ = build_model("basic-cnn")
    box = torch_ops.receptive_field(cnn, "pool2", 2, 2)
    assert (box.height, box.width) == (10, 10)
    assert torch_ops.receptive_field(cnn, "fc1", 0, 0, (28, 28)).as_tuple() == (0, 0, 28, 28)
    with pytest.raises(ConvError, match="whole input"):
        torch_ops.receptive_field(cnn, "fc1", 0, 0)
    with pytest.raises(ConvError, match="no layer"):
        torch_ops.receptive_field(cnn, "conv9", 0, 0)
    with pytest.raises(ConvError, match="outside"):
        torch_ops.receptive_field(cnn, "pool2", 7, 0, (28, 28))
