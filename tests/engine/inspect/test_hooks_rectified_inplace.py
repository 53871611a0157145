"""Grad-CAM reads a conv's rectified output by default and says when a map is empty; every
hook-based method gives the same answer through in-place ReLUs as through ordinary ones."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from engine.convlab.torch_ops import explain_model_cell
from engine.errors import SpecError
from engine.inspect import activation_max, attribution
from engine.inspect.activations import capture_activations
from engine.models.registry import build_model, named_layers
from engine.models.train_graph import training_graph
from engine.process.eval_report import format_eval_report

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------ the rectified default


def crossed_blob_net() -> nn.Sequential:
    """Each conv channel is one blob minus five times the other; both channels' rectified
    outputs add to class 0. Before the ReLU, every place's channel sum is negative."""
    conv = nn.Conv2d(2, 2, 1, bias=False)
    fc = nn.Linear(2 * 16 * 16, 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[1.0, -5.0], [-5.0, 1.0]]).reshape(2, 2, 1, 1))
        fc.weight.zero_()
        fc.weight[0] = 1.0
    return nn.Sequential(OrderedDict(conv=conv, relu=nn.ReLU(), flatten=nn.Flatten(), fc=fc))


def blobs() -> torch.Tensor:
    x = torch.zeros(1, 2, 16, 16)
    x[0, 0, 2:6, 2:6] = 1.0
    x[0, 1, 10:14, 10:14] = 1.0
    return x


def test_the_pre_relu_map_of_a_crossed_net_is_empty_and_the_default_is_not() -> None:
    net, x = crossed_blob_net(), blobs()
    raw_pre, cam_pre, _, layer = attribution.grad_cam(net, x, "conv", 0)
    assert layer == "conv" and attribution.is_empty_cam(raw_pre) and not cam_pre.any()
    raw, cam, _, layer = attribution.grad_cam(net, x, None, 0)
    assert layer == "relu" and not attribution.is_empty_cam(raw)
    assert cam[2:6, 2:6].min() > 0.5 and cam[10:14, 10:14].min() > 0.5  # both blobs count


@pytest.mark.parametrize(
    ("model", "layers"),
    [
        ("convnet", ["relu1", "relu2"]),
        ("basic-cnn", ["relu1", "relu2"]),
        ("lenet5", ["relu1", "relu2"]),
        ("c4b-p-c8b-f10", ["relu1", "relu2"]),  # conv, batch norm, ReLU: past the norm
        ("alexnet", ["features.1", "features.4", "features.7", "features.9", "features.11"]),
    ],
)
def test_grad_cam_offers_each_conv_s_rectified_output(model: str, layers: list[str]) -> None:
    net, info = build_model(model)
    x = torch.zeros(1, *info.input_shape)
    assert attribution.gradcam_layers(net, x) == layers
    assert attribution.require_gradcam_layer(net, None, x) == layers[-1]
    conv = attribution.conv_layers(net, x)[0]
    assert attribution.require_gradcam_layer(net, conv, x) == conv  # pre-ReLU when asked
    with pytest.raises(SpecError, match="not a conv layer"):
        attribution.require_gradcam_layer(net, "flatten" if model != "alexnet" else "avgpool", x)


def test_a_conv_without_an_activation_after_it_is_its_own_output() -> None:
    net = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), pool=nn.MaxPool2d(2), relu=nn.ReLU()))
    assert attribution.gradcam_layers(net, torch.zeros(1, 1, 8, 8)) == ["conv"]


def test_the_default_map_of_a_trained_net_is_rarely_empty(tiny_config) -> None:
    """A few training steps: the rectified default shows something for most test digits."""
    from engine.process.workbench import Workbench
    from engine.training.loop import train_events

    config = tiny_config(model="c8-p-c16-p-f32", train_subset=2048, lr=0.003)
    for _ in train_events(config):
        pass
    bench = Workbench()
    bench.load(checkpoint=str(config.run_dir) + "/checkpoint.pt")
    payloads = [bench.gradcam(i) for i in range(60)]
    assert {p["layer"] for p in payloads} == {"relu2"}
    empty = sum(p["empty"] for p in payloads)
    assert empty <= 6, f"{empty} of 60 default Grad-CAM maps are empty"
    for p in payloads:
        assert p["empty"] == (not p["cam"].any())


def test_an_empty_map_is_said_in_the_cli_report() -> None:
    cam = {"index": 3, "label": 0, "pred": 0, "target": 0, "layer": "conv2"}
    empty = format_eval_report({"per_class": [1.0], "gradcam": {**cam, "empty": True,
                                "values": np.zeros((4, 4)).tolist()}}, "ascii")  # fmt: skip
    assert "Grad-CAM of test digit 3" in empty and "empty" in empty
    assert "nothing to draw" in empty.splitlines()[-1]
    values = np.zeros((4, 4))
    values[1, 1] = 1.0
    full = format_eval_report(
        {"per_class": [1.0], "gradcam": {**cam, "empty": False, "values": values.tolist()}},
        "ascii",
    )
    assert "empty" not in full and len(full.splitlines()) > 4


