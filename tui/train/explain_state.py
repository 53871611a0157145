"""The inspector's explain mode as plain state: the explained conv cell and its explanation."""

from __future__ import annotations

from typing import Any

Box = tuple[int, int, int, int]


def map_shape(row: dict[str, Any] | None) -> tuple[int, int, int]:
    """(channels, height, width) of a summary row's output, each at least 1."""
    shape = (row or {}).get("output_shape") or []
    dims = [int(s) for s in shape[-3:]] if len(shape) >= 3 else [1, 1, 1]
    return (max(dims[0], 1), max(dims[1], 1), max(dims[2], 1))


class ExplainState:
    """Explain mode on or off, the cell (feature map, row, column), the input channel whose
    products are shown and the engine's ``explain`` reply. The inspector keys and draws it.

    A cell starts at the strongest activation of its map (``auto``: the request leaves row and
    column to the engine, ``found`` is where the reply put it, for every new digit and map
    again); moving it with H/J/K/L fixes it (``auto`` False) until explain mode restarts."""

    def __init__(self) -> None:
        self.explaining = False
        self.cell = (0, 0, 0)  # (feature map, row, column); row and column once found
        self.auto = True
        self.found = False  # the reply for the auto cell arrived (cell holds its row, col)
        self.in_index = 0  # position of the input channel shown among the kernel's inputs
        self.explanation: dict[str, Any] | None = None

    def toggle(self, layer_row: dict[str, Any] | None) -> bool:
        """Switch explain mode (back to map 0's strongest cell); False (and no change) when
        turning it on for a layer that is not a conv layer."""
        if not self.explaining and (layer_row or {}).get("type") != "Conv2d":
            return False
        self.explaining = not self.explaining
        self.cell, self.auto, self.found, self.in_index = (0, 0, 0), True, False, 0
        self.explanation = None
        return True

    def step(self, layer_row: dict[str, Any] | None, channel: int, row: int, col: int) -> bool:
        """Move the cell (wrapping the map, clamping row and column to the layer's output);
        a row or column move fixes the cell. False when explain mode is off, or when the
        strongest cell to move from is not known yet."""
        if not self.explaining or ((row or col) and self.auto and not self.found):
            return False
        channels, height, width = map_shape(layer_row)
        c, i, j = self.cell
        if row or col:
            self.auto = False
        self.found = self.found and not channel  # another map: its own strongest cell
        moved = ((c + channel) % channels, min(max(i + row, 0), height - 1))
        self.cell = (*moved, min(max(j + col, 0), width - 1))
        return True

    def step_input(self, step: int) -> bool:
        """Show the next (or previous) input channel's products; False when off."""
        if not self.explaining:
            return False
        count = len((self.explanation or {}).get("contributions", [])) or 1
        self.in_index = (self.in_index + step) % count
        return True

    def leave(self) -> bool:
        """Turn explain mode off; True when it was on."""
        if not self.explaining:
            return False
        self.explaining, self.explanation = False, None
        return True

    def request(self, layer_name: str | None) -> dict[str, Any]:
        """The ``explain`` kwargs (without the sample index) for the cell; {} when off. An
        automatic cell sends no row and column: the engine picks the strongest."""
        if not self.explaining:
            return {}
        c, i, j = self.cell
        if self.auto:
            return {"layer": layer_name, "channel": c, "i": None, "j": None}
        return {"layer": layer_name, "channel": c, "i": i, "j": j}

    def matches(self, payload: dict[str, Any] | None, layer_name: str | None) -> bool:
        """Whether ``payload`` answers the current cell of ``layer_name``."""
        if payload is None or not self.explaining:
            return False
        c, i, j = self.cell
        if (payload.get("layer"), payload.get("out_channel")) != (layer_name, c):
            return False
        if self.auto:
            return bool(payload.get("strongest"))
        return (payload.get("row"), payload.get("col")) == (i, j) and not payload.get("strongest")

    def receive(self, payload: dict[str, Any] | None, layer_name: str | None) -> bool:
        """Keep a reply for the current cell (an automatic cell takes its row and column from
        it); False, and nothing kept, for a stale one."""
        if payload is not None and not self.matches(payload, layer_name):
            return False
        self.explanation = payload
        if payload is not None and self.auto:
            self.cell, self.found = (self.cell[0], int(payload["row"]), int(payload["col"])), True
        return True

    def current(self, layer_name: str | None) -> dict[str, Any] | None:
        """The explanation when it is the reply for the current cell of ``layer_name``."""
        payload = self.explanation
        if not self.matches(payload, layer_name):
            return None
        if self.auto and not self.found:
            return None
        return payload

    def waiting_note(self, layer_name: str | None) -> str:
        """The line shown until the reply for the cell arrives."""
        c, i, j = self.cell
        where = "its strongest cell" if self.auto and not self.found else f"row {i}, col {j}"
        return f"{layer_name} map {c} · {where}: explaining…"

    @property
    def cell_box(self) -> tuple[int, Box] | None:
        """(feature map, box) of the cell, outlined on the feature maps (None until an
        automatic cell is found)."""
        if self.auto and not self.found:
            return None
        c, i, j = self.cell
        return c, (i, j, i + 1, j + 1)
