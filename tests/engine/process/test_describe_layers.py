"""describe()'s ``layers`` are the layers that run, in the order they run, one key per call
(issue 15): a module never called is left out, a module called twice is listed twice
(``act``, ``act#2``), and every listed key opens in the layer ops the app navigates with."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.models.registry import ModelInfo
from engine.process.protocol import Request
from engine.process.workbench import Workbench

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class ReusedAndUnused(nn.Module):
    """conv -> act -> pool -> act again -> fc; ``unused`` is declared first but never runs."""

    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Linear(3, 3)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act(self.conv(x))).flatten(1)
        return self.fc(self.act(x))


@pytest.fixture(scope="module")
def bench() -> Workbench:
    torch.manual_seed(0)
    wb = Workbench()
    wb.set_model(ReusedAndUnused().eval(), ModelInfo("reused.py:ReusedAndUnused", "test model"))
    return wb


def test_layers_are_the_executed_leaves_one_key_per_call(bench: Workbench) -> None:
    described = bench.describe()
    assert described["layers"] == ["conv", "act", "pool", "act#2", "fc"]
    leaves = [row["key"] or row["name"] for row in described["summary"]["layers"] if row["leaf"]]
    assert described["layers"] == leaves


def test_every_listed_layer_opens(bench: Workbench) -> None:
    for key in bench.describe()["layers"]:
        reply = bench.handle(Request(1, "layer_story", {"layer": key, "index": 0}))
        assert reply.ok, (key, reply.error)
        reply = bench.handle(Request(2, "activations", {"layer": key, "index": 0}))
        assert reply.ok, (key, reply.error)
