"""The one-line status header: model, device and precision, state, epoch and step, samples/s,
test accuracy (or "untrained")."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from rich.text import Text
from textual.widget import Widget

# Each state has its own word and colour: a stopped run is not a finished one, and a run whose
# loss ran away (diverged) is not one that hit an error (failed).
STATE_STYLES = {
    "starting": "dim",
    "idle": "bold",
    "training": "bold green",
    "paused": "bold yellow",
    "stopping": "bold dark_orange",
    "stopped": "bold magenta",
    "finished": "bold cyan",
    "failed": "bold red",
    "diverged": "bold white on red",
}
STATES = tuple(STATE_STYLES)
SPEED_STATES = ("training",)  # samples/s is a live figure: only while steps are being taken


@dataclass(frozen=True)
class Status:
    """What the header shows; None fields are left out."""

    model: str = "…"
    device: str = "…"  # the engine's: "cpu", "cuda:0 (H200)"; "…" until the engine says
    precision: str | None = None  # float32, bf16, fp16
    state: str = "starting"
    epoch: int | None = None  # 1-based epoch in progress (or where the run ended)
    epochs: int | None = None
    step: int | None = None  # 1-based step within the epoch
    steps: int | None = None
    samples_per_sec: float | None = None
    test_acc: float | None = None  # 0..1
    note: str | None = None  # shown where test acc goes while there is none: "untrained"


def device_texts(status: Status) -> tuple[str, str]:
    """(full, short) device text: ``cuda:0 (H200) bf16`` and ``cuda:0 bf16``."""
    precision = f" {status.precision}" if status.precision else ""
    short = status.device.split(" (", 1)[0]
    return status.device + precision, short + precision


def status_text(status: Status, width: int = 200) -> Text:
    """The header line for ``status``, dropping the least useful parts when narrow: first
    the GPU's name, then samples/s, then the test accuracy, then the epoch and step."""
    sep = (" │ ", "dim")
    full_device, short_device = device_texts(status)
    # priority -> parts: when space runs out the highest priority numbers go first.
    optional: dict[int, list[tuple[str, str]]] = {}
    extra = len(full_device) - len(short_device)  # the GPU's name, where there is room
    if status.epoch is not None and status.epochs:
        text = f"epoch {status.epoch}/{status.epochs}"
        if status.step is not None and status.steps:
            text += f" step {status.step}/{status.steps}"
        optional[0] = [sep, (text, "")]
    if status.test_acc is not None:
        optional[1] = [sep, ("test acc ", "dim"), (f"{100 * status.test_acc:.2f}%", "bold")]
    elif status.note:
        optional[1] = [sep, (status.note, "italic")]
    # A long model name is shortened only as far as the width needs, and only down to 12
    # characters, to leave room for the epoch and step and the test accuracy.
    reserved = sum(len(t) for key in (0, 1) for t, _ in optional.get(key, []))
    fixed = len(" cnn-tui ") + 1 + 2 * len(sep[0]) + len(short_device) + len(status.state)
    limit = max(12, width - fixed - reserved)
    model = status.model if len(status.model) <= limit else status.model[: limit - 1] + "…"
    parts: list[tuple[str, str]] = [(" cnn-tui ", "bold reverse"), (" ", ""), (model, "bold")]
    parts += [sep, (short_device, ""), sep]
    parts += [(status.state, STATE_STYLES.get(status.state, "bold"))]
    if extra:
        optional[3] = []  # (the full device text replaces the short one)
    if status.samples_per_sec and status.state in SPEED_STATES:
        optional[2] = [sep, (f"{status.samples_per_sec:,.0f} samples/s", "")]
    used = sum(len(t) for t, _ in parts)
    keep = []
    for priority, group in sorted(optional.items()):
        size = extra if priority == 3 else sum(len(t) for t, _ in group)
        if used + size <= width:
            keep.append(priority)
            used += size
    if 3 in keep:
        parts[4] = (full_device, "")
    for priority in keep:
        parts.extend(optional[priority])
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

    def text(self) -> str:
        """The header as it reads at its current width (for tests and captures)."""
        return status_text(self.status, self.size.width or 200).plain

    def render(self) -> Text:
        return status_text(self.status, self.size.width or 200)
