"""Inspector: the selected layer's kernels and feature maps, the input sample and its prediction."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from tui.train.explain_view import CellExplainer
from tui.train.layer_table import format_count, format_shape
from tui.train.sample_panel import SamplePanel
from tui.train.views import MapView, activation_view, has_weights, kernel_view, many_view
from tui.widgets.colorbar import ColorBar
from tui.widgets.heatmap import HeatmapGrid, detect_color_mode

INSPECTOR_KEYS: list[tuple[str, str, str]] = [
    ("pagedown,full_stop", "next_page", "Next maps"),
    ("pageup,comma", "previous_page", "Previous maps"),
    ("g", "toggle_scale", "Shared/per-map scale"),
    ("right_square_bracket", "next_channel", "Next input channel"),
    ("left_square_bracket", "previous_channel", "Previous input channel"),
    ("a", "toggle_mean", "Mean of input channels"),
    ("d", "toggle_many", "Several digits"),
    ("b", "toggle_explain", "Explain a cell"),
    ("H", "cell_left", "Explained cell left"),
    ("L", "cell_right", "Explained cell right"),
    ("K", "cell_up", "Explained cell up"),
    ("J", "cell_down", "Explained cell down"),
]
NARROW = 64  # below this width the sample column narrows


class Inspector(CellExplainer, Widget, can_focus=True):
    """Kernels, feature maps, input sample and probabilities of the selected layer.

    The app feeds it engine payloads (numpy arrays, never tensors) and calls its actions::

        inspector.set_model(info, summary, classes=load_reply.get("classes"))
        inspector.set_layer(row)              # LayerTable.LayerSelected.row
        inspector.set_kernels(payload|None)   # `kernels` reply; None: the layer has no weights
        inspector.set_activations(payload)    # `activations` reply
        inspector.set_sample(payload)         # `sample` reply
        inspector.set_many(payload)           # `activations_many` reply (after ManyToggled)

    Layout: a title line, then the maps column (kernels grid + colour bar, feature-map grid +
    colour bar) beside the sample column (input image with true and predicted label,
    probability bars). Below 64 columns the sample column narrows; grids shrink or page.
    """

    DEFAULT_CSS = """
    Inspector {
        height: 1fr;
        width: 1fr;
        layout: vertical;
    }
    Inspector #inspector-title {
        height: 1;
        text-style: bold;
    }
    Inspector #inspector-message {
        height: 1;
        color: $warning;
        display: none;
    }
    Inspector #inspector-message.-shown {
        display: block;
    }
    Inspector #inspector-explain {
        height: auto;
        max-height: 4;
        display: none;
    }
    Inspector #inspector-explain.-shown {
        display: block;
    }
    Inspector #inspector-body {
        height: 1fr;
    }
    Inspector #inspector-maps {
        width: 1fr;
    }
    Inspector #inspector-sample {
        width: 30;
        padding-left: 1;
    }
    Inspector.-narrow #inspector-sample {
        width: 16;
    }
    Inspector #kernels {
        height: auto;
        max-height: 50%;
    }
    Inspector #activations {
        height: 1fr;
    }
    Inspector.-many #kernels, Inspector.-many #kernels-scale {
        display: none;
    }
    """
    BINDINGS = [
        Binding(key, action, description, show=False) for key, action, description in INSPECTOR_KEYS
    ]

    shared_scale: reactive[bool] = reactive(True, init=False)
    channel: reactive[int] = reactive(0, init=False)
    mean_channels: reactive[bool] = reactive(False, init=False)
    many: reactive[bool] = reactive(False, init=False)
    color_mode: reactive[str] = reactive("256", init=False)

    class ManyToggled(Message):
        """The several-digits view was switched; when ``enabled`` the app should request
        ``activations_many`` for ``layer`` and pass the reply to :meth:`Inspector.set_many`."""

        def __init__(self, inspector: Inspector, layer: str | None, enabled: bool) -> None:
            super().__init__()
            self.inspector = inspector
            self.layer = layer
            self.enabled = enabled

        @property
        def control(self) -> Inspector:
            return self.inspector

    def __init__(
        self,
        *,
        color_mode: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.info: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.class_names: list[str] | None = None
        self.layer_row: dict[str, Any] | None = None
        self.kernels: dict[str, Any] | None = None
        self.activations: dict[str, Any] | None = None
        self.sample: dict[str, Any] | None = None
        self.many_payload: dict[str, Any] | None = None
        self.message = ""
        self.kernel_view: MapView | None = None
        self.activation_view: MapView | None = None
        self.set_reactive(Inspector.color_mode, color_mode or detect_color_mode())

    def compose(self) -> ComposeResult:
        mode = self.color_mode
        yield Static("", id="inspector-title", markup=False)
        yield Static("", id="inspector-message", markup=False)
        yield Static("", id="inspector-explain", markup=False)
        with Horizontal(id="inspector-body"):
            with Vertical(id="inspector-maps"):
                yield HeatmapGrid(id="kernels", color_mode=mode)
                yield ColorBar(id="kernels-scale", color_mode=mode)
                yield HeatmapGrid(id="activations", color_mode=mode)
                yield ColorBar(id="activations-scale", color_mode=mode)
            yield SamplePanel(id="inspector-sample", color_mode=mode)

    def on_mount(self) -> None:
        # The kernels area keeps its height while one moves through a model's layers (a
        # weightless layer says so in it): no pane jumps, and no re-layout per key press.
        self.query_one("#kernels", HeatmapGrid).keep_height = True
        self._refresh_all()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    # -- data from the app ------------------------------------------------------------------
    def set_model(
        self, info: dict[str, Any], summary: dict[str, Any], classes: list[str] | None = None
    ) -> None:
        """A new model: forget the layer, kernels, maps and sample of the previous one."""
        self.info, self.summary = dict(info), dict(summary)
        self.class_names = list(classes) if classes else info.get("classes")
        self.layer_row = self.kernels = self.activations = self.sample = self.many_payload = None
        self.leave_explain()
        self.set_reactive(Inspector.channel, 0)
        if self.is_mounted:
            self.query_one("#kernels", HeatmapGrid).release_height()
        self._refresh_all()

    def set_layer(self, row: dict[str, Any]) -> None:
        """Select the layer (a summary row); its kernels and maps come with set_kernels etc."""
        same = self.layer_row is not None and self.layer_row.get("name") == row.get("name")
        self.layer_row = dict(row)
        if not same:
            self.kernels = self.activations = self.many_payload = None
            self.set_reactive(Inspector.channel, 0)
            self.set_class(not has_weights(row), "-no-weights")
            self.leave_explain()
        # The sample panel does not depend on the layer: it is not repainted.
        self._refresh_title()
        kernels = self.query_one("#kernels", HeatmapGrid) if self.is_mounted else None
        if not same and kernels is not None and kernels.count and has_weights(row):
            # Keep the previous kernels, marked, until this layer's arrive (a few frames): an
            # emptied auto-height grid would shrink and grow back, re-laying out the screen
            # twice for every key press.
            self.kernel_view = None
            kernels.set_caption("loading…")
        else:
            self._refresh_kernels(keep_page=same)
        self._refresh_activations(keep_page=same)

    def set_kernels(self, payload: dict[str, Any] | None) -> None:
        """The layer's ``kernels`` reply, or None when it has no weights."""
        same = bool(payload and self.kernels and payload.get("layer") == self.kernels.get("layer"))
        self.kernels = payload
        self.set_class(payload is None, "-no-weights")
        self._refresh_kernels(keep_page=same)
        self._refresh_title()

    def set_activations(self, payload: dict[str, Any] | None) -> None:
        """The layer's ``activations`` reply for the current sample (None clears)."""
        same = bool(
            payload and self.activations and payload.get("layer") == self.activations.get("layer")
        )
        self.activations = payload
        if not self.many:
            self._refresh_activations(keep_page=same)

    def set_sample(self, payload: dict[str, Any]) -> None:
        """The ``sample`` reply: input image, label, prediction and probabilities."""
        self.sample = payload
        self._refresh_sample()

    def set_many(self, payload: dict[str, Any] | None) -> None:
        """The ``activations_many`` reply: one row per digit in the several-digits view."""
        self.many_payload = payload
        if self.many:
            self._refresh_activations()

    def set_message(self, text: str) -> None:
        """A one-line note above the maps ("loading…", an error); "" hides it."""
        self.message = text
        if self.is_mounted:
            note = self.query_one("#inspector-message", Static)
            note.update(text)
            note.set_class(bool(text), "-shown")

    def set_color_mode(self, mode: str) -> None:
        self.color_mode = mode

    # -- actions ----------------------------------------------------------------------------
    def next_page(self) -> bool:
        """Next page of the kernels (or, past their last page, of the feature maps)."""
        return any(grid.next_page() for grid in self._paged_grids())

    def previous_page(self) -> bool:
        return any(grid.previous_page() for grid in reversed(self._paged_grids()))

    def _paged_grids(self) -> list[HeatmapGrid]:
        grids = []
        if self.kernels is not None and not self.many:
            grids.append(self.query_one("#kernels", HeatmapGrid))
        grids.append(self.query_one("#activations", HeatmapGrid))
        return grids

    def toggle_scale(self) -> None:
        self.shared_scale = not self.shared_scale

    def next_channel(self) -> None:
        self._step_channel(1)

    def previous_channel(self) -> None:
        self._step_channel(-1)

    def _step_channel(self, step: int) -> None:
        if self.explaining:  # ] and [ pick the explained feature map instead
            self.step_cell(step, 0, 0)
            return
        channels = self.input_channels
        self.mean_channels = False
        if channels > 1:
            self.channel = (self.channel + step) % channels

    def toggle_mean(self) -> None:
        self.mean_channels = not self.mean_channels

    def toggle_many(self) -> None:
        self.many = not self.many

    action_next_page = next_page
    action_previous_page = previous_page
    action_toggle_scale = toggle_scale
    action_next_channel = next_channel
    action_previous_channel = previous_channel
    action_toggle_mean = toggle_mean
    action_toggle_many = toggle_many

    @property
    def input_channels(self) -> int:
        weights = None if self.kernels is None else self.kernels.get("weights")
        return int(weights.shape[1]) if weights is not None and weights.ndim == 4 else 1

    @property
    def layer_name(self) -> str | None:
        return None if self.layer_row is None else str(self.layer_row.get("name"))

    # -- watchers ---------------------------------------------------------------------------
    def watch_shared_scale(self) -> None:
        self._refresh_kernels(keep_page=True)
        self._refresh_activations(keep_page=True)

    def watch_channel(self) -> None:
        self._refresh_kernels(keep_page=True)

    def watch_mean_channels(self) -> None:
        self._refresh_kernels(keep_page=True)

    def watch_many(self, enabled: bool) -> None:
        self.set_class(enabled, "-many")
        if not enabled:
            self.many_payload = None
        self._refresh_activations()
        self.post_message(self.ManyToggled(self, self.layer_name, enabled))

    def watch_color_mode(self, mode: str) -> None:
        if self.is_mounted:
            self.query_one(SamplePanel).color_mode = mode
            for widget in self.query("HeatmapGrid, ColorBar, Probabilities"):
                widget.color_mode = mode  # type: ignore[attr-defined]

    # -- drawing ----------------------------------------------------------------------------
    def _refresh_all(self, keep_page: bool = False) -> None:
        self._refresh_title()
        self._refresh_kernels(keep_page)
        self._refresh_activations(keep_page)
        self._refresh_sample()
        self.set_message(self.message)

    def _refresh_title(self) -> None:
        if not self.is_mounted:
            return
        row = self.layer_row
        if row is None:
            text = str(self.info.get("name", "")) or "no layer selected"
        else:
            parts = [
                str(row.get("name", "")),
                str(row.get("type", "")),
                "out " + format_shape(row.get("output_shape")),
            ]
            params = int(row.get("params", 0) or 0)
            parts.append(f"{format_count(params)} params" if params else "no weights")
            text = " · ".join(p for p in parts if p)
        # Fixed height: no re-layout of the whole screen for a new title.
        self.query_one("#inspector-title", Static).update(text, layout=False)

    def _refresh_kernels(self, keep_page: bool = False) -> None:
        if not self.is_mounted:
            return
        grid = self.query_one("#kernels", HeatmapGrid)
        view = None
        if self.kernels is not None:
            view = kernel_view(self.kernels, self.channel, self.mean_channels, self.shared_scale)
        self.kernel_view = view
        kind = str((self.layer_row or {}).get("type", "this"))
        waiting = "loading…" if has_weights(self.layer_row) else f"no kernels in a {kind} layer"
        if view is not None:
            grid.model.stretch = view.stretch
            grid.model.show_titles = not view.stretch
        self._show(grid, self.query_one("#kernels-scale", ColorBar), view, keep_page, waiting)

    def _refresh_activations(self, keep_page: bool = False) -> None:
        if not self.is_mounted:
            return
        view: MapView | None = None
        waiting = "loading…" if self.many or self.layer_row is not None else ""
        try:
            if self.many and self.many_payload is not None:
                view = many_view(self.many_payload, self.shared_scale)
            elif not self.many and self.activations is not None:
                view = activation_view(self.activations, self.shared_scale)
        except ValueError as error:
            waiting = str(error)
        self.activation_view = view
        grid = self.query_one("#activations", HeatmapGrid)
        bar = self.query_one("#activations-scale", ColorBar)
        self._show(grid, bar, view, keep_page, waiting, "several digits" if self.many else "")

    @staticmethod
    def _show(
        grid: HeatmapGrid,
        bar: ColorBar,
        view: MapView | None,
        keep_page: bool,
        waiting: str,
        caption: str = "",
    ) -> None:
        """Draw ``view`` in the grid and its range in the bar, or ``waiting`` when there is none."""
        if view is None:
            grid.clear(waiting, caption=caption)
            bar.clear()
            return
        grid.set_maps(
            view.maps,
            titles=view.titles,
            cmap=view.cmap,
            caption=view.caption,
            vector=view.vector,
            row_labels=view.row_labels,
            keep_page=keep_page,
        )
        bar.set_scale(view.lo, view.hi, view.cmap, view.scale_label)

    def _refresh_sample(self) -> None:
        if self.is_mounted:
            self.query_one(SamplePanel).show(self.sample, self.class_names)
