"""The main screen's inspector feed: selection keys, data requests, live refresh and replies."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tui.train.local_digits import LocalDigits, LocalDigitsLoaded, read_test_digits

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from tui.app import AppOptions
    from tui.compare.runs import KernelSnapshots
    from tui.link import Link
    from tui.train.explain_view import CellExplainRequested
    from tui.train.inspector import Inspector
    from tui.train.layer_table import LayerTable
    from tui.train.training_pane import TrainingPane

TEST_SAMPLES = 10_000  # the MNIST test split
MANY_DIGITS = 6  # rows shown by "several digits at once"
LIVE_REFRESH_S = 0.5  # inspector refresh period while training (twice a second at most)
NAVIGATION_QUIET_S = 1.0  # no live refresh this soon after a layer or sample change


class InspectorRequests:
    """Mixin for MainScreen: what the inspector shows, asked of the engine and received back.

    Selection changes (layer, sample) ask for the layer's kernels, its activations for the
    sample, and the sample's prediction; while training, ``live_refresh`` asks again only for
    what is not already on its way.
    """

    # Provided by MainScreen.
    state: str
    layer_name: str | None
    layer_row: dict[str, Any] | None
    loaded_model: str | None
    sample_index: int
    navigated: float
    random: random.Random
    options: AppOptions
    local_digits: LocalDigits
    run_worker: Callable[..., Any]
    post_message: Callable[..., Any]
    call_after_refresh: Callable[..., Any]
    snapshots: KernelSnapshots
    link: Link
    inspector: Inspector
    training: TrainingPane
    table: LayerTable
    active_tab: str
    notify: Callable[..., None]

    def refresh_inspector(
        self,
        *,
        kernels: bool = True,
        activations: bool = True,
        sample: bool = True,
        only_idle: bool = False,
    ) -> None:
        """Ask for what the inspector shows; ``only_idle`` skips kinds already in flight."""
        from tui.train.views import has_weights

        if self.layer_name is None or self.loaded_model is None:
            return
        link = self.link

        def ask(purpose: str, op: str, **kwargs: Any) -> None:
            if not (only_idle and link.busy(purpose)):
                link.want(purpose, op, **kwargs)

        inspector = self.inspector
        if kernels:
            if has_weights(self.layer_row):
                op, kernel_kwargs = self.snapshots.kernels_request(self.layer_name)
                ask("kernels", op, **kernel_kwargs)
            elif not only_idle:
                inspector.set_kernels(None)
        if activations:
            ask("activations", "activations", layer=self.layer_name, index=self.sample_index)
            if inspector.many:
                ask("many", "activations_many", layer=self.layer_name, indices=self.many_indices())
            if inspector.explaining:
                ask("explain", "explain", index=self.sample_index, **inspector.explain_request())
        if sample:
            ask("sample", "sample", index=self.sample_index)

    def many_indices(self) -> list[int]:
        start = max(self.sample_index, 0)
        return [(start + i) % TEST_SAMPLES for i in range(MANY_DIGITS)]

    def select_sample(self, index: int) -> None:
        self.sample_index = index
        self.note_navigation()
        preview = self.local_digits.preview(index, self.inspector.info)
        if preview is not None and self.loaded_model is not None:
            self.inspector.set_sample(preview)  # the digit now; its prediction follows
        self.refresh_inspector(kernels=False)

    def note_navigation(self) -> None:
        """A layer or sample change: live refreshes and curve redraws hold back a while."""
        self.navigated = time.monotonic()
        self.training.busy_until = self.navigated + NAVIGATION_QUIET_S

    def load_local_digits(self) -> None:
        """Read the test digits in a thread (after the first paint) for select_sample."""
        data_dir = self.options.data_dir or self.options.config.data_dir
        self.run_worker(
            lambda: self._post_digits(data_dir), thread=True, exit_on_error=False, group="digits"
        )

    def _post_digits(self, data_dir: str | None) -> None:
        loaded = read_test_digits(data_dir)
        if loaded is not None:
            self.post_message(loaded)

    def on_local_digits_loaded(self, message: LocalDigitsLoaded) -> None:
        self.local_digits.set(message)

    def live_refresh(self) -> None:
        """While training, refresh what the inspector shows; not while the user is moving
        through layers and samples (their own requests come first)."""
        if (
            self.state == "training"
            and self.active_tab == "train"
            and time.monotonic() - self.navigated > NAVIGATION_QUIET_S
        ):
            self.refresh_inspector(only_idle=True)

    def on_layer_table_layer_selected(self, message: LayerTable.LayerSelected) -> None:
        if message.name == self.layer_name:
            return
        self.layer_name, self.layer_row = message.name, message.row
        self.note_navigation()
        # The table's cursor is painted first, in a frame of its own; the inspector (whose
        # repaint may re-lay out the screen) follows, and its requests go out then.
        self.call_after_refresh(self.open_layer, message.row)

    def open_layer(self, row: dict[str, Any]) -> None:
        if row.get("name") != self.layer_name:
            return  # already moved on (keys faster than frames)
        self.inspector.set_layer(row)
        self.refresh_inspector(sample=False)

    def on_inspector_many_toggled(self, message: Inspector.ManyToggled) -> None:
        if message.enabled and self.layer_name is not None:
            self.link.want(
                "many", "activations_many", layer=self.layer_name, indices=self.many_indices()
            )

    def on_cell_explain_requested(self, message: CellExplainRequested) -> None:
        if message.request and self.loaded_model is not None:
            self.link.want("explain", "explain", index=self.sample_index, **message.request)

    # ----------------------------------------------------------------- actions

    def action_layer(self, step: int) -> None:
        table = self.table
        table.select_next() if step > 0 else table.select_previous()

    def action_sample(self, step: int) -> None:
        index = 0 if self.sample_index < 0 else (self.sample_index + step) % TEST_SAMPLES
        self.select_sample(index)

    def action_random_sample(self) -> None:
        self.select_sample(self.random.randrange(TEST_SAMPLES))

    def action_misclassified(self) -> None:
        if self.loaded_model is None:
            self.notify("The model is still loading.")
            return
        self.link.want("misclassified", "misclassified", after=self.sample_index)

    def action_inspect(self, name: str) -> None:
        getattr(self.inspector, name)()

    # ------------------------------------------------------------------ replies

    def got_kernels(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.layer_name:
            self.inspector.set_kernels(payload)

    def got_activations(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.layer_name and payload.get("index") == self.sample_index:
            self.inspector.set_activations(payload)

    def got_many(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.layer_name:
            self.inspector.set_many(payload)

    def got_explain(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if kwargs.get("index") == self.sample_index:
            self.inspector.set_explanation(payload)

    def got_sample(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("index") == self.sample_index:
            self.inspector.set_sample(payload)

    def got_image(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.sample_index = payload.get("index", -1)
        self.inspector.set_sample(payload)
        self.refresh_inspector(kernels=False, sample=False)

    def got_misclassified(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        index = payload.get("index")
        if index is None:
            self.notify("The model gets every test digit right.")
            return
        self.notify(
            f"Test digit {index} is misclassified ({payload.get('count', '?')} of "
            f"{TEST_SAMPLES:,} are).",
            timeout=3,
        )
        self.select_sample(int(index))
