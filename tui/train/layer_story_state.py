"""A ``layer_story`` reply as what the inspector draws: one line, before -> after, the details.

Plain numpy (no Textual): ``story_view(payload, channel)`` builds the two maps (the layer's
input and output on the current digit, each on its own colour scale: diverging where there are
negatives, so a ReLU's input shows them, sequential otherwise), the boxes to outline and the
lines of numbers under them (a pooling window, a flatten index, batch norm's statistics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.convlab.display import format_number
from engine.render.maps import scale_maps
from tui.train.views import MapView, dims

Box = tuple[int, int, int, int]


@dataclass
class StoryView:
    """What the story area shows: ``line``, the ``before`` and ``after`` maps (with the box
    to outline on each, or None) and ``detail`` lines."""

    line: str
    before: MapView
    after: MapView
    before_box: Box | None = None
    after_box: Box | None = None
    detail: list[str] = field(default_factory=list)
    channel: int = 0
    channels: int = 1
    kind: str = "other"


def _fmt(value: float) -> str:
    return format_number(value, 3)


def square_side(count: int) -> int:
    """Columns of the near-square grid a vector of ``count`` values is laid out in."""
    return max(1, math.ceil(math.sqrt(count)))


def vector_cell(index: int, count: int) -> Box:
    """The box of value ``index`` of a vector of ``count`` laid out by ``map_view``."""
    row, col = divmod(index, square_side(count))
    return (row, col, row + 1, col + 1)


def map_view(values: np.ndarray, title: str) -> MapView:
    """One map (H, W) scaled to [0, 1], or a vector (N,) laid out row by row in a near-square
    grid (empty cells after its end): diverging about 0 when it holds negatives, sequential
    otherwise; its range for the colour bar."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim == 1:
        side = square_side(values.size)
        padded = np.full(side * math.ceil(values.size / side), np.nan, dtype=np.float32)
        padded[: values.size] = values
        values = padded.reshape(-1, side)
    maps = values.reshape(1, *values.shape[-2:])
    diverging = bool(np.nanmin(values) < 0) if np.isfinite(values).any() else False
    scaled = scale_maps(maps, shared=True, symmetric=diverging)
    lo, hi = scaled.shared_range
    cmap = "diverging" if diverging else "sequential"
    return MapView(scaled.values, [title], cmap, lo, hi, caption=title)


def _pick(values: np.ndarray, channel: int) -> np.ndarray:
    """Map ``channel`` of (C, H, W) values; vectors and single maps as they are."""
    return values[channel] if values.ndim == 3 else values.reshape(-1)


def story_view(payload: dict[str, Any], channel: int | None = None) -> StoryView:
    """The view of a ``layer_story`` reply, showing map ``channel`` (None: the payload's own,
    that of the strongest output) of 3-D inputs and outputs."""
    before = np.asarray(payload["before"], dtype=np.float32)
    after = np.asarray(payload["after"], dtype=np.float32)
    kind = payload.get("kind", "other")
    channels = before.shape[0] if before.ndim == 3 else 1
    c = int(payload.get("channel", 0) if channel is None else channel) % max(channels, 1)
    if kind == "dropout":  # eval mode passes values unchanged: show a training example
        after = np.asarray(payload["train_after"], dtype=np.float32)
    where = f" · ch {c}" if before.ndim == 3 and channels > 1 else ""
    shown_after = after[c] if after.ndim == 3 else after.reshape(-1)
    after_where = where if after.ndim == 3 else ""
    after_title = "in training (example)" if kind == "dropout" else "after"
    view = StoryView(
        line=str(payload.get("line", "")),
        before=map_view(_pick(before, c), f"before{where or ' ' + dims(before.shape)}"),
        after=map_view(shown_after, f"{after_title}{after_where or ' ' + dims(after.shape)}"),
        channel=c,
        channels=channels,
        kind=kind,
    )
    DETAILS.get(kind, lambda p, v: None)(payload, view)
    return view


def _activation(payload: dict[str, Any], view: StoryView) -> None:
    before = np.asarray(payload["before"])
    here = _pick(before, view.channel)
    view.detail.append(
        f"{int((here < 0).sum()):,} of {here.size:,} values below 0 in this map → 0 after"
        if payload.get("type") in ("ReLU", "ReLU6")
        else f"this map: {here.size:,} values, each through {payload.get('type')}"
    )


