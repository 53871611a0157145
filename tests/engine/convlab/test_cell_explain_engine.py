"""The cell explainer's numbers against F.conv2d: products, per-channel sums, bias, output."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.convlab.torch_ops import explain_model_cell
from engine.process.protocol import Request
from engine.process.workbench import Workbench

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize(
    "conv",
    [
        dict(kernel_size=3, padding=1),
        dict(kernel_size=5, padding=0),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, dilation=2, padding=2),
        dict(kernel_size=(3, 5), padding="same"),
    ],
)
def test_strongest_cell_products_and_sums_equal_conv2d(conv: dict) -> None:
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, **conv))
    x = torch.randn(1, 1, 12, 12)
    hidden = torch.relu(model[0](x)).detach()
    reference = F.conv2d(
        hidden,
        model[2].weight,
        model[2].bias,
        stride=model[2].stride,
        padding=model[2].padding,
        dilation=model[2].dilation,
    )[0].detach()
    for channel in range(4):
        out = explain_model_cell(model, x, "2", channel, None, None)
        i, j = out["row"], out["col"]
        assert out["strongest"] is True
        assert reference[channel, i, j] == reference[channel].max()  # the strongest cell
        products = out["products"]
        np.testing.assert_allclose(products, out["patch"] * out["kernel"])
        np.testing.assert_allclose(products.sum(axis=(1, 2)), out["contributions"])
        total = float(out["contributions"].sum()) + out["bias"]
        assert total == pytest.approx(float(reference[channel, i, j]), abs=1e-5)
        assert out["captured"] == pytest.approx(float(reference[channel, i, j]), abs=1e-5)
    fixed = explain_model_cell(model, x, "2", 1, 0, 0)
    assert fixed["strongest"] is False and (fixed["row"], fixed["col"]) == (0, 0)


def test_explain_op_starts_at_the_strongest_cell_and_sums_to_the_layer_output(
    bench: Workbench,
) -> None:
    reply = bench.handle(Request(1, "explain", dict(layer="conv2", index=3, channel=5)))
    assert reply.ok, reply.error
    out = reply.payload
    seen = {}
    module = bench.model.get_submodule("conv2")
    handle = module.register_forward_hook(lambda _m, _i, o: seen.update(out=o.clone()))
    x, _, _ = bench.inputs([3])
    with bench.evaluating() as model:
        model(x)
    handle.remove()
    maps = seen["out"][0, 5].numpy()
    assert (out["row"], out["col"]) == np.unravel_index(int(maps.argmax()), maps.shape)
    assert out["strongest"] and out["out_channel"] == 5
    assert out["products"].shape == (6, 5, 5)  # lenet5 conv2: 6 input maps, 5x5 kernels
    for c in range(6):
        assert out["products"][c].sum() == pytest.approx(out["contributions"][c])
    total = float(np.sum(out["contributions"])) + out["bias"]
    assert total == pytest.approx(float(maps.max()), abs=1e-5)
    bad = bench.handle(Request(2, "explain", dict(layer="conv2", index=3, channel=99)))
    assert not bad.ok and "outside" in bad.error
