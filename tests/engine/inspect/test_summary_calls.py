"""engine.inspect.summary's rows are module calls: reuse, execution order, the tree, keys, payloads
old and new, and the text table's tree; checked against torchinfo where it has an answer."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from engine.inspect.summary import LayerSummary, ModelSummary, format_summary, summarize
from engine.models.layer_keys import split_layer_key
from tests.engine.inspect.summary_oracle import (
    assert_rows_match,
    assert_totals_match,
    compare,
    row_differences,
)
from tests.zoo.reordered import Reordered
from tests.zoo.reused_conv import ReusedConv
from tests.zoo.tiny_resnet import TinyResNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SHAPE = (1, 28, 28)
OLD_ROW = {
    "name": "conv1",
    "type": "Conv2d",
    "input_shape": [-1, 1, 28, 28],
    "output_shape": [-1, 6, 28, 28],
    "kernel_size": [5, 5],
    "params": 156,
    "trainable": True,
    "macs": 122_304,
}


def rows_of(summary: ModelSummary, name: str) -> list[LayerSummary]:
    return [layer for layer in summary.layers if layer.name == name]


def test_a_conv_called_three_times_gives_three_rows_and_counts_once() -> None:
    model = ReusedConv()
    summary = summarize(model, SHAPE)
    shared = rows_of(summary, "shared")
    assert [(r.key, r.call, r.recursive) for r in shared] == [
        ("shared", 0, False),
        ("shared#2", 1, True),
        ("shared#3", 2, True),
    ]
    assert [r.output_shape for r in shared] == [[-1, 8, s, s] for s in (28, 14, 7)]
    weights = sum(p.numel() for p in model.shared.parameters())
    assert all(r.params == weights for r in shared)
    assert summary.total_params == sum(p.numel() for p in model.parameters())
    # every call does its own work: the positions differ, so do the counts, all in the total
    assert [r.macs for r in shared] == [weights * s * s for s in (28, 14, 7)]
    assert summary.total_macs == sum(r.macs for r in summary.layers if r.leaf)
    assert all(split_layer_key(r.key) == (r.name, r.call) for r in summary.layers)


def test_rows_follow_execution_not_declaration() -> None:
    model = Reordered()
    summary = summarize(model, SHAPE)
    assert [name for name, _ in model.named_children()] == ["head", "pool", "stages", "stem"]
    top = [layer.key for layer in summary.layers if layer.depth == 1]
    assert top == ["stem", "stages", "pool", "head"]
    stages = summary.layers[[layer.key for layer in summary.layers].index("stages")]
    # the ModuleList is never called: a row that groups its calls, without shapes
    assert not stages.leaf and stages.input_shape is None and stages.output_shape is None
    inside = [layer.key for layer in summary.layers if layer.name.startswith("stages.")]
    assert inside[0] == "stages.1" and inside.index("stages.0") == 4


def test_containers_come_before_their_children_with_torchinfo_depth() -> None:
    summary = summarize(TinyResNet(), SHAPE)
    keys = [layer.key for layer in summary.layers]
    depth = {layer.key: layer.depth for layer in summary.layers}
    block = keys.index("layer2")
    assert keys[block + 1] == "layer2.conv1" and keys.index("layer2.shortcut.0") > block
    assert (depth["layer2"], depth["layer2.conv1"], depth["layer2.shortcut.0"]) == (1, 2, 3)
    row = summary.layers[block]
    assert not row.leaf and row.params == sum(p.numel() for p in TinyResNet().layer2.parameters())
    below = [r for r in summary.layers if r.name.startswith("layer2.") and r.leaf]
    assert row.macs == sum(r.macs for r in below) and row.own_params == 0
    # an empty Sequential (the identity shortcut) has no children: a leaf, as torchinfo has it
    assert next(r for r in summary.layers if r.key == "layer1.shortcut").leaf
    assert "layer1.relu#2" in summary.leaf_keys() and "layer1" not in summary.leaf_keys()
    assert summary.leaf_keys() == [r.key for r in summary.layers if r.leaf]


class RecurrentHead(nn.Module):
    """An LSTM (tuple output, weight_ih_l0 parameters) read at its last step, then a Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, 16, batch_first=True)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class DictOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        y = self.conv(x)
        return {"maps": y, "pooled": y.mean(dim=(2, 3))}


class Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = DictOut()
        self.fc = nn.Linear(4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.inner(x)["pooled"])


@pytest.mark.parametrize(("model", "shape"), [(RecurrentHead, (28, 28)), (Outer, SHAPE)])
def test_tuple_and_dict_outputs_match_torchinfo(model: type[nn.Module], shape) -> None:
    ours, oracle = compare(model(), shape)
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)


def test_pruned_and_partly_frozen_layers_match_torchinfo() -> None:
    model = TinyResNet()
    prune.l1_unstructured(model.layer1.conv1, "weight", amount=0.5)
    model.stem[0].weight.requires_grad_(False)
    ours, oracle = compare(model, SHAPE)
    assert_rows_match(ours, oracle)
    assert_totals_match(ours, oracle)
    conv = next(r for r in ours.layers if r.key == "layer1.conv1")
    assert conv.params == 16 * 16 * 9 // 2
    assert ours.non_trainable_params == 16 * 9


class TwoPlaces(nn.Module):
    """A ModuleList whose members run with another module's call between them."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 4, 3)])
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks[1](self.act(self.blocks[0](x)))


def test_a_container_shown_twice_is_recursive_only_the_second_time() -> None:
    """torchinfo inserts the same row object twice and so marks both recursive; ours marks the
    later one, the rule for every module (documented in engine.inspect.summary)."""
    ours, oracle = compare(TwoPlaces(), SHAPE)
    assert [r.key for r in ours.layers] == ["blocks", "blocks.0", "act", "blocks#2", "blocks.1"]
    assert oracle.rows[0] is oracle.rows[3] and oracle.rows[0].is_recursive
    assert [r.recursive for r in ours.layers] == [False, False, False, True, False]
    for index in (1, 2, 4):
        assert not row_differences(ours.layers[index], oracle.rows[index])
    assert_totals_match(ours, oracle)
    # each tensor is shown at exactly one non-recursive row
    shown = sum(r.own_params for r in ours.layers if not r.recursive)
    assert shown == ours.total_params


def test_the_model_is_left_as_it_was() -> None:
    model = TinyResNet()
    model.train()
    model.layer1.eval()
    modes = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    summarize(model, SHAPE)
    assert [m.training for m in model.modules()] == modes
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    with pytest.raises(RuntimeError):
        summarize(model, (3, 28, 28))  # the stem takes one channel
    assert [m.training for m in model.modules()] == modes
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_payload_round_trip_and_old_payloads() -> None:
    summary = summarize(ReusedConv(), SHAPE)
    data = json.loads(json.dumps(summary.to_dict()))
    assert ModelSummary.from_dict(data).to_dict() == data
    assert data["layers"][5]["key"] == "shared#2" and data["layers"][5]["recursive"]
    old = ModelSummary.from_dict({"layers": [OLD_ROW], "total_params": 156})
    row = old.layers[0]
    assert (row.depth, row.call, row.leaf, row.key, row.recursive) == (1, 0, True, "conv1", False)
    assert row.own_params == 156 and old.total_params == 156
    # a newer payload's unknown fields are skipped, not fatal
    assert LayerSummary.from_dict({**OLD_ROW, "from_the_future": 1}).name == "conv1"


def test_format_summary_draws_the_tree() -> None:
    text = format_summary(summarize(TinyResNet(), SHAPE))
    lines = text.splitlines()

    def indent_of(cell: str) -> int:
        line = next(line for line in lines if line.lstrip().startswith(cell))
        return len(line) - len(line.lstrip())

    assert indent_of("layer2 (BasicBlock)") == 0
    assert indent_of("layer2.conv1 (Conv2d)") == 2
    assert indent_of("layer2.shortcut.0 (Conv2d)") == 4
    block = next(line for line in lines if line.startswith("layer2 (BasicBlock)"))
    assert block.split()[-2:] == ["--", "--"]  # a container's params and MACs are its rows'
    assert "Total params: 19,706" in text


def test_format_summary_marks_recursive_rows() -> None:
    text = format_summary(summarize(ReusedConv(), SHAPE))
    second = next(line for line in text.splitlines() if line.startswith("shared#2 (Conv2d)"))
    assert "(recursive)" in second and second.split()[-1] == "114,464"
    assert "(recursive): a module's second or later call" in text
