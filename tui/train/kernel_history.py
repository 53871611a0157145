"""The Train tab's kernel history: stepping through a run's kernel snapshots.

:class:`KernelSnapshots` is the inspector's history state (numpy-free, torch-free): live
weights, the kernels saved at a point of the run, or their change since the previous snapshot;
it says which request shows the kernels and what note to put above them. A run lists its
snapshots as ``points`` keyed by global step (engine.training.step_history: about 24 per run,
spread over its steps); an engine or run without them lists epoch ends only (``epochs``).
:class:`KernelHistory` turns the e, E and x keys into engine requests, shows the engine's
answer, and lists the snapshots again while a run trains so the note counts new ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.training.history import INITIAL_EPOCH
from engine.training.snapshot_plan import point_label

if TYPE_CHECKING:
    from tui.engine_service import EngineService

NO_SNAPSHOTS = (
    "This run has no kernel snapshots yet: they are saved when training starts "
    "(the initial weights) and at points spread over its steps."
)
RELIST_SECONDS = 1.0  # while training, list the snapshots at most this often


@dataclass
class KernelSnapshots:
    """Which kernels the inspector shows: live (``epoch`` None) or a run's snapshot.

    ``run_dir`` is the run whose snapshots are stepped through (set when a run starts or a
    checkpoint opens); ``epochs`` holds the snapshot keys from the engine's ``snapshots`` op:
    global steps when ``points`` (key -> {step, epoch, total_steps}) describes them, else epoch
    numbers. ``epoch`` is the key in view. With ``delta`` the kernels are the change from the
    previous snapshot to ``epoch``.
    """

    run_dir: str | None = None
    epochs: list[int] = field(default_factory=list)
    epoch: int | None = None
    delta: bool = False
    pending: int = 0  # the steps to take once the engine has listed the snapshots
    points: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def by_step(self) -> bool:
        return bool(self.points)

    def reset(self, run_dir: str | None) -> None:
        """Back to live weights, for another run (or none)."""
        self.run_dir, self.epochs, self.epoch, self.delta = run_dir, [], None, False
        self.points = {}

    def listed(self, payload: dict[str, Any]) -> None:
        """Take the engine's list: its ``points`` when it gives them, else its ``epochs``."""
        points = [p for p in payload.get("points") or [] if isinstance(p, dict) and "key" in p]
        self.points = {int(p["key"]): p for p in points}
        self.epochs = sorted(self.points) if points else list(payload.get("epochs") or [])

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
        if self.by_step:
            return "snapshot_kernels", {
                "layer": layer,
                "step": self.epoch,
                "run_dir": self.run_dir,
                "base_step": self.base_epoch,
            }
        return "snapshot_kernels", {
            "layer": layer,
            "epoch": self.epoch,
            "run_dir": self.run_dir,
            "base_epoch": self.base_epoch,
        }

    def label(self, key: int) -> str:
        """ "step 120/235 · epoch 0.51" (the initial weights named so); "epoch 2" by epoch."""
        point = self.points.get(key)
        if point is None:
            return f"epoch {key}"
        step, epoch = point.get("step"), float(point.get("epoch") or 0.0)
        text = point_label(step, point.get("total_steps"), epoch)
        return text + " (initial weights)" if step == 0 else text

    def note(self) -> str:
        """The line above the maps ("" for live weights)."""
        if self.epoch is None:
            return ""
        if self.by_step:
            return self._step_note()
        last = self.epochs[-1] if self.epochs else self.epoch
        base = self.base_epoch
        if base is not None:
            return f"kernel change from epoch {base} to {self.epoch} (of {last}) · x: weights"
        which = " (the first: no change to show)" if self.delta else ""
        return f"kernels after epoch {self.epoch} of {last}{which} · e/E step, x change"

    def _step_note(self) -> str:
        """ "step 120/235 · epoch 0.51 · snapshot 12 of 24 · ..." (short: it sits above the
        maps in a narrow inspector); the change: "change step 110→120/235 · epoch 0.47→0.51"."""
        key, base = self.epoch, self.base_epoch
        assert key is not None
        if base is not None:
            now, then = self.points[key], self.points[base]
            total = f"/{now['total_steps']}" if now.get("total_steps") else ""
            return (
                f"change step {then['step']}→{now['step']}{total} · epoch "
                f"{float(then['epoch']):.2f}→{float(now['epoch']):.2f} · x: weights"
            )
        where = f"snapshot {self.epochs.index(key) + 1} of {len(self.epochs)}"
        if self.delta:
            return f"{self.label(key)} · {where}: the first, no change to show"
        return f"{self.label(key)} · {where} · e/E step, x change"


class KernelHistory:
    """The snapshot keys and the engine's list of saved snapshots.

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
        self.asked = False  # a key waits for the list (else the list only updates the note)
        self.listed_at = 0.0

    def step(self, step: int) -> None:
        """Step through the run's kernel snapshots (once listed by the engine)."""
        self.snapshots.pending += step
        self.asked = True
        self._list()

    def toggle_delta(self) -> None:
        """Show how each kernel changed since the previous snapshot, or the weights again."""
        self.snapshots.delta = not self.snapshots.delta
        self.step(0 if self.snapshots.epoch is not None else -1)

    def training_progress(self) -> None:
        """A run trains while a snapshot is in view: list again (at most once a second) so the
        note counts the snapshots taken since."""
        if self.snapshots.epoch is None or self.asked:
            return
        if time.monotonic() - self.listed_at >= RELIST_SECONDS:
            self._list()

    def _list(self) -> None:
        self.listed_at = time.monotonic()
        self.engine.want("snapshots", "snapshots", run_dir=self.snapshots.run_dir)

    def got_snapshots(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        snapshots = self.snapshots
        snapshots.listed(payload)
        snapshots.run_dir = payload.get("run_dir") or snapshots.run_dir
        stepped = self.asked
        if stepped:
            snapshots.step(snapshots.pending)
            snapshots.pending, self.asked = 0, False
            self.refresh_kernels()
        if stepped or snapshots.epoch is not None:
            self.show_note(snapshot_note(snapshots) if snapshots.epochs else NO_SNAPSHOTS)


def snapshot_note(snapshots: KernelSnapshots) -> str:
    """The line above the maps: ``snapshots.note()``, with epoch 0 named the initial weights."""
    epoch, base = snapshots.epoch, snapshots.base_epoch
    if snapshots.by_step or INITIAL_EPOCH not in (epoch, base):
        return snapshots.note()
    last = snapshots.epochs[-1] if snapshots.epochs else epoch
    if base == INITIAL_EPOCH:
        return (
            f"kernel change from the initial weights (epoch 0) to epoch {epoch} (of {last})"
            " · x: weights"
        )
    which = ": no change to show" if snapshots.delta else ""
    return f"initial kernels, before training (epoch 0 of {last}){which} · e/E step, x change"
