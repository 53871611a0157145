"""The training graph computes exactly what the model defines, with fewer elementwise passes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import fx, nn

from engine.models.registry import build_model, model_names
from engine.models.spec import build_from_spec
from engine.models.train_graph import training_graph

TRAINABLE = [name for name in model_names() if name != "alexnet"]


def _loss_and_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("name", TRAINABLE)
def test_graph_gives_the_same_loss_and_gradients(name: str) -> None:
    torch.manual_seed(0)
    model, info = build_model(name)
    model.eval()  # dropout off, so both passes see the same network
    x, y = torch.randn(8, *info.input_shape), torch.randint(0, 10, (8,))
    graph = training_graph(model)
    want_loss, want = _loss_and_grads(model, x, y)
    got_loss, got = _loss_and_grads(graph, x, y)
    torch.testing.assert_close(got_loss, want_loss, rtol=0, atol=0)
    for key, grad in want.items():
        torch.testing.assert_close(got[key], grad, rtol=1e-6, atol=1e-7)


def test_relu_moves_after_the_pool_and_runs_in_place() -> None:
    model, _ = build_model("convnet")
    graph = training_graph(model)
    assert isinstance(graph, fx.GraphModule)
    order = [str(n.target) for n in graph.graph.nodes if n.op in ("call_module", "call_function")]
    assert order.index("pool1") < order.index(str(torch.relu_))
    assert "relu1" not in order and "relu2" not in order
    assert [n for n in graph.graph.nodes if n.target is torch.relu_]


def test_graph_shares_parameters_with_the_model() -> None:
    model, _ = build_model("lenet5")
    graph = training_graph(model)
    assert {id(p) for p in graph.parameters()} == {id(p) for p in model.parameters()}
    with torch.no_grad():
        next(graph.parameters()).add_(1.0)  # an optimizer step on the graph moves the model
    assert torch.equal(next(graph.parameters()), next(model.parameters()))


def test_batch_norm_nets_keep_their_running_statistics() -> None:
    torch.manual_seed(0)
    model = build_from_spec("c8b-p-c16b-p-f32")
    graph = training_graph(model).train()
    graph(torch.randn(16, 1, 28, 28))
    means = [m.running_mean for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(mean.abs().sum() > 0 for mean in means)


def test_input_is_never_overwritten() -> None:
    class ReluFirst(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.relu(x).sum(dim=1)

    x = torch.randn(4, 3)
    before = x.clone()
    training_graph(ReluFirst())(x)
    assert torch.equal(x, before)


def test_an_untraceable_model_trains_as_defined() -> None:
    class DataDependent(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x if x.sum() > 0 else -x  # control flow fx cannot trace

    model = DataDependent()
    assert training_graph(model) is model
