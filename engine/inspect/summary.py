"""The layer table: one row per module call in execution order, as torchinfo 1.8 lists them.

One forward pass of a batch-1 zero input runs with hooks on every module
(:mod:`engine.inspect.summary_calls`), in eval mode and inference mode, so nothing about the
model changes: the hooks are removed and every module's train/eval mode restored whatever
happens. Rows follow torchinfo's ``summary_list`` (without the model's own row): containers
included, pre-order, torchinfo's depth; a module called three times gives three rows, the later
two ``recursive``. Shapes, parameters and mult-adds equal torchinfo's row by row and in totals
(counting rules in :mod:`engine.inspect.summary_counts`), except:

* a ``Linear`` on a tensor with extra dimensions counts its multiply-adds at every leading
  position (torchinfo: once per sample);
* ``recursive`` marks a module's second and later rows in row order; torchinfo can mark the
  first row of a never-called container (a ModuleList used in two places) too;
* a container's ``own_params`` leave out a child that ran outside the container's call (that
  child's row shows them; torchinfo shows them at the container too), so every tensor is shown
  at exactly one non-recursive row;
* total parameters count a tensor shared by two modules once (torchinfo: once per module).

Memory estimates are torchsummary's (4 bytes per input element, 2 x 4 per output element of
every leaf call, 4 per parameter), as before.

Field meanings: :class:`~engine.inspect.summary_rows.LayerSummary`; the text table:
:mod:`engine.inspect.summary_format`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import nn

from engine.inspect.summary_calls import CallRecord, CallRecorder
from engine.inspect.summary_counts import (
    kernel_size,
    layer_macs,
    model_params,
    module_params,
    own_params,
)
from engine.inspect.summary_format import format_macs, format_summary
from engine.inspect.summary_rows import LayerSummary, ModelSummary
from engine.models.layer_keys import layer_key

__all__ = [
    "LayerSummary",
    "ModelSummary",
    "format_macs",
    "format_summary",
    "kernel_size",
    "layer_macs",
    "summarize",
]

BYTES_PER_VALUE = 4.0
MB = 1024.0**2


def _first_tensor(model: nn.Module) -> torch.Tensor | None:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor
    return None


def _run_once(model: nn.Module, shape: tuple[int, ...]) -> CallRecorder:
    """One batch-1 zero input through ``model`` under a :class:`CallRecorder`, in eval and
    inference mode; every module's mode is restored and the hooks removed however it ends."""
    reference = _first_tensor(model)
    device = reference.device if reference is not None else torch.device("cpu")
    floating = reference is not None and reference.is_floating_point()
    dtype = reference.dtype if floating else torch.float32
    recorder = CallRecorder(model)
    was_training = {module: module.training for module in model.modules()}
    try:
        model.eval()
        x = torch.zeros((1, *shape), device=device, dtype=dtype)
        with recorder.hooked(), torch.inference_mode():
            model(x)
    finally:
        for module, mode in was_training.items():
            module.training = mode
    return recorder


def _batchless(size: list[int]) -> list[int] | None:
    return [-1, *size[1:]] if size else None


def _row(record: CallRecord, recursive: bool) -> LayerSummary:
    params, trainable = module_params(record.module)
    leaf = record.leaf
    macs = layer_macs(record.module, record.output_size) if leaf and record.called else 0
    return LayerSummary(
        name=record.name,
        type=type(record.module).__name__,
        input_shape=_batchless(record.input_size),
        output_shape=_batchless(record.output_size),
        kernel_size=kernel_size(record.module),
        params=params,
        trainable=trainable > 0,
        macs=macs,
        depth=record.depth,
        call=record.call,
        leaf=leaf,
        key=layer_key(record.name, record.call),
        recursive=recursive,
        own_params=params if leaf else 0,
    )


def _span(rows: list[LayerSummary], index: int) -> range:
    """Indices of the rows under row ``index`` in the tree (deeper rows right after it)."""
    end = index + 1
    while end < len(rows) and rows[end].depth > rows[index].depth:
        end += 1
    return range(index + 1, end)


def _with_container_sums(rows: list[LayerSummary], owns: list[int]) -> list[LayerSummary]:
    """Containers' ``macs`` (the sum of their leaf rows) and ``own_params`` (``owns[i]``)."""
    done = list(rows)
    for index, row in enumerate(rows):
        if not row.leaf:
            macs = sum(rows[i].macs for i in _span(rows, index) if rows[i].leaf)
            done[index] = replace(row, macs=macs, own_params=owns[index])
    return done


def summarize(model: nn.Module, input_shape: tuple[int, ...] | list[int]) -> ModelSummary:
    """Run one batch-1 input of shape ``input_shape`` (C, H, W) and describe every module call.

    Raises whatever the model's forward raises for that input (after restoring the model).
    """
    shape = tuple(int(s) for s in input_shape)
    recorder = _run_once(model, shape)
    records = recorder.rows()
    with_rows = {id(record.module) for record in records}
    seen: set[int] = set()
    rows = []
    for record in records:
        rows.append(_row(record, id(record.module) in seen))
        seen.add(id(record.module))
    owns = [0 if r.leaf else own_params(r.module, lambda m: id(m) in with_rows) for r in records]
    rows = _with_container_sums(rows, owns)
    total_params, trainable = model_params(model)
    leaf_outputs = sum(r.output_elements for r in recorder.records if r.leaf)
    input_mb = math.prod(shape) * BYTES_PER_VALUE / MB
    forward_backward_mb = 2.0 * leaf_outputs * BYTES_PER_VALUE / MB
    params_mb = total_params * BYTES_PER_VALUE / MB
    return ModelSummary(
        layers=rows,
        total_params=total_params,
        trainable_params=trainable,
        total_macs=int(sum(row.macs for row in rows if row.leaf)),
        input_size_mb=input_mb,
        forward_backward_size_mb=forward_backward_mb,
        params_size_mb=params_mb,
        estimated_total_mb=input_mb + forward_backward_mb + params_mb,
        input_shape=shape,
    )
