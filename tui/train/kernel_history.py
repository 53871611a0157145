"""The Train tab's kernel history: stepping through a run's per-epoch kernel snapshots.

:class:`KernelSnapshots` is the inspector's history state (numpy-free, torch-free): live
weights, the kernels saved at the end of an epoch, or their change since the previous snapshot;
it says which request shows the kernels and what note to put above them. :class:`KernelHistory`
turns the e, E and x keys into engine requests and shows the engine's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.training.history import INITIAL_EPOCH

if TYPE_CHECKING:
    from tui.engine_service import EngineService

NO_SNAPSHOTS = (
    "This run has no kernel snapshots yet: they are saved when training starts "
    "(the initial weights) and at the end of every epoch."
)


@dataclass
class KernelSnapshots:
    """Which kernels the inspector shows: live (``epoch`` None) or a run's snapshot.

    ``run_dir`` is the run whose snapshots are stepped through (set when a run starts or a
    checkpoint opens); ``epochs`` comes from the engine's ``snapshots`` op. With ``delta`` the
    kernels are the change from the previous snapshot to ``epoch``.
    """

    run_dir: str | None = None
    epochs: list[int] = field(default_factory=list)
    epoch: int | None = None
    delta: bool = False
    pending: int = 0  # the step to take once the engine has listed the snapshots

    def reset(self, run_dir: str | None) -> None:
        """Back to live weights, for another run (or none)."""
        self.run_dir, self.epochs, self.epoch, self.delta = run_dir, [], None, False

    def step(self, step: int) -> None:
        """Move ``step`` snapshots; from live, back steps to the last one; past the last: live."""
        if not self.epochs:
            return
        if self.epoch is None:
            self.epoch = self.epochs[-1] if step < 0 else None
            return
        position = self.epochs.index(self.epoch) + step if self.epoch in self.epochs else -1
        self.epoch = None if position >= len(self.epochs) else self.epochs[max(position, 0)]

    @property
    def base_epoch(self) -> int | None:
        """The snapshot before ``epoch`` (the delta's start), None for the first one."""
        if not self.delta or self.epoch not in self.epochs:
            return None
        position = self.epochs.index(self.epoch)
        return self.epochs[position - 1] if position > 0 else None

    def kernels_request(self, layer: str) -> tuple[str, dict[str, Any]]:
        """The op and kwargs that fetch the kernels to show for ``layer``."""
        if self.epoch is None:
            return "kernels", {"layer": layer}
        return "snapshot_kernels", {
            "layer": layer,
            "epoch": self.epoch,
            "run_dir": self.run_dir,
            "base_epoch": self.base_epoch,
        }

    def note(self) -> str:
        """The line above the maps ("" for live weights)."""
        if self.epoch is None:
            return ""
        last = self.epochs[-1] if self.epochs else self.epoch
        base = self.base_epoch
        if base is not None:
            return f"kernel change from epoch {base} to {self.epoch} (of {last}) · x: weights"
        which = " (the first: no change to show)" if self.delta else ""
        return f"kernels after epoch {self.epoch} of {last}{which} · e/E step, x change"


class KernelHistory:
    """The snapshot keys and the engine's list of saved epochs.

    ``show_note`` puts a line above the maps; ``refresh_kernels`` asks again for the kernels
    the inspector shows (now those of the chosen snapshot)."""

    def __init__(
        self,
        snapshots: KernelSnapshots,
        engine: EngineService,
        show_note: Callable[[str], None],
        refresh_kernels: Callable[[], None],
    ) -> None:
        self.snapshots = snapshots
        self.engine = engine
        self.show_note = show_note
        self.refresh_kernels = refresh_kernels

    def step(self, step: int) -> None:
        """Step through the run's per-epoch kernel snapshots (once listed by the engine)."""
        self.snapshots.pending = step
        self.engine.want("snapshots", "snapshots", run_dir=self.snapshots.run_dir)

    def toggle_delta(self) -> None:
        """Show how each kernel changed since the previous snapshot, or the weights again."""
        self.snapshots.delta = not self.snapshots.delta
        self.step(0 if self.snapshots.epoch is not None else -1)

    def got_snapshots(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        snapshots = self.snapshots
        snapshots.epochs = list(payload.get("epochs") or [])
        snapshots.run_dir = payload.get("run_dir") or snapshots.run_dir
        snapshots.step(snapshots.pending)
        self.show_note(snapshot_note(snapshots) if snapshots.epochs else NO_SNAPSHOTS)
        self.refresh_kernels()


def snapshot_note(snapshots: KernelSnapshots) -> str:
    """The line above the maps: ``snapshots.note()``, with epoch 0 named the initial weights."""
    epoch, base = snapshots.epoch, snapshots.base_epoch
    if INITIAL_EPOCH not in (epoch, base):
        return snapshots.note()
    last = snapshots.epochs[-1] if snapshots.epochs else epoch
    if base == INITIAL_EPOCH:
        return (
            f"kernel change from the initial weights (epoch 0) to epoch {epoch} (of {last})"
            " · x: weights"
        )
    which = ": no change to show" if snapshots.delta else ""
    return f"initial kernels, before training (epoch 0 of {last}){which} · e/E step, x change"
