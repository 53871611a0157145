"""engine.inspect.summary against torchsummary and torchinfo, and its promise to leave models
alone."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re

import pytest
import torch
import torchinfo
import torchsummary
from torch import nn

from engine.inspect.summary import ModelSummary, format_summary, summarize
from engine.models.registry import build_model, named_layers

MODELS = ["basic-cnn", "convnet", "lenet5", "mlp", "c16b-p-c32k5b-p-f64b-bn-d0.25", "fast-net"]
EXPECTED_PARAMS = {
    "basic-cnn": 206_922,
    "convnet": 421_642,
    "lenet5": 61_706,
    "mlp": 669_706,
    "alexnet": 61_100_840,
}
SUMMARY_KEYS = {
    "layers",
    "total_params",
    "trainable_params",
    "total_macs",
    "input_size_mb",
    "forward_backward_size_mb",
    "params_size_mb",
    "estimated_total_mb",
}
LAYER_KEYS = {
    "name",
    "type",
    "input_shape",
    "output_shape",
    "kernel_size",
    "params",
    "trainable",
    "macs",
    "depth",
    "call",
    "leaf",
    "key",
    "recursive",
    "own_params",
}
ROW = re.compile(r"^\s*(\w+)-(\d+)\s+(\[[-\d, ]+\])\s+([\d,]+)$")


def torchsummary_text(model: nn.Module, input_shape: tuple[int, ...]) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        torchsummary.summary(copy.deepcopy(model), input_shape, device="cpu")
    return buffer.getvalue()


def figure(text: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}: (.+)$", text, re.MULTILINE)
    assert match, f"{label} missing from torchsummary output"
    return match.group(1).strip()


@pytest.mark.parametrize("name", MODELS)
def test_matches_torchsummary(name: str) -> None:
    model, info = build_model(name)
    ours = summarize(model, info.input_shape)
    text = torchsummary_text(model, info.input_shape)
    rows = [ROW.match(line) for line in text.splitlines()]
    rows = [row for row in rows if row]
    assert len(rows) == len(ours.layers)
    for row, layer in zip(rows, ours.layers, strict=True):
        assert row.group(1) == layer.type
        assert json.loads(row.group(3)) == layer.output_shape
        assert int(row.group(4).replace(",", "")) == layer.params
    assert figure(text, "Total params") == f"{ours.total_params:,}"
    assert figure(text, "Trainable params") == f"{ours.trainable_params:,}"
    assert figure(text, "Non-trainable params") == f"{ours.non_trainable_params:,}"
    assert figure(text, "Input size (MB)") == f"{ours.input_size_mb:0.2f}"
    assert (
        figure(text, "Forward/backward pass size (MB)") == f"{ours.forward_backward_size_mb:0.2f}"
    )
    assert figure(text, "Params size (MB)") == f"{ours.params_size_mb:0.2f}"
    assert figure(text, "Estimated Total Size (MB)") == f"{ours.estimated_total_mb:0.2f}"
    # the MB figures also match torchsummary's own formulas before rounding
    total_output = sum(abs(int(torch.tensor(json.loads(row.group(3))).prod())) for row in rows)
    assert ours.forward_backward_size_mb == pytest.approx(2 * total_output * 4 / 1024**2)


def torchinfo_stats(model: nn.Module, input_shape: tuple[int, ...]):
    return torchinfo.summary(
        copy.deepcopy(model), input_size=(1, *input_shape), device="cpu", verbose=0, depth=10
    )


@pytest.mark.parametrize("name", MODELS)
def test_matches_torchinfo(name: str) -> None:
    model, info = build_model(name)
    ours = summarize(model, info.input_shape)
    stats = torchinfo_stats(model, info.input_shape)
    assert ours.total_params == stats.total_params
    assert ours.trainable_params == stats.trainable_params
    assert ours.total_macs == stats.total_mult_adds
    leaves = [layer for layer in stats.summary_list if layer.is_leaf_layer]
    assert len(leaves) == len(ours.layers)
    for theirs, layer in zip(leaves, ours.layers, strict=True):
        assert theirs.class_name == layer.type
        assert list(theirs.input_size) == [1, *layer.input_shape[1:]]
        assert list(theirs.output_size) == [1, *layer.output_shape[1:]]
        assert theirs.macs == layer.macs, layer.name
        assert theirs.num_params == layer.params


def test_mac_formulas_for_conv_linear_and_batch_norm() -> None:
    model, info = build_model("c8k5b-p-f16b")
    layers = {layer.name: layer for layer in summarize(model, info.input_shape).layers}
    # conv without bias (b): out_elems * in/groups * kh * kw
    assert layers["conv1"].macs == 8 * 28 * 28 * 1 * 5 * 5
    assert layers["bn1"].macs == 2 * 8
    assert layers["fc1"].macs == 16 * (8 * 14 * 14)
    assert layers["fc2"].macs == 10 * 16 + 10  # torchinfo counts the bias too
    assert layers["pool1"].macs == 0 and layers["relu1"].macs == 0
    assert layers["conv1"].kernel_size == [5, 5] and layers["pool1"].kernel_size == [2, 2]
    assert layers["fc1"].kernel_size is None
    assert layers["conv1"].trainable and not layers["relu1"].trainable


@pytest.fixture(scope="module")
def alexnet() -> tuple[nn.Module, object]:
    return build_model("alexnet")


@pytest.mark.parametrize(("name", "params"), EXPECTED_PARAMS.items())
def test_registry_parameter_counts(name: str, params: int, request: pytest.FixtureRequest) -> None:
    model, info = request.getfixturevalue("alexnet") if name == "alexnet" else build_model(name)
    summary = summarize(model, info.input_shape)
    assert summary.total_params == params == summary.trainable_params
    # each tensor is shown at one non-recursive row: leaves their own, containers what is left
    assert sum(layer.own_params for layer in summary.layers if not layer.recursive) == params
    assert sum(layer.params for layer in summary.layers if layer.leaf) == params


def test_alexnet_totals_match_torchinfo(alexnet: tuple[nn.Module, object]) -> None:
    model, info = alexnet
    ours = summarize(model, info.input_shape)
    stats = torchinfo_stats(model, info.input_shape)
    assert ours.total_macs == stats.total_mult_adds
    assert ours.layers[0].key == "features" and not ours.layers[0].leaf  # containers are rows
    leaves = [layer for layer in ours.layers if layer.leaf]
    assert leaves[0].name == "features.0" and leaves[0].output_shape == [-1, 64, 55, 55]
    assert ours.layers[-1].output_shape == [-1, 1000]
    assert [layer.key for layer in ours.layers if layer.depth == 1] == [
        "features",
        "avgpool",
        "classifier",
    ]


def test_frozen_layers_are_not_trainable() -> None:
    model, info = build_model("lenet5")
    for param in model.conv1.parameters():
        param.requires_grad_(False)
    summary = summarize(model, info.input_shape)
    assert summary.trainable_params == 61_706 - 156
    assert summary.non_trainable_params == 156
    assert not summary.layers[0].trainable and summary.layers[3].trainable


def hook_count(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        for m in model.modules()
    )


@pytest.mark.parametrize("train", [True, False])
def test_summary_leaves_the_model_unchanged(train: bool) -> None:
    model, info = build_model("c8b-p-f16b-d0.5")
    model.train(train)
    model.drop1.eval()  # a mixed state must come back exactly as it was
    modes = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    summarize(model, info.input_shape)
    assert [m.training for m in model.modules()] == modes
    assert hook_count(model) == 0
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key  # incl. batch-norm running stats


def test_hooks_removed_when_the_forward_pass_fails() -> None:
    model, _ = build_model("lenet5")
    model.train()
    with pytest.raises(RuntimeError):
        summarize(model, (1, 20, 20))
    assert hook_count(model) == 0 and model.training


def test_dict_keys_json_and_round_trip() -> None:
    model, info = build_model("lenet5")
    summary = summarize(model, info.input_shape)
    data = json.loads(json.dumps(summary.to_dict()))
    assert set(data) == SUMMARY_KEYS
    assert all(set(layer) == LAYER_KEYS for layer in data["layers"])
    assert [layer["name"] for layer in data["layers"]] == [n for n, _ in named_layers(model)]
    first = data["layers"][0]
    assert first["input_shape"] == [-1, 1, 28, 28] and first["output_shape"] == [-1, 6, 28, 28]
    assert first["kernel_size"] == [5, 5] and first["macs"] == 122_304
    assert ModelSummary.from_dict(data).to_dict() == data


def test_format_summary_lists_layers_and_totals() -> None:
    model, info = build_model("lenet5")
    text = format_summary(summarize(model, info.input_shape))
    assert "conv1 (Conv2d)" in text and "[-1, 16, 5, 5]" in text
    assert "Total params: 61,706" in text
    assert "Total mult-adds: 423,038" in text
    assert "Forward/backward pass size (MB): 0.11" in text
    assert "Estimated Total Size (MB): 0.35" in text
