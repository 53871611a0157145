"""The inspector's explain mode: one conv feature-map cell as per-input-channel multiply-adds."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from tui.widgets.heatmap import HeatmapGrid

CELL_KEYS = ("out_channel", "row", "col")
SHOWN_TERMS = 6  # input-channel terms written out; the rest are summed into one term


class CellExplainRequested(Message):
    """The explained cell changed: the app should send ``explain`` with ``request`` (layer,
    channel, i, j) for the current sample and pass the reply to ``set_explanation``."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__()
        self.request = request


def explain_text(payload: dict[str, Any]) -> str:
    """'conv2[ch 3] at (4, 5) = 0.437 (captured 0.437)' then, on the next line, '= sum over
    input channels: ch0 0.123 + ch1 -0.045 + ... + bias 0.010' for an ``explain`` reply.

    The total comes first so that it stays visible when a narrow inspector cuts the terms."""
    contributions = [float(v) for v in payload["contributions"]]
    terms = [f"ch{c} {v:.3f}" for c, v in zip(payload["channels"], contributions, strict=False)]
    if len(terms) > SHOWN_TERMS:
        rest = sum(contributions[SHOWN_TERMS:])
        terms = terms[:SHOWN_TERMS] + [f"{len(terms) - SHOWN_TERMS} more ch {rest:.3f}"]
    head = (
        f"{payload['layer']}[ch {payload['out_channel']}] at ({payload['row']}, {payload['col']})"
    )
    return (
        f"{head} = {payload['total']:.3f} (captured {payload['captured']:.3f})\n"
        f"= sum over input channels: {' + '.join(terms)} + bias {payload['bias']:.3f}"
    )


class CellExplainer:
    """Mixin for Inspector: explain mode on and off, the cell cursor and the explanation.

    Relies on the inspector's ``layer_row``, ``layer_name``, ``activations``, ``query_one``,
    ``post_message``, ``notify`` and ``is_mounted``.
    """

    explaining = False
    cell = (0, 0, 0)  # (feature-map channel, row, column)
    explanation: dict[str, Any] | None = None

    def toggle_explain(self) -> None:
        if not self.explaining and (self.layer_row or {}).get("type") != "Conv2d":
            self.notify("Explain works on conv layers; select one first.")  # type: ignore[attr-defined]
            return
        self.explaining = not self.explaining
        self.cell, self.explanation = (0, 0, 0), None
        self._refresh_explain()
        if self.explaining:
            self.post_message(CellExplainRequested(self.explain_request()))  # type: ignore[attr-defined]

    def cell_left(self) -> None:
        self.step_cell(0, 0, -1)

    def cell_right(self) -> None:
        self.step_cell(0, 0, 1)

    def cell_up(self) -> None:
        self.step_cell(0, -1, 0)

    def cell_down(self) -> None:
        self.step_cell(0, 1, 0)

    def step_cell(self, channel: int, row: int, col: int) -> None:
        """Move the cell (wrapping the channel, clamping row and column) and ask again."""
        if not self.explaining:
            return
        channels, height, width = self._map_shape()
        c, i, j = self.cell
        moved = ((c + channel) % channels, min(max(i + row, 0), height - 1))
        self.cell = (*moved, min(max(j + col, 0), width - 1))
        self._refresh_explain()
        self.post_message(CellExplainRequested(self.explain_request()))  # type: ignore[attr-defined]

    action_toggle_explain = toggle_explain
    action_cell_left = cell_left
    action_cell_right = cell_right
    action_cell_up = cell_up
    action_cell_down = cell_down

    def explain_request(self) -> dict[str, Any]:
        """The ``explain`` kwargs (without the sample index) for the cell; {} when off."""
        if not self.explaining:
            return {}
        c, i, j = self.cell
        return {"layer": self.layer_name, "channel": c, "i": i, "j": j}  # type: ignore[attr-defined]

    def set_explanation(self, payload: dict[str, Any] | None) -> None:
        """The ``explain`` reply for the current cell (None clears)."""
        self.explanation = payload
        self._refresh_explain()

    def leave_explain(self) -> None:
        if self.explaining:
            self.explaining, self.explanation = False, None
            self._refresh_explain()

    def _map_shape(self) -> tuple[int, int, int]:
        shape = (self.layer_row or {}).get("output_shape") or []
        dims = [int(s) for s in shape[-3:]] if len(shape) >= 3 else [1, 1, 1]
        return (max(dims[0], 1), max(dims[1], 1), max(dims[2], 1))

    def _refresh_explain(self) -> None:
        if not self.is_mounted:  # type: ignore[attr-defined]
            return
        query = self.query_one  # type: ignore[attr-defined]
        note = query("#inspector-explain")
        digit = query("#digit", HeatmapGrid)
        maps = query("#activations", HeatmapGrid)
        note.set_class(self.explaining, "-shown")
        if not self.explaining:
            note.update("")
            digit.set_highlight(None)
            maps.set_highlight(None)
            return
        c, i, j = self.cell
        maps.set_highlight(c, (i, j, i + 1, j + 1))
        payload = self.explanation
        where = (payload or {}).get("layer"), *[(payload or {}).get(k) for k in CELL_KEYS]
        if payload is None or tuple(where) != (self.layer_name, *self.cell):  # type: ignore[attr-defined]
            note.update(f"{self.layer_name}[ch {c}] at ({i}, {j}): explaining…")  # type: ignore[attr-defined]
            return
        note.update(explain_text(payload))
        box = payload.get("input_box_clipped")
        digit.set_highlight(0 if box else None, box)