# ------------------------------------------------------------------ in-place ReLUs


def alexnet_like(inplace: bool) -> nn.Module:
    """AlexNet's shape in small: conv, in-place ReLU, pool, two more conv/ReLU, classifier."""
    torch.manual_seed(3)
    features = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(inplace=inplace),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 12, 3, padding=1),
        nn.ReLU(inplace=inplace),
        nn.Conv2d(12, 12, 3, padding=1),
        nn.ReLU(inplace=inplace),
    )
    model = nn.Sequential(
        OrderedDict(
            features=features,
            pool=nn.AdaptiveAvgPool2d(2),
            flatten=nn.Flatten(),
            fc=nn.Linear(48, 5),
            relu=nn.ReLU(inplace=inplace),
            out=nn.Linear(5, 4),
        )
    )
    return model.eval()


def plain_copy(model: nn.Module) -> nn.Module:
    """The same weights with every ReLU out of place."""
    twin = copy.deepcopy(model)
    for module in twin.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
    return twin


def sample(shape: tuple[int, ...] = (1, 3, 12, 12)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(5))


def same(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def methods(model: nn.Module, x: torch.Tensor, target: int) -> dict[str, object]:
    """Every hook-based answer (and saliency, occlusion) of ``model`` for ``x``."""
    answers: dict[str, object] = {}
    for layer in attribution.gradcam_layers(model, x) + attribution.conv_layers(model, x):
        raw, cam, _, _ = attribution.grad_cam(model, x, layer, target)
        answers[f"gradcam {layer}"] = (raw, cam)
    answers["saliency"] = attribution.saliency(model, x, target)[0]
    answers["occlusion"] = attribution.occlusion(model, x, target, patch=4, stride=4)[0]
    for name, tensor in capture_activations(model, x).items():
        answers[f"activation {name}"] = tensor.numpy()
    for layer in attribution.conv_layers(model, x):
        result = activation_max.activation_maximisation(
            model, layer, 1, tuple(x.shape[1:]), steps=3
        )
        answers[f"actmax {layer}"] = (result.image, result.start, result.end)
        cell = explain_model_cell(model, x, layer, 1, 2, 3)
        answers[f"explain {layer}"] = (cell["captured"], cell["total"])
    return answers


def test_every_hook_based_method_ignores_in_place_relus() -> None:
    model, x = alexnet_like(inplace=True), sample()
    twin = plain_copy(model)
    target = int(twin(x).argmax())
    got, expected = methods(model, x, target), methods(twin, x, target)
    assert got.keys() == expected.keys() and "gradcam features.0" in got
    for key, value in expected.items():
        if isinstance(value, tuple):
            for a, b in zip(got[key], value, strict=True):
                same(a, b)
        else:
            same(got[key], value)
    assert not attribution.is_empty_cam(got["gradcam features.0"][0])


def test_grad_cam_of_alexnet_s_features_does_not_see_the_in_place_relu() -> None:
    model, _ = build_model("alexnet")
    twin = plain_copy(model)
    x = sample((1, 3, 224, 224))
    for layer in ("features.0", "features.10", None):
        expected = attribution.grad_cam(twin, x, layer, 7)
        got = attribution.grad_cam(model, x, layer, 7)
        same(got[0], expected[0])
        same(got[1], expected[1])


def test_the_training_graph_s_in_place_relus_change_no_conv_answer() -> None:
    """The training graph runs ReLUs in place on conv outputs; hooks on the shared conv
    modules still see the conv's own output."""
    torch.manual_seed(0)
    model, _ = build_model("c4-c6-p-f10")
    model.eval()
    graph = training_graph(model)
    assert graph is not model and "relu_" in graph.code  # the rewrite happened
    x = sample((1, 1, 28, 28))
    target = int(model(x).argmax())
    for layer in ("conv1", "conv2"):
        same(attribution.grad_cam(graph, x, layer, target)[0],
             attribution.grad_cam(model, x, layer, target)[0])  # fmt: skip
        same(capture_activations(graph, x, [layer])[layer],
             capture_activations(model, x, [layer])[layer])  # fmt: skip
        same(explain_model_cell(graph, x, layer, 0, 4, 5)["captured"],
             explain_model_cell(model, x, layer, 0, 4, 5)["captured"])  # fmt: skip
        a = activation_max.activation_maximisation(graph, layer, 0, (1, 28, 28), steps=3)
        b = activation_max.activation_maximisation(model, layer, 0, (1, 28, 28), steps=3)
        same(a.image, b.image)
    same(attribution.saliency(graph, x, target)[0], attribution.saliency(model, x, target)[0])


def test_a_layer_the_forward_pass_skips_is_one_line() -> None:
    torch.manual_seed(0)
    model, _ = build_model("c4-c6-p-f10")
    graph = training_graph(model.eval())
    skipped = [name for name, _ in named_layers(model) if name.startswith("relu")]
    with pytest.raises(Exception, match="did not run") as info:
        attribution.forward_capturing(graph, skipped[0], sample((1, 1, 28, 28)))
    assert "\n" not in str(info.value)
