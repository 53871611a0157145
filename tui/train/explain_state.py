"""The inspector's explain mode as plain state: the explained conv cell and its explanation."""

from __future__ import annotations

from typing import Any

CELL_KEYS = ("out_channel", "row", "col")
SHOWN_TERMS = 6  # input-channel terms written out; the rest are summed into one term

Box = tuple[int, int, int, int]


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


def map_shape(row: dict[str, Any] | None) -> tuple[int, int, int]:
    """(channels, height, width) of a summary row's output, each at least 1."""
    shape = (row or {}).get("output_shape") or []
    dims = [int(s) for s in shape[-3:]] if len(shape) >= 3 else [1, 1, 1]
    return (max(dims[0], 1), max(dims[1], 1), max(dims[2], 1))


class ExplainState:
    """Explain mode on or off, the cell (feature-map channel, row, column) and the engine's
    ``explain`` reply for it. The inspector widget keys it and draws it."""

    def __init__(self) -> None:
        self.explaining = False
        self.cell = (0, 0, 0)  # (feature-map channel, row, column)
        self.explanation: dict[str, Any] | None = None

    def toggle(self, layer_row: dict[str, Any] | None) -> bool:
        """Switch explain mode (back to the first cell); False (and no change) when turning it
        on for a layer that is not a conv layer."""
        if not self.explaining and (layer_row or {}).get("type") != "Conv2d":
            return False
        self.explaining = not self.explaining
        self.cell, self.explanation = (0, 0, 0), None
        return True

    def step(self, layer_row: dict[str, Any] | None, channel: int, row: int, col: int) -> bool:
        """Move the cell (wrapping the channel, clamping row and column to the layer's output);
        False when explain mode is off."""
        if not self.explaining:
            return False
        channels, height, width = map_shape(layer_row)
        c, i, j = self.cell
        moved = ((c + channel) % channels, min(max(i + row, 0), height - 1))
        self.cell = (*moved, min(max(j + col, 0), width - 1))
        return True

    def leave(self) -> bool:
        """Turn explain mode off; True when it was on."""
        if not self.explaining:
            return False
        self.explaining, self.explanation = False, None
        return True

    def request(self, layer_name: str | None) -> dict[str, Any]:
        """The ``explain`` kwargs (without the sample index) for the cell; {} when off."""
        if not self.explaining:
            return {}
        c, i, j = self.cell
        return {"layer": layer_name, "channel": c, "i": i, "j": j}

    def current(self, layer_name: str | None) -> dict[str, Any] | None:
        """The explanation when it is the reply for the current cell of ``layer_name``."""
        payload = self.explanation
        if payload is None:
            return None
        where = (payload.get("layer"), *[payload.get(k) for k in CELL_KEYS])
        return payload if where == (layer_name, *self.cell) else None

    def note(self, layer_name: str | None) -> str:
        """The line above the maps: the explanation, or that it is on its way."""
        payload = self.current(layer_name)
        if payload is not None:
            return explain_text(payload)
        c, i, j = self.cell
        return f"{layer_name}[ch {c}] at ({i}, {j}): explaining…"

    @property
    def cell_box(self) -> tuple[int, Box]:
        """(feature map, box) of the cell, outlined on the feature maps."""
        c, i, j = self.cell
        return c, (i, j, i + 1, j + 1)
