"""The layer table as text (``python -m engine summary``): the call tree, then totals and memory.

Names are indented two spaces per level below the model's children and written as layer keys
(``layer1.conv1``, ``conv#2`` for a second call), so each can be passed as ``--layer``. The
Param # and Mult-Adds cells read as torchinfo 1.8 prints them with every level unfolded: ``--``
for none, ``(recursive)`` for a module's later calls (their parameters are counted once),
``(N)`` for parameters that are all frozen, and a container shows only parameters of its own.
"""

from __future__ import annotations

from engine.inspect.summary_rows import LayerSummary, ModelSummary

HEADERS = ("Layer (type)", "Input Shape", "Output Shape", "Kernel", "Param #", "Mult-Adds")
INDENT = "  "
RECURSIVE = "(recursive)"


def format_macs(macs: int) -> str:
    """MACs with a unit: 1.23 G, 45.6 M, 7.89 k."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if macs >= scale:
            return f"{macs / scale:.2f} {unit}"
    return str(macs)


def _fmt_shape(shape: list[int] | None) -> str:
    return "--" if shape is None else str(list(shape))


def _fmt_kernel(size: list[int] | None) -> str:
    return "--" if size is None else "x".join(str(s) for s in size)


def params_cell(layer: LayerSummary) -> str:
    """torchinfo's Param # cell for an unfolded row: ``--``, ``(recursive)``, ``N`` or ``(N)``."""
    if layer.params == 0:
        return "--"
    if layer.recursive:
        return RECURSIVE
    if layer.leaf:
        return f"{layer.params:,}" if layer.trainable else f"({layer.params:,})"
    own = layer.own_params or 0
    return f"{own:,}" if own > 0 else "--"


def macs_cell(layer: LayerSummary) -> str:
    """torchinfo's Mult-Adds cell for an unfolded row: a leaf's count, else ``--``."""
    return f"{layer.macs:,}" if layer.leaf and layer.macs > 0 else "--"


def _cells(layer: LayerSummary) -> tuple[str, ...]:
    return (
        f"{INDENT * max(layer.depth - 1, 0)}{layer.key} ({layer.type})",
        _fmt_shape(layer.input_shape),
        _fmt_shape(layer.output_shape),
        _fmt_kernel(layer.kernel_size),
        params_cell(layer),
        macs_cell(layer),
    )


def format_summary(summary: ModelSummary) -> str:
    """The table (one row per call, indented by depth), then totals and memory estimates."""
    rows = [_cells(layer) for layer in summary.layers]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(HEADERS)]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    total_width = sum(widths) + 2 * (len(widths) - 1)
    rule, double = "-" * total_width, "=" * total_width
    out = [rule, line(HEADERS), double, *(line(row) for row in rows), double]
    if any(params_cell(layer) == RECURSIVE for layer in summary.layers):
        out += [f"{RECURSIVE}: a module's second or later call; its parameters count once", rule]
    out += [
        f"Total params: {summary.total_params:,}",
        f"Trainable params: {summary.trainable_params:,}",
        f"Non-trainable params: {summary.non_trainable_params:,}",
        f"Total mult-adds: {summary.total_macs:,} ({format_macs(summary.total_macs)})",
        rule,
        f"Input size (MB): {summary.input_size_mb:0.2f}",
        f"Forward/backward pass size (MB): {summary.forward_backward_size_mb:0.2f}",
        f"Params size (MB): {summary.params_size_mb:0.2f}",
        f"Estimated Total Size (MB): {summary.estimated_total_mb:0.2f}",
        rule,
    ]
    return "\n".join(out)
