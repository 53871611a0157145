"""The Train tab's inspector feed: selection keys, data requests, live refresh and replies.

``Selection`` is the plain state (layer, sample); ``InspectorFeed`` asks the engine for what
the inspector shows and hands the answers to it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.train.layer_tree import row_key
from tui.train.local_digits import LocalDigits, read_test_digits

if TYPE_CHECKING:
    from tui.engine_service import EngineService
    from tui.train.kernel_history import KernelSnapshots
    from tui.train.tab import TrainTab
    from tui.train.training_actions import RunState

TEST_SAMPLES = 10_000  # the MNIST test split
MANY_DIGITS = 6  # rows shown by "several digits at once"
LIVE_REFRESH_S = 0.5  # inspector refresh period while training (twice a second at most)
NAVIGATION_QUIET_S = 1.0  # no live refresh this soon after a layer or sample change


@dataclass
class Selection:
    """The layer and test digit the inspector shows (index -1: a picture, --image)."""

    layer_name: str | None = None
    layer_row: dict[str, Any] | None = None
    sample_index: int = 0
    navigated: float = 0.0  # time.monotonic() of the last layer or sample change


class InspectorFeed:
    """What the inspector shows, asked of the engine and received back.

    Selection changes (layer, sample) ask for the layer's kernels, its activations for the
    sample, and the sample's prediction; at most one request of each kind is in flight and
    only the newest ask waits behind it (``EngineService.want``); while training,
    ``live_refresh`` asks again only for what is not already on its way, so kernels can be
    watched as they form.
    """

    def __init__(
        self,
        selection: Selection,
        run: RunState,
        snapshots: KernelSnapshots,
        engine: EngineService,
        tab: TrainTab,
        seed: int | None = None,
    ) -> None:
        self.selection = selection
        self.run = run
        self.snapshots = snapshots
        self.engine = engine
        self.tab = tab
        self.random = random.Random(seed)
        self.local_digits = LocalDigits()  # the test digits, drawn before the engine replies

    def refresh(
        self,
        *,
        kernels: bool = True,
        activations: bool = True,
        sample: bool = True,
        only_idle: bool = False,
    ) -> None:
        """Ask for what the inspector shows; ``only_idle`` skips kinds already in flight."""
        from tui.train.views import has_weights

        chosen = self.selection
        if chosen.layer_name is None or self.run.loaded_model is None:
            return
        engine, layer, index = self.engine, chosen.layer_name, chosen.sample_index

        def ask(purpose: str, op: str, **kwargs: Any) -> None:
            if not (only_idle and engine.busy(purpose)):
                engine.want(purpose, op, **kwargs)

        inspector = self.tab.inspector
        if kernels:
            if has_weights(chosen.layer_row):
                op, kernel_kwargs = self.snapshots.kernels_request(layer)
                ask("kernels", op, **kernel_kwargs)
            elif not only_idle:
                inspector.set_kernels(None)
        if activations:
            ask("activations", "activations", layer=layer, index=index)
            ask("story", "layer_story", layer=layer, index=index)
            if inspector.many:
                ask("many", "activations_many", layer=layer, indices=self.many_indices())
            if inspector.explaining:
                ask("explain", "explain", index=index, **inspector.explain_request())
        if sample:
            ask("sample", "sample", index=index)

    def many_indices(self) -> list[int]:
        start = max(self.selection.sample_index, 0)
        return [(start + i) % TEST_SAMPLES for i in range(MANY_DIGITS)]

    def select_sample(self, index: int) -> None:
        """Show test digit ``index``: drawn at once where the digits are read, then asked.
        An open canvas closes (its drawing kept): its prediction is of another input."""
        self.tab.drawing.leave_for_digit()
        self.selection.sample_index = index
        self.note_navigation()
        inspector = self.tab.inspector
        preview = self.local_digits.preview(index, inspector.info)
        if preview is not None and self.run.loaded_model is not None:
            inspector.set_sample(preview)  # the digit now; its prediction follows
        self.refresh(kernels=False)

    def note_navigation(self) -> None:
        """A layer or sample change: live refreshes and curve redraws hold back a while."""
        self.selection.navigated = time.monotonic()
        self.tab.training.busy_until = self.selection.navigated + NAVIGATION_QUIET_S

    def load_local_digits(self, data_dir: str | None) -> None:
        """Read the test digits in a thread (after the first paint) for select_sample."""

        def read() -> None:
            loaded = read_test_digits(data_dir)
            if loaded is not None:
                self.tab.post_message(loaded)  # thread-safe; the tab hands it back to us

        self.tab.run_worker(read, thread=True, exit_on_error=False, group="digits")

    def live_refresh(self) -> None:
        """While training, refresh what the inspector shows; not while the user is moving
        through layers and samples (their own requests come first)."""
        if (
            self.run.state == "training"
            and self.tab.in_view
            and time.monotonic() - self.selection.navigated > NAVIGATION_QUIET_S
        ):
            self.refresh(only_idle=True)

    def layer_selected(self, name: str, row: dict[str, Any]) -> None:
        chosen = self.selection
        if name == chosen.layer_name:
            return
        chosen.layer_name, chosen.layer_row = name, row
        self.note_navigation()
        # The table's cursor is painted first, in a frame of its own; the inspector (whose
        # repaint may re-lay out the screen) follows, and its requests go out then.
        self.tab.call_after_refresh(self.open_layer, row)

    def open_layer(self, row: dict[str, Any]) -> None:
        if row_key(row) != self.selection.layer_name:
            return  # already moved on (keys faster than frames)
        self.tab.inspector.set_layer(row)
        self.refresh(sample=False)

    def many_toggled(self, enabled: bool) -> None:
        layer = self.selection.layer_name
        if enabled and layer is not None:
            self.engine.want("many", "activations_many", layer=layer, indices=self.many_indices())

    def explain_requested(self, request: dict[str, Any] | None) -> None:
        if request and self.run.loaded_model is not None:
            index = self.selection.sample_index
            self.engine.want("explain", "explain", index=index, **request)

    # ----------------------------------------------------------------- actions

    def step_sample(self, step: int) -> None:
        index = self.selection.sample_index
        self.select_sample(0 if index < 0 else (index + step) % TEST_SAMPLES)

    def random_sample(self) -> None:
        self.select_sample(self.random.randrange(TEST_SAMPLES))

    def next_misclassified(self) -> None:
        if self.run.loaded_model is None:
            self.tab.notify("The model is still loading.")
            return
        self.engine.want("misclassified", "misclassified", after=self.selection.sample_index)
