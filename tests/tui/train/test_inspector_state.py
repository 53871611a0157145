"""Unit tests of the inspector's plain state (InspectorState, ExplainState), without an app."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from engine.render.maps import quantize
from tui.train.explain_state import ExplainState, map_shape
from tui.train.inspector_state import InspectorState

CONV = {"name": "conv1", "type": "Conv2d", "output_shape": [-1, 4, 6, 5], "params": 80}
RELU = {"name": "relu1", "type": "ReLU", "output_shape": [-1, 4, 6, 5], "params": 0}


def kernels(layer: str = "conv1", inp: int = 3) -> dict:
    weights = np.random.default_rng(0).normal(size=(4, inp, 3, 3)).astype(np.float32)
    return {"layer": layer, "weights": weights}


def activations(layer: str = "conv1") -> dict:
    maps, ranges = quantize(np.random.default_rng(1).random((4, 6, 5)).astype(np.float32))
    return {"layer": layer, "maps": maps, "ranges": ranges, "shape": (4, 6, 5), "index": 2}


def test_the_state_modules_leave_textual_out():
    code = (
        "import sys, tui.train.inspector_state, tui.conv_lab.state, tui.evaluate.state; "
        "print(any(name.split('.')[0] == 'textual' for name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


def test_set_model_forgets_the_previous_model():
    state = InspectorState()
    state.set_layer(CONV)
    state.set_kernels(kernels())
    state.sample, state.channel = {"index": 1}, 2
    state.set_model({"name": "lenet", "classes": ["a", "b"]}, {"layers": []})
    assert state.layer_row is state.kernels is state.sample is None
    assert state.channel == 0 and state.class_names == ["a", "b"]
    assert state.title() == "lenet"
    state.set_model({}, {}, classes=None)
    assert state.title() == "no layer selected"


def test_set_layer_keeps_the_same_layer_and_drops_another_ones_maps():
    state = InspectorState()
    assert state.set_layer(CONV) is False
    state.set_kernels(kernels())
    state.set_activations(activations())
    state.channel = 1
    assert state.set_layer(dict(CONV)) is True  # the same layer again: a live refresh
    assert state.kernels is not None and state.channel == 1
    assert state.set_layer(RELU) is False
    assert state.kernels is None and state.activations is None and state.channel == 0
    assert state.layer_name == "relu1" and not state.has_weights


def test_same_layer_payloads_keep_the_page():
    state = InspectorState()
    assert state.set_kernels(kernels()) is False
    assert state.set_kernels(kernels()) is True
    assert state.set_kernels(kernels("conv2")) is False
    assert state.set_activations(activations()) is False
    assert state.set_activations(activations()) is True


def test_title_names_layer_type_shape_and_parameters():
    state = InspectorState()
    state.set_layer(CONV)
    assert state.title() == "conv1 · Conv2d · out 4×6×5 · 80 params"
    state.set_layer(RELU)
    assert state.title().endswith("no weights")


def test_kernel_view_follows_channel_mean_and_scale_settings():
    state = InspectorState()
    state.set_layer(CONV)
    assert state.build_kernel_view() == (None, "loading…")
    state.set_kernels(kernels(inp=3))
    assert state.input_channels == 3
    view, _ = state.build_kernel_view()
    assert view is state.kernel_view and "in 1/3" in view.caption and view.lo is not None
    state.channel, state.shared_scale = 2, False
    view, _ = state.build_kernel_view()
    assert "in 3/3" in view.caption and view.lo is None
    state.mean_channels = True
    assert "mean of inputs" in state.build_kernel_view()[0].caption
    state.set_layer(RELU)
    assert state.build_kernel_view() == (None, "no kernels in a ReLU layer")


def test_channel_steps_wrap_and_need_several_input_channels():
    state = InspectorState()
    assert state.stepped_channel(1) is None  # no kernels: one input channel
    state.set_kernels(kernels(inp=3))
    state.channel = 2
    assert state.stepped_channel(1) == 0 and state.stepped_channel(-1) == 1


def test_activation_view_one_sample_or_several_digits():
    state = InspectorState()
    assert state.build_activation_view() == (None, "")
    state.set_layer(CONV)
    assert state.build_activation_view() == (None, "loading…")
    state.set_activations(activations())
    view, _ = state.build_activation_view()
    assert view is state.activation_view and view.maps.shape == (4, 6, 5)
    state.set_many(True)
    assert state.build_activation_view() == (None, "loading…")
    assert state.activation_caption == "several digits"
    items = [dict(activations(), label=d, pred=d) for d in (3, 5)]
    state.many_payload = {"layer": "conv1", "items": items}
    view, _ = state.build_activation_view()
    assert view.maps.shape == (2, 4, 6, 5) and view.row_labels == ["3→3", "5→5"]
    state.set_many(False)
    assert state.many_payload is None and state.activation_caption == ""


def test_explain_state_toggles_on_conv_layers_only():
    explain = ExplainState()
    assert explain.toggle(RELU) is False and not explain.explaining
    assert explain.request("conv1") == {}
    assert explain.toggle(CONV) is True and explain.explaining
    # the engine picks the map's strongest cell: no row and column asked for
    assert explain.request("conv1") == {"layer": "conv1", "channel": 0, "i": None, "j": None}
    assert explain.toggle(RELU) is True and not explain.explaining  # off works anywhere
    assert explain.leave() is False


def _reply(row: int, col: int, strongest: bool, channel: int = 0, layer: str = "conv1") -> dict:
    return {"layer": layer, "out_channel": channel, "row": row, "col": col,
            "strongest": strongest, "contributions": [0.5] * 3}  # fmt: skip


def test_explain_cell_starts_at_the_strongest_then_moves_wraps_and_clamps():
    explain = ExplainState()
    assert explain.step(CONV, 1, 0, 0) is False  # off: nothing moves
    explain.toggle(CONV)
    assert explain.step(CONV, 0, 1, 0) is False and explain.cell_box is None  # not found yet
    assert explain.receive(_reply(3, 2, True), "conv1")
    assert explain.cell == (0, 3, 2) and explain.cell_box == (0, (3, 2, 4, 3))
    explain.step(CONV, -1, 0, 0)  # another map: its own strongest cell, asked anew
    assert explain.cell_box is None and explain.request("conv1")["i"] is None
    assert explain.receive(_reply(1, 4, True, channel=3), "conv1")
    explain.step(CONV, 0, 10, -3)  # a move fixes the cell
    assert explain.cell == (3, 5, 1) and explain.cell_box == (3, (5, 1, 6, 2))
    assert explain.request("conv1") == {"layer": "conv1", "channel": 3, "i": 5, "j": 1}
    assert map_shape(RELU) == (4, 6, 5) and map_shape(None) == (1, 1, 1)


def test_explain_keeps_only_the_reply_for_the_current_layer_and_cell():
    explain = ExplainState()
    explain.toggle(CONV)
    assert "strongest cell: explaining…" in explain.waiting_note("conv1")
    assert not explain.receive(_reply(3, 2, True, layer="conv2"), "conv1")  # another layer
    assert not explain.receive(_reply(3, 2, True, channel=1), "conv1")  # another map
    assert not explain.receive(_reply(3, 2, False), "conv1")  # a fixed cell's reply
    assert explain.explanation is None and explain.current("conv1") is None
    payload = _reply(3, 2, True)
    assert explain.receive(payload, "conv1") and explain.current("conv1") is payload
    assert explain.current("conv2") is None  # never shown for another layer
    explain.step(CONV, 0, 1, 0)  # another cell: the reply is stale
    assert explain.current("conv1") is None and "row 4, col 2" in explain.waiting_note("conv1")
    assert explain.step_input(1) and explain.in_index == 1
    assert explain.receive(_reply(4, 2, False), "conv1") and explain.current("conv1")
    assert explain.step_input(-1) and explain.step_input(-1) and explain.in_index == 2  # wraps
    assert explain.leave() is True and explain.explanation is None
