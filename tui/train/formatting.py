"""Text forms of model summary values: shapes, parameter counts and MACs (no Textual)."""

from __future__ import annotations

from collections.abc import Sequence


def format_shape(shape: Sequence[int] | None) -> str:
    """``[-1, 32, 26, 26]`` -> ``32×26×26`` (the batch dimension dropped)."""
    if shape is None:
        return ""
    if shape and isinstance(shape[0], (list, tuple)):  # several outputs
        return ", ".join(format_shape(s) for s in shape)
    dims = list(shape)
    if dims and dims[0] in (-1, None):
        dims = dims[1:]
    return "×".join(str(d) for d in dims) if dims else "scalar"


def format_count(value: int | float | None) -> str:
    """Thousands separators: 1199882 -> ``1,199,882``."""
    if value is None:
        return ""
    return f"{int(value):,}"


def format_macs(value: int | float | None) -> str:
    """Compact multiply-accumulates: 0, 950, 12.3k, 4.56M, 1.2G."""
    if value is None:
        return ""
    value = float(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{scaled:.{digits}f}{suffix}"
    return f"{int(value)}"
