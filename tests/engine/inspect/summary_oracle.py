"""torchinfo 1.8 as the oracle for engine.inspect.summary: its rows next to ours, field by field."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torchinfo
from torch import nn
from torchinfo.layer_info import LayerInfo

from engine.inspect.summary import LayerSummary, ModelSummary, summarize
from engine.inspect.summary_format import macs_cell, params_cell


@dataclass
class Oracle:
    """torchinfo's rows (without the model's own) and totals for one model and input shape."""

    rows: list[LayerInfo]
    total_params: int
    trainable_params: int
    total_macs: int


def torchinfo_oracle(model: nn.Module, input_shape: tuple[int, ...]) -> Oracle:
    """torchinfo.summary on a copy of ``model`` (it moves and re-modes what it is given)."""
    stats = torchinfo.summary(
        copy.deepcopy(model),
        input_size=(1, *input_shape),
        device="cpu",
        verbose=0,
        depth=100,
    )
    return Oracle(
        stats.summary_list[1:], stats.total_params, stats.trainable_params, stats.total_mult_adds
    )


def with_batch(shape: list[int] | None) -> list[int]:
    """Our [-1, ...] shape as torchinfo writes it at batch 1 ([] for no tensor)."""
    return [] if shape is None else [1, *shape[1:]]


def their_kernel(theirs: LayerInfo, ours: LayerSummary) -> list[int] | None:
    size = theirs.kernel_size
    if isinstance(size, int):  # torchinfo keeps MaxPool2d(2)'s int; we spell out every dim
        return [size] * len(ours.kernel_size or [size])
    return None if size is None else list(size)


def folded_macs(theirs: LayerInfo) -> int:
    """What torchinfo shows for a row folded at its depth: a leaf's MACs, a container's leaf
    rows' sum."""
    if theirs.is_leaf_layer:
        return theirs.macs
    return sum(child.macs for child in theirs.children if child.is_leaf_layer)


def row_differences(ours: LayerSummary, theirs: LayerInfo) -> list[str]:
    """Every field where our row differs from torchinfo's, by name."""
    expected = {
        "name": theirs.var_name,
        "type": theirs.class_name,
        "depth": theirs.depth,
        "leaf": theirs.is_leaf_layer,
        "recursive": theirs.is_recursive,
        "input_shape": list(theirs.input_size),
        "output_shape": list(theirs.output_size),
        "params": theirs.num_params,
        "params cell": theirs.num_params_to_str(reached_max_depth=False),
        "macs": folded_macs(theirs),
        "macs cell": theirs.macs_to_str(reached_max_depth=False),
        "kernel_size": their_kernel(theirs, ours),
        "trainable": theirs.trainable in ("True", "Partial"),
    }
    actual = {
        "name": ours.name.rsplit(".", 1)[-1],
        "type": ours.type,
        "depth": ours.depth,
        "leaf": ours.leaf,
        "recursive": ours.recursive,
        "input_shape": with_batch(ours.input_shape),
        "output_shape": with_batch(ours.output_shape),
        "params": ours.params,
        "params cell": params_cell(ours),
        "macs": ours.macs,
        "macs cell": macs_cell(ours),
        "kernel_size": ours.kernel_size,
        "trainable": ours.trainable,
    }
    return [
        f"{ours.key} {field}: ours {actual[field]!r}, torchinfo {expected[field]!r}"
        for field in expected
        if actual[field] != expected[field]
    ]


def compare(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[ModelSummary, Oracle]:
    """Our summary and torchinfo's for the same model and input."""
    return summarize(model, input_shape), torchinfo_oracle(model, input_shape)


def assert_rows_match(ours: ModelSummary, oracle: Oracle) -> None:
    """Same number of rows, and every row equal to torchinfo's in every compared field."""
    assert len(ours.layers) == len(oracle.rows), [layer.key for layer in ours.layers]
    problems = [
        problem
        for layer, theirs in zip(ours.layers, oracle.rows, strict=True)
        for problem in row_differences(layer, theirs)
    ]
    assert not problems, "\n".join(problems)


def linear_hand_count(layer: LayerSummary) -> int:
    """Multiply-adds of a Linear call counted by hand from its shapes: every output row (all
    positions but the last axis) costs in_features x out_features multiplies plus out_features
    bias adds."""
    in_features, out_features = layer.input_shape[-1], layer.output_shape[-1]
    rows = math.prod(layer.output_shape[1:-1])
    return in_features * out_features * rows + out_features * rows


def count_linear_rows_by_hand(ours: ModelSummary, oracle: Oracle) -> int:
    """Check every Linear row with extra dimensions against its hand count, then put that count
    in torchinfo's row (its containers' folded sums and total follow), so the rest of the
    comparison holds torchinfo to everything else. Returns how many rows there were."""
    found = 0
    for layer, theirs in zip(ours.layers, oracle.rows, strict=True):
        if layer.type == "Linear" and layer.output_shape and len(layer.output_shape) > 2:
            hand = linear_hand_count(layer)
            assert layer.macs == hand, layer.key
            oracle.total_macs += hand - theirs.macs
            theirs.macs = hand
            found += 1
    return found


def assert_totals_match(ours: ModelSummary, oracle: Oracle) -> None:
    assert ours.total_params == oracle.total_params
    assert ours.trainable_params == oracle.trainable_params
    assert ours.total_macs == oracle.total_macs