def _pool(payload: dict[str, Any], view: StoryView) -> None:
    c, i, j = payload["cell"]
    rows, cols = payload["rows"], payload["cols"]
    window = np.asarray(payload["window"], dtype=np.float64)
    how = payload.get("how", "max")
    view.detail.append(
        f"out ch {c}, row {i}, col {j} ← rows {rows[0]}..{rows[-1]}, cols {cols[0]}..{cols[-1]}"
    )
    cells = [["pad" if np.isnan(v) else _fmt(v) for v in row] for row in window]
    if how == "max" and "kept_at" in payload:
        a, b = payload["kept_at"]
        cells[a][b] = f"[{cells[a][b]}]"
    values = " / ".join(" ".join(row) for row in cells)
    view.detail.append(
        f"window {values} → {how} {_fmt(payload['kept'])} = output {_fmt(payload['output'])}"
    )
    if c == view.channel:
        view.before_box = (min(rows), min(cols), max(rows) + 1, max(cols) + 1)
        view.after_box = (i, j, i + 1, j + 1)


def _batchnorm(payload: dict[str, Any], view: StoryView) -> None:
    c = view.channel if np.asarray(payload["before"]).ndim == 3 else int(payload["channel"])

    def at(key: str) -> str:
        return _fmt(float(np.asarray(payload[key]).reshape(-1)[c]))

    view.detail.append(
        f"ch {c}: running mean {at('running_mean')}, var {at('running_var')} (used now)"
    )
    view.detail.append(
        f"this batch of {payload.get('batch_size', 1)}: mean {at('batch_mean')}, "
        f"var {at('batch_var')} (training would use these)"
    )
    view.detail.append(f"γ {at('gamma')}, β {at('beta')}, ε {payload.get('eps', 0):g}")


def _flatten(payload: dict[str, Any], view: StoryView) -> None:
    cell, shape, index = tuple(payload["cell"]), tuple(payload["shape"]), payload["flat_index"]
    value = _fmt(payload["value"])
    if len(cell) == 3:
        c, y, x = cell
        _, height, width = shape
        view.detail.append(
            f"(c, y, x) = ({c}, {y}, {x}) → {c}·{height * width} + {y}·{width} + {x} = {index}"
        )
        if c == view.channel:
            view.before_box = (y, x, y + 1, x + 1)
    else:
        view.detail.append(f"cell {cell} → index {index}")
    view.detail.append(f"value {value} at both")
    view.after_box = vector_cell(index, int(np.size(payload["after"])))


def _dropout(payload: dict[str, Any], view: StoryView) -> None:
    mask = np.asarray(payload["mask"], dtype=bool)
    dropped = int(mask.size - mask.sum())
    view.detail.append("eval mode (now): after = before, nothing dropped")
    view.detail.append(
        f"training example: {dropped:,} of {mask.size:,} set to 0, the rest × "
        f"{_fmt(payload['scale'])}"
    )


def _linear(payload: dict[str, Any], view: StoryView) -> None:
    unit = payload["unit"]
    view.detail.append(
        f"unit {unit}: w·x = {_fmt(payload['dot'])}, + bias {_fmt(payload['bias'])} "
        f"= {_fmt(payload['output'])}"
    )
    view.after_box = vector_cell(unit, int(np.size(payload["after"])))


DETAILS = {
    "activation": _activation,
    "pool": _pool,
    "batchnorm": _batchnorm,
    "flatten": _flatten,
    "dropout": _dropout,
    "linear": _linear,
}


def built_story(state: Any) -> tuple[StoryView | None, str]:
    """(view, waiting) for an InspectorState: the story of the selected layer when its reply
    is there (a reply for another layer is never shown), else the line to show meanwhile."""
    payload, layer = state.story, state.layer_name
    if layer is None:
        return None, ""
    if payload is None or payload.get("layer") != layer:
        return None, f"{layer}: …"
    try:
        return story_view(payload, state.story_channel), ""
    except (KeyError, ValueError, IndexError) as error:
        return None, f"{layer}: {error}"


def step_story_channel(state: Any, step: int) -> bool:
    """Show the map ``step`` away (wrapping) in the before -> after view of a layer without
    kernels; False (nothing changes) for other layers or with a single map."""
    view, _ = built_story(state)
    if state.has_weights or view is None or view.channels < 2:
        return False
    state.story_channel = (view.channel + step) % view.channels
    return True
