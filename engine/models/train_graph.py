"""A faster training graph of a model: ReLU after max-pool and in place; same maths, same weights.

Profiling ``convnet`` on the 2-core CPU showed the elementwise work around the convolutions
(ReLU, its backward, the zero-filled max-pool gradient) taking about half of each step. Two
rewrites of the traced graph remove most of it without changing a single number:

* ``relu -> max_pool`` becomes ``max_pool -> relu``: ReLU is monotone, so the max of the
  rectified window equals the rectified max of the window, and the gradient reaches the same
  element; the ReLU then touches a quarter of the values (for 2x2 pooling).
* a ReLU whose input is the fresh output of a conv, linear, batch-norm or pooling layer that
  nothing else reads runs in place, saving an allocation and a pass over memory.

The graph shares every module (and so every parameter and buffer) with the model it was traced
from: the optimizer, checkpoints and the inspector keep using the original model, whose layers
(``relu1`` with its 28x28 maps) stay exactly as the tutorials define them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import fx, nn

_RELU_FUNCTIONS = {F.relu, torch.relu}
_POOL_FUNCTIONS = {F.max_pool2d}
# Layers whose output is a new tensor (never a view of their input), safe to overwrite in place.
_FRESH_OUTPUT = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.BatchNorm1d, nn.MaxPool2d, nn.AvgPool2d)


def _module(gm: fx.GraphModule, node: fx.Node) -> nn.Module | None:
    return gm.get_submodule(str(node.target)) if node.op == "call_module" else None


def _is_relu(gm: fx.GraphModule, node: fx.Node) -> bool:
    if node.op == "call_function":
        return node.target in _RELU_FUNCTIONS and not node.kwargs.get("inplace", False)
    return isinstance(_module(gm, node), nn.ReLU)


def _is_max_pool(gm: fx.GraphModule, node: fx.Node) -> bool:
    if node.op == "call_function":
        return node.target in _POOL_FUNCTIONS and not node.kwargs.get("return_indices", False)
    pool = _module(gm, node)
    return isinstance(pool, nn.MaxPool2d) and not pool.return_indices


def _move_relu_after_pools(gm: fx.GraphModule) -> int:
    """Rewrite every ``relu -> max_pool`` (the pool its only reader) as ``max_pool -> relu``."""
    moved = 0
    for relu in list(gm.graph.nodes):
        if not _is_relu(gm, relu) or len(relu.users) != 1:
            continue
        pool = next(iter(relu.users))
        if not _is_max_pool(gm, pool) or pool.args[0] is not relu:
            continue
        pool.args = (relu.args[0], *pool.args[1:])
        with gm.graph.inserting_after(pool):
            after = gm.graph.call_function(torch.relu, (pool,))
        pool.replace_all_uses_with(after, delete_user_cb=lambda user, new=after: user is not new)
        gm.graph.erase_node(relu)
        moved += 1
    return moved


def _relu_in_place(gm: fx.GraphModule) -> int:
    """Run each ReLU in place where its input is a fresh tensor that only the ReLU reads."""
    changed = 0
    for relu in list(gm.graph.nodes):
        if not _is_relu(gm, relu) or not relu.args:
            continue
        source = relu.args[0]
        if not isinstance(source, fx.Node) or len(source.users) != 1:
            continue
        if not isinstance(_module(gm, source), _FRESH_OUTPUT):
            continue
        with gm.graph.inserting_after(relu):
            in_place = gm.graph.call_function(torch.relu_, (source,))
        relu.replace_all_uses_with(in_place)
        gm.graph.erase_node(relu)
        changed += 1
    return changed


def training_graph(model: nn.Module) -> nn.Module:
    """The rewritten graph of ``model`` for training, or ``model`` itself when nothing applies
    (or the model cannot be traced: then it trains exactly as defined)."""
    try:
        gm = fx.symbolic_trace(model)
    except Exception:  # noqa: BLE001 - any untraceable model simply trains unrewritten
        return model
    if _move_relu_after_pools(gm) + _relu_in_place(gm) == 0:
        return model
    gm.graph.lint()
    gm.recompile()
    return gm
