"""The main screen's kernel history: stepping through a run's per-epoch kernel snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.training.history import INITIAL_EPOCH

if TYPE_CHECKING:
    from collections.abc import Callable

    from tui.compare.runs import KernelSnapshots
    from tui.link import Link
    from tui.train.inspector import Inspector


class KernelHistoryActions:
    """Mixin for MainScreen: the snapshot keys and the engine's list of saved epochs."""

    # Provided by MainScreen (and InspectorRequests).
    snapshots: KernelSnapshots
    link: Link
    inspector: Inspector
    refresh_inspector: Callable[..., None]

    def action_snapshot(self, step: int) -> None:
        """Step through the run's per-epoch kernel snapshots (once listed by the engine)."""
        self.snapshots.pending = step
        self.link.want("snapshots", "snapshots", run_dir=self.snapshots.run_dir)

    def action_snapshot_delta(self) -> None:
        self.snapshots.delta = not self.snapshots.delta
        self.action_snapshot(0 if self.snapshots.epoch is not None else -1)

    def got_snapshots(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.snapshots.epochs = list(payload.get("epochs") or [])
        self.snapshots.run_dir = payload.get("run_dir") or self.snapshots.run_dir
        self.snapshots.step(self.snapshots.pending)
        self.inspector.set_message(
            snapshot_note(self.snapshots)
            if self.snapshots.epochs
            else "This run has no kernel snapshots yet: they are saved when training starts "
            "(the initial weights) and at the end of every epoch."
        )
        self.refresh_inspector(activations=False, sample=False)


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
