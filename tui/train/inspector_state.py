"""The inspector's state and view model: the model, layer, payloads, settings and what to draw."""

from __future__ import annotations

from typing import Any

from tui.train.explain_state import ExplainState
from tui.train.formatting import format_count, format_shape
from tui.train.layer_tree import row_key
from tui.train.views import MapView, activation_view, has_weights, kernel_view, many_view


class InspectorState:
    """Everything the Inspector shows, without Textual: engine payloads of the selected layer and
    sample, the view settings (shared scale, input channel, mean of the input channels, several
    digits) and the map views built from them. The widget mirrors the settings in its reactives.
    """

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.class_names: list[str] | None = None
        self.layer_row: dict[str, Any] | None = None
        self.kernels: dict[str, Any] | None = None
        self.activations: dict[str, Any] | None = None
        self.sample: dict[str, Any] | None = None
        self.many_payload: dict[str, Any] | None = None
        self.message = ""
        self.shared_scale = True
        self.channel = 0
        self.mean_channels = False
        self.many = False
        self.explain = ExplainState()
        self.story: dict[str, Any] | None = None  # the layer's ``layer_story`` reply
        self.story_channel: int | None = None  # the map its before -> after shows (None: its own)
        self.kernel_view: MapView | None = None  # the views last built for drawing
        self.activation_view: MapView | None = None

    # -- data -------------------------------------------------------------------------------
    def set_model(
        self, info: dict[str, Any], summary: dict[str, Any], classes: list[str] | None = None
    ) -> None:
        """A new model: forget the layer, kernels, maps and sample of the previous one."""
        self.info, self.summary = dict(info), dict(summary)
        self.class_names = list(classes) if classes else info.get("classes")
        self.layer_row = self.kernels = self.activations = self.sample = self.many_payload = None
        self.story, self.story_channel = None, None
        self.channel = 0

    def set_layer(self, row: dict[str, Any]) -> bool:
        """Select the layer (a summary row); True when it is the layer already selected.
        Another layer drops the previous one's kernels and maps and goes back to channel 0."""
        same = self.layer_row is not None and row_key(self.layer_row) == row_key(row)
        self.layer_row = dict(row)
        if not same:
            self.kernels = self.activations = self.many_payload = self.story = None
            self.channel, self.story_channel = 0, None
        return same

    def set_kernels(self, payload: dict[str, Any] | None) -> bool:
        """The layer's ``kernels`` reply (None: no weights); True when of the same layer."""
        same = bool(payload and self.kernels and payload.get("layer") == self.kernels.get("layer"))
        self.kernels = payload
        return same

    def set_activations(self, payload: dict[str, Any] | None) -> bool:
        """The ``activations`` reply (None clears); True when of the same layer."""
        previous = self.activations
        same = bool(payload and previous and payload.get("layer") == previous.get("layer"))
        self.activations = payload
        return same

    def set_many(self, enabled: bool) -> None:
        """Switch the several-digits view; switching it off drops its payload."""
        self.many = enabled
        if not enabled:
            self.many_payload = None

    @property
    def layer_name(self) -> str | None:
        """The selected row's key (``conv1``; ``conv1#2`` for a second call), or None."""
        return None if self.layer_row is None else row_key(self.layer_row)

    @property
    def has_weights(self) -> bool:
        """Whether the selected layer has kernels to request."""
        return has_weights(self.layer_row)

    @property
    def labels_graded(self) -> bool:
        """Whether a sample's label is one of the model's classes: the model is built for the
        data the samples come from (not AlexNet's ImageNet shown MNIST digits)."""
        names = self.class_names
        digits = names is None or [str(n) for n in names] == [str(i) for i in range(10)]
        return digits or self.info.get("dataset", "imagenet") != "imagenet"

    @property
    def reads_rgb(self) -> bool:
        """Whether the selected layer reads the model's RGB input image (a first conv of 3
        input channels: its kernels are drawn as colour pictures)."""
        shape = list(self.info.get("input_shape") or [])
        row_in = list((self.layer_row or {}).get("input_shape") or [])[1:]
        return len(shape) == 3 and shape[0] == 3 and row_in == shape

    @property
    def input_channels(self) -> int:
        weights = None if self.kernels is None else self.kernels.get("weights")
        return int(weights.shape[1]) if weights is not None and weights.ndim == 4 else 1

    def stepped_channel(self, step: int) -> int | None:
        """The input channel ``step`` away (wrapping); None with a single input channel."""
        channels = self.input_channels
        return (self.channel + step) % channels if channels > 1 else None

    # -- what to draw -----------------------------------------------------------------------
    def title(self) -> str:
        """``conv2 · Conv2d · out 16×10×10 · 2,416 params``, or the model's name."""
        row = self.layer_row
        if row is None:
            return str(self.info.get("name", "")) or "no layer selected"
        parts = [
            row_key(row),
            str(row.get("type", "")),
            "out " + format_shape(row.get("output_shape")),
        ]
        params = int(row.get("params", 0) or 0)
        parts.append(f"{format_count(params)} params" if params else "no weights")
        return " · ".join(p for p in parts if p)

    def build_kernel_view(self) -> tuple[MapView | None, str]:
        """The kernels to draw (kept as ``kernel_view``) and the text shown while there are
        none."""
        view = None
        if self.kernels is not None:
            view = kernel_view(
                self.kernels, self.channel, self.mean_channels, self.shared_scale, self.reads_rgb
            )
        self.kernel_view = view
        kind = str((self.layer_row or {}).get("type", "this"))
        return view, "loading…" if self.has_weights else f"no kernels in a {kind} layer"

    def build_activation_view(self) -> tuple[MapView | None, str]:
        """The feature maps (or several digits' maps) to draw, kept as ``activation_view``,
        and the text shown while there are none (or why they cannot be drawn)."""
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
        return view, waiting

    @property
    def activation_caption(self) -> str:
        return "several digits" if self.many else ""
