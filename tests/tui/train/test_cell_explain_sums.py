"""The cell explainer's last line: each input channel's sum when it fits (the chosen one
highlighted), one summed term when not, and "no bias" for a conv built without one."""

from __future__ import annotations

import numpy as np

from tui.train.cell_explain_text import cell_text, total_line


def _payload(channels: int, has_bias: bool = True) -> dict:
    rng = np.random.default_rng(channels)
    patch = rng.normal(size=(channels, 3, 3))
    kernel = rng.normal(size=(channels, 3, 3)) * 0.3
    products = patch * kernel
    bias = 0.05 if has_bias else 0.0
    total = float(products.sum()) + bias
    return {"layer": "conv2", "out_channel": 1, "row": 3, "col": 4, "strongest": True,
            "channels": list(range(channels)), "patch": patch, "kernel": kernel,
            "products": products, "contributions": products.sum(axis=(1, 2)), "bias": bias,
            "has_bias": has_bias, "total": total, "captured": total}  # fmt: skip


def test_eight_channel_sums_each_shown_at_inspector_width() -> None:
    payload = _payload(8)
    text = total_line(payload, 76)
    for c, s_c in enumerate(payload["contributions"]):
        assert f"s{c} {float(s_c):.3f}" in text
    assert "Σ of" not in text
    assert all(len(line) <= 76 for line in text.splitlines())


def test_many_sums_too_wide_are_summed_into_one_term() -> None:
    payload = _payload(32)
    text = total_line(payload, 40)
    assert f"Σ of 32 sums {float(payload['contributions'].sum()):.3f}" in text


def test_the_chosen_channels_sum_is_highlighted() -> None:
    payload = _payload(8)
    shown = cell_text(payload, 2, 76)
    last = shown.split("\n")[-3:]
    styled = [
        line.plain[span.start : span.end] for line in last for span in line.spans if span.style
    ]
    assert styled == [f"s2 {float(payload['contributions'][2]):.3f}"]


def test_a_conv_without_bias_says_no_bias() -> None:
    payload = _payload(2, has_bias=False)
    text = total_line(payload, 76)
    assert "no bias" in text and "bias 0.000" not in text
    assert f"= {payload['total']:.3f}" in text


def test_square_brackets_restart_at_the_strongest_cell_unless_moved() -> None:
    """README: "[/] pick the map, which starts again at that map's strongest cell"; a cell
    fixed with H/J/K/L stays where the user put it on the next map."""
    from tui.train.explain_state import ExplainState

    row = {"type": "Conv2d", "output_shape": [8, 10, 10]}
    state = ExplainState()
    state.toggle(row)
    state.receive(_payload(2) | {"layer": "conv2", "out_channel": 0}, "conv2")
    assert state.step(row, 1, 0, 0)
    assert state.request("conv2") == {"layer": "conv2", "channel": 1, "i": None, "j": None}
    state.receive(_payload(2) | {"layer": "conv2", "out_channel": 1}, "conv2")
    state.step(row, 0, 1, 0)  # J: the cell is the user's now
    state.step(row, 1, 0, 0)
    assert state.request("conv2") == {"layer": "conv2", "channel": 2, "i": 4, "j": 4}


def test_padding_cells_read_pad_not_zero() -> None:
    payload = _payload(2)
    payload["patch"][:, 0, :] = 0.0  # the top row lies in the zero padding
    payload["pad_mask"] = np.array([[True] * 3, [False] * 3, [False] * 3])
    lines = cell_text(payload, 0, 76).plain.splitlines()
    patch_rows = [line[:17] for line in lines[2:5]]  # the patch block, left of "×"
    assert patch_rows[0].split() == ["pad", "pad", "pad"]
    assert "pad" not in patch_rows[1] and "pad" not in patch_rows[2]
