"""Every module call of one forward pass, in execution order, placed in the module tree as
torchinfo 1.8 places it.

A forward pre-hook on every module opens a :class:`CallRecord` (so a container's record comes
before its children's: pre-order) and a forward hook fills in its shapes. Each record sits at
its module's depth in the tree (children of the model are depth 1). A container that is never
called itself (a ``ModuleList``, a ``ModuleDict``, a ``Sequential`` whose children the parent
calls one by one) still gets a record, with no shapes, just before the first call of a module
inside it, and again when calls inside it resume after calls elsewhere: torchinfo's
``add_missing_container_layers``.

Where a module is registered under two parents, its depth and parent are those of its last
place in the tree (torchinfo re-registers its hooks there); its name is its first dotted name
(``model.named_modules()``'s).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

MAX_DEPTH = 100


@dataclass
class Placement:
    """Where a module sits: its dotted name, depth (children of the model: 1) and the modules
    above it from depth 1 down to its parent."""

    name: str
    depth: int
    ancestors: tuple[nn.Module, ...]


@dataclass
class CallRecord:
    """One row: one call of a module, or a never-called container's place (``called`` False).

    ``input_size``/``output_size`` are torchinfo's sizes with the batch dimension (``[]``: no
    tensor); ``call`` is the module's 0-based call, or for a never-called container's row a
    number after all of that module's calls, so every row's (name, call) differs.
    """

    module: nn.Module
    name: str
    depth: int
    called: bool
    call: int = 0
    input_size: list[int] = field(default_factory=list)
    output_size: list[int] = field(default_factory=list)
    output_elements: int = 0

    @property
    def leaf(self) -> bool:
        """True for a module without children (a container without children counts as one)."""
        return not any(True for _ in self.module.children())


def placements(model: nn.Module) -> dict[int, Placement]:
    """Each module's place under ``model`` (the model itself excluded), keyed by ``id``.

    Walks the tree as torchinfo's ``apply_hooks`` does (pre-order, duplicates visited again) so a
    module met twice keeps its last depth and ancestors.
    """
    first_names = {id(module): name for name, module in model.named_modules() if name}
    places: dict[int, Placement] = {}
    stack: list[tuple[nn.Module, int, tuple[nn.Module, ...]]] = [(model, 0, ())]
    while stack:
        module, depth, ancestors = stack.pop()
        if depth > 0:
            places[id(module)] = Placement(first_names.get(id(module), ""), depth, ancestors)
        if depth >= MAX_DEPTH:  # only a module that contains itself gets this deep
            continue
        below = (*ancestors, module) if depth > 0 else ()
        children = [child for child in module._modules.values() if child is not None]
        stack += [(child, depth + 1, below) for child in reversed(children)]
    return places


def tensor_size(value: Any) -> list[int]:
    """torchinfo's ``calculate_size``: a tensor's shape, the first element's of a tuple or
    list, the last value's of a dict; ``[]`` when there is no tensor to measure."""
    if value is None:
        return []
    if isinstance(value, torch.Tensor):
        return list(value.size())
    if isinstance(value, (list, tuple)) and value and _has_sized_data(value[0]):
        return list(value[0].data.size())
    if isinstance(value, dict):
        return _nested_size(list(value.values())[-1]) if value else []
    if isinstance(value, (list, tuple)):
        return _nested_size(value)
    return []


def _has_sized_data(value: Any) -> bool:
    data = getattr(value, "data", None)
    return data is not None and callable(getattr(data, "size", None))


def _nested_size(value: Any) -> list[int]:
    """torchinfo's ``nested_list_size``: follow first elements down to something with a size."""
    if hasattr(value, "tensors"):
        return _nested_size(value.tensors)
    if isinstance(value, torch.Tensor):
        return list(value.size())
    if not hasattr(value, "__getitem__") or not value:
        return []
    if isinstance(value, dict):
        return _nested_size(list(value.values()))
    if callable(getattr(value, "size", None)) and callable(getattr(value, "element_size", None)):
        return list(value.size())
    if isinstance(value, (list, tuple)):
        return _nested_size(value[0])
    return []


def count_elements(value: Any) -> int:
    """Elements of every tensor in ``value`` (a tensor, or tuples/lists/dicts of them)."""
    if isinstance(value, torch.Tensor):
        return int(value.numel())
    if isinstance(value, dict):
        return sum(count_elements(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_elements(v) for v in value)
    return 0


class CallRecorder:
    """Hooks on every module of a model that record its calls; use :meth:`hooked` around one
    forward pass, then :meth:`rows` for the records in torchinfo's row order."""

    def __init__(self, model: nn.Module) -> None:
        self.places = placements(model)
        self.modules = {id(m): m for m in model.modules() if id(m) in self.places}
        self.records: list[CallRecord] = []
        self._open: dict[int, list[CallRecord]] = {}
        self._calls: dict[int, int] = {}

    def _pre_hook(self, module: nn.Module, inputs: tuple[Any, ...]) -> None:
        place = self.places[id(module)]
        call = self._calls.get(id(module), 0)
        self._calls[id(module)] = call + 1
        record = CallRecord(module, place.name, place.depth, True, call, tensor_size(inputs))
        self.records.append(record)
        self._open.setdefault(id(module), []).append(record)

    def _hook(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        opened = self._open.get(id(module))
        if opened:
            record = opened.pop()
            record.output_size = tensor_size(output)
            record.output_elements = count_elements(output)

    @contextmanager
    def hooked(self) -> Iterator[None]:
        """Hooks in place for the body; removed however it ends."""
        handles = []
        try:
            for module in self.modules.values():
                if isinstance(module, torch.jit.ScriptModule):
                    continue  # hooks cannot be added to compiled modules
                handles.append(module.register_forward_pre_hook(self._pre_hook))
                handles.append(module.register_forward_hook(self._hook))
            yield
        finally:
            for handle in handles:
                handle.remove()

    def rows(self) -> list[CallRecord]:
        """The calls in execution order with the never-called containers' rows put in."""
        rows: list[CallRecord] = []
        open_at: dict[int, nn.Module] = {}  # depth -> module of the latest row at that depth
        extra: dict[int, int] = {}
        for record in self.records:
            ancestors = self.places[id(record.module)].ancestors
            for depth, ancestor in enumerate(ancestors, start=1):
                if open_at.get(depth) is not ancestor:
                    rows.append(self._container_row(ancestor, extra))
                    open_at[depth] = ancestor
            rows.append(record)
            open_at[record.depth] = record.module
            for depth in [d for d in open_at if d > record.depth]:
                del open_at[depth]
        return rows

    def _container_row(self, module: nn.Module, extra: dict[int, int]) -> CallRecord:
        place = self.places[id(module)]
        number = self._calls.get(id(module), 0) + extra.get(id(module), 0)
        extra[id(module)] = extra.get(id(module), 0) + 1
        return CallRecord(module, place.name, place.depth, False, number)
