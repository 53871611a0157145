"""A conv built without a bias is explained as such (``has_bias`` False), not as bias 0."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.convlab.torch_ops import explain_conv_cell

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("bias", [True, False])
def test_has_bias_says_whether_the_conv_has_one(bias: bool) -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1, bias=bias)
    x = torch.randn(1, 2, 6, 6)
    cell = explain_conv_cell(conv, x, 1, 2, 3)
    assert cell["has_bias"] is bias
    assert cell["total"] == pytest.approx(cell["output"], abs=1e-5)


def test_pad_mask_marks_the_zero_padding_of_a_corner_cell() -> None:
    conv = nn.Conv2d(1, 1, 3, padding=1)
    cell = explain_conv_cell(conv, torch.randn(1, 1, 5, 5), 0, 0, 4)  # top-right corner
    mask = cell["pad_mask"]
    assert mask[0].all() and mask[:, 2].all()
    assert not mask[1:, :2].any()
