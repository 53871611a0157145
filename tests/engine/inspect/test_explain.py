"""Workbench ``explain`` op: a conv cell's per-channel multiply-adds equal the real activation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine.models.registry import build_model
from engine.process.protocol import OPS, Request
from engine.process.workbench import Workbench


def _captured(bench: Workbench, layer: str, index: int) -> np.ndarray:
    """The layer's float output for one sample, straight from a forward hook."""
    seen: dict[str, torch.Tensor] = {}
    module = dict(bench.model.named_modules())[layer]
    handle = module.register_forward_hook(lambda _m, _i, out: seen.update(out=out.clone()))
    x, _, _ = bench.inputs([index])
    try:
        with bench.evaluating() as model:
            model(x)
    finally:
        handle.remove()
    return seen["out"][0].numpy()


@pytest.mark.parametrize(("layer", "channel", "i", "j"), [("conv1", 2, 0, 27), ("conv2", 5, 4, 3)])
def test_explain_total_matches_activation(
    bench: Workbench, layer: str, channel: int, i: int, j: int
) -> None:
    assert "explain" in OPS
    reply = bench.handle(
        Request(1, "explain", dict(layer=layer, index=7, channel=channel, i=i, j=j))
    )
    assert reply.ok, reply.error
    out = reply.payload
    expected = _captured(bench, layer, 7)[channel, i, j]
    assert out["total"] == pytest.approx(out["captured"], abs=1e-5)
    assert out["captured"] == pytest.approx(float(expected), abs=1e-5)
    assert out["total"] == pytest.approx(float(out["contributions"].sum()) + out["bias"])
    assert len(out["contributions"]) == bench.model.get_submodule(layer).in_channels
    y0, x0, y1, x1 = out["input_box_clipped"]
    assert 0 <= y0 < y1 <= 28 and 0 <= x0 < x1 <= 28


def test_explain_on_live_trained_model_keeps_train_mode() -> None:
    torch.manual_seed(1)
    model, info = build_model("lenet5")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(8, 1, 28, 28)
    torch.nn.functional.cross_entropy(model(x), torch.arange(8)).backward()
    optimizer.step()  # weights away from their initial values, as mid-training
    model.train()
    bench = Workbench()
    bench.set_live(SimpleNamespace(model=model, info=info, global_step=1))
    out = bench.explain("conv2", 3, channel=15, i=9, j=0)
    assert out["total"] == pytest.approx(out["captured"], abs=1e-5)
    assert out["captured"] == pytest.approx(float(_captured(bench, "conv2", 3)[15, 9, 0]), abs=1e-5)
    assert all(module.training for module in model.modules())


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(layer="pool1", channel=0, i=0, j=0), "pick a conv layer"),
        (dict(layer="conv2", channel=0, i=10, j=0), "outside"),
        (dict(layer="conv2", channel=16, i=0, j=0), "outside"),
        (dict(layer="nope", channel=0, i=0, j=0), "unknown layer"),
    ],
)
def test_explain_errors_are_one_line(bench: Workbench, kwargs: dict, words: str) -> None:
    reply = bench.handle(Request(2, "explain", dict(index=0, **kwargs)))
    assert not reply.ok and words in reply.error and "\n" not in reply.error
