"""The one-line status header: model, device, state, epoch and step, samples/s, test accuracy."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from rich.text import Text
from textual.widget import Widget

STATES = ("starting", "idle", "training", "paused", "stopping", "finished", "failed")
STATE_STYLES = {
    "starting": "dim",
    "idle": "bold",
    "training": "bold green",
    "paused": "bold yellow",
    "stopping": "bold yellow",
    "finished": "bold cyan",
    "failed": "bold red",
}


@dataclass(frozen=True)
class Status:
    """What the header shows; None fields are left out."""

    model: str = "…"
    device: str = "auto"
    state: str = "starting"
    epoch: int | None = None  # 1-based epoch in progress
    epochs: int | None = None
    step: int | None = None  # 1-based step within the epoch
    steps: int | None = None
    samples_per_sec: float | None = None
    test_acc: float | None = None  # 0..1


def status_text(status: Status, width: int = 200) -> Text:
    """The header line for ``status``, dropping the least useful parts when narrow."""
    sep = (" │ ", "dim")
    model = status.model if len(status.model) <= 24 else status.model[:23] + "…"
    parts: list[tuple[str, str]] = [
        (" cnn-tui ", "bold reverse"),
        (" ", ""),
        (model, "bold"),
        sep,
        (status.device, ""),
        sep,
        (status.state, STATE_STYLES.get(status.state, "bold")),
    ]
    # (priority, parts): when space runs out the highest priority numbers go first.
    optional: list[tuple[int, list[tuple[str, str]]]] = []
    if status.epoch is not None and status.epochs:
        text = f"epoch {status.epoch}/{status.epochs}"
        if status.step is not None and status.steps:
            text += f" step {status.step}/{status.steps}"
        optional.append((0, [sep, (text, "")]))
    if status.samples_per_sec:
        optional.append((2, [sep, (f"{status.samples_per_sec:,.0f} samples/s", "")]))
    if status.test_acc is not None:
        optional.append((1, [sep, ("test acc ", "dim"), (f"{100 * status.test_acc:.2f}%", "bold")]))
    used = sum(len(t) for t, _ in parts)
    keep = set()
    for priority, group in sorted(optional, key=lambda item: item[0]):
        size = sum(len(t) for t, _ in group)
        if used + size <= width:
            keep.add(priority)
            used += size
    for priority, group in optional:
        if priority in keep:
            parts.extend(group)
    return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")


class StatusHeader(Widget):
    """One line at the top of the screen; call ``update_status(field=value, ...)``."""

    DEFAULT_CSS = """
    StatusHeader { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = Status()

    def update_status(self, **changes: Any) -> None:
        known = {f.name for f in fields(Status)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown status field(s): {', '.join(sorted(unknown))}")
        status = replace(self.status, **changes)
        if status != self.status:
            self.status = status
            self.refresh()

    def render(self) -> Text:
        return status_text(self.status, self.size.width or 200)
