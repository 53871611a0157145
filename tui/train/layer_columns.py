"""The layer table's columns for a width: name, output, params and MACs always; type if room.

Plain text (no Textual): :func:`fit_columns` picks the first :class:`Columns` form, from the
fullest to the most compact, whose widest row fits the width; :func:`layer_cells` and
:func:`totals_cells` give a row's cells in that form.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tui.train.formatting import format_count, format_macs, format_shape
from tui.widgets.fit_text import ELLIPSIS

LEFT_MARGIN = 1  # a space before the name (the cursor bar reads better with it)
# Short type names for a narrow table (the full name is in the inspector's title line).
SHORT_TYPES = {
    "BatchNorm1d": "BN1d",
    "BatchNorm2d": "BN2d",
    "MaxPool2d": "MaxPool",
    "AvgPool2d": "AvgPool",
    "AdaptiveAvgPool2d": "AdAvgP",
    "Dropout": "Drop",
    "Flatten": "Flat",
    "LeakyReLU": "LReLU",
}
SHORT_TYPE_MAX = 7


@dataclass(frozen=True)
class Columns:
    """One form of the table: which columns, and how compact their values are."""

    types: str = "full"  # "full" | "short" | "none"
    exact_params: bool = True  # 1,152 rather than 1.15k
    square: bool = False  # 16×14² rather than 16×14×14
    gap: int = 2  # spaces between columns
    name_width: int | None = None  # names longer than this are shortened

    @property
    def keys(self) -> tuple[str, ...]:
        middle = () if self.types == "none" else ("type",)
        return ("name", *middle, "output", "params", "macs")


HEADERS = {"name": "name", "type": "type", "output": "output", "params": "params", "macs": "MACs"}
RIGHT = {"params", "macs"}
FORMS = (
    Columns(),
    Columns(exact_params=False),
    Columns(types="short", exact_params=False),
    Columns(types="none", exact_params=False),
    Columns(types="none", exact_params=False, square=True),
    Columns(types="none", exact_params=False, square=True, gap=1),
)


def short_type(kind: str) -> str:
    """``BatchNorm2d`` -> ``BN2d``; unknown long names cut to 7 characters."""
    short = SHORT_TYPES.get(kind, kind)
    return short if len(short) <= SHORT_TYPE_MAX else short[: SHORT_TYPE_MAX - 1] + ELLIPSIS


def square_shape(shape: Any) -> str:
    """``[-1, 16, 14, 14]`` -> ``16×14²`` (equal last two sides); others as format_shape."""
    dims = list(shape or [])
    if dims and dims[0] in (-1, None):
        dims = dims[1:]
    if len(dims) >= 2 and dims[-1] == dims[-2] and all(isinstance(d, int) for d in dims):
        return "×".join(str(d) for d in [*dims[:-2], f"{dims[-1]}²"])
    return format_shape(shape)


def short_name(name: str, width: int | None) -> str:
    """``classifier.6`` in ``width`` cells: its end kept (the index tells layers apart)."""
    if width is None or len(name) <= width:
        return name
    return ELLIPSIS + name[len(name) - width + 1 :]


def layer_values(row: dict[str, Any], form: Columns) -> dict[str, str]:
    """One layer's cell texts (without spacing) in ``form``."""
    kind = str(row.get("type", ""))
    params = row.get("params", 0)
    return {
        "name": short_name(str(row.get("name", "")), form.name_width),
        "type": short_type(kind) if form.types == "short" else kind,
        "output": square_shape(row.get("output_shape")) if form.square
        else format_shape(row.get("output_shape")),
        "params": format_count(params) if form.exact_params else format_macs(params),
        "macs": format_macs(row.get("macs", 0)),
    }  # fmt: skip


def totals_values(
    summary: dict[str, Any], rows: list[dict[str, Any]], form: Columns, layers: int | None = None
) -> dict:
    """The totals row's texts: the summary's totals, or the sums of the rows without them;
    ``layers`` is the count of layers named (default: the rows)."""
    total_params = summary.get("total_params")
    if total_params is None:
        total_params = sum(int(r.get("params", 0) or 0) for r in rows)
    total_macs = summary.get("total_macs")
    if total_macs is None:
        total_macs = sum(int(r.get("macs", 0) or 0) for r in rows)
    params = format_count(total_params) if form.exact_params else format_macs(total_params)
    return {
        "name": "total",
        "type": f"{len(rows) if layers is None else layers} layers" if form.types == "full" else "",
        "output": format_trainable(summary, form.exact_params) if form.types != "none" else "",
        "params": params,
        "macs": format_macs(total_macs),
    }


def format_trainable(summary: dict[str, Any], exact: bool = True) -> str:
    """``1,234 trainable`` when some parameters are frozen, else ""."""
    trainable, total = summary.get("trainable_params"), summary.get("total_params")
    if trainable is None or total is None or trainable == total:
        return ""
    return f"{format_count(trainable) if exact else format_macs(trainable)} trainable"


def spaced(key: str, text: str, form: Columns) -> str:
    """A cell's text with the space before it (the table has no cell padding)."""
    return " " * (LEFT_MARGIN if key == "name" else form.gap) + text


def table_width(summary: dict[str, Any], rows: list[dict[str, Any]], form: Columns) -> int:
    """Cells the table needs in ``form`` (its widest cell per column, with spacing)."""
    lines = [layer_values(row, form) for row in rows] + [totals_values(summary, rows, form)]
    return sum(
        len(spaced(key, max([HEADERS[key]] + [line[key] for line in lines], key=len), form))
        for key in form.keys
    )


def fit_columns(
    summary: dict[str, Any], width: int | None, rows: list[dict[str, Any]] | None = None
) -> Columns:
    """The fullest form whose table fits ``width`` cells (None: the fullest); past the last
    form, names are shortened from the front. ``rows``: the rows as drawn (default: the
    summary's)."""
    rows = [dict(row) for row in (summary.get("layers", []) if rows is None else rows)]
    if width is None:
        return FORMS[0]
    for form in FORMS:
        if table_width(summary, rows, form) <= width:
            return form
    last = FORMS[-1]
    overflow = table_width(summary, rows, last) - width
    longest = max((len(str(row.get("name", ""))) for row in rows), default=5)
    return replace(last, name_width=max(5, longest - overflow))
