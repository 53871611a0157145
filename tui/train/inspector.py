"""Inspector: the selected layer's kernels and feature maps, the input sample and its prediction."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.train.explain_view import CellExplainer
from tui.train.inspector_draw import INSPECTOR_CSS, InspectorDrawer, InspectorParts
from tui.train.inspector_state import InspectorState
from tui.train.layer_story_state import step_story_channel
from tui.train.layer_story_view import LayerStoryView, inline
from tui.train.sample_panel import SamplePanel
from tui.widgets.delegate import state_attribute
from tui.widgets.heatmap import HeatmapGrid, detect_color_mode

INSPECTOR_KEYS: list[tuple[str, str, str]] = [
    ("full_stop,pagedown", "next_page", "Next maps"),
    ("comma,pageup", "previous_page", "Previous maps"),
    ("greater_than_sign", "next_kernels_page", "Next kernels"),
    ("less_than_sign", "previous_kernels_page", "Previous kernels"),
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
    ("right_curly_bracket", "next_input", "Explained input channel"),
    ("left_curly_bracket", "previous_input", "Previous explained input"),
]
CELL_MOVES: dict[str, tuple[int, ...]] = {  # explain mode: (map, row, col) or (input,) steps
    "cell_left": (0, 0, -1),
    "cell_right": (0, 0, 1),
    "cell_up": (0, -1, 0),
    "cell_down": (0, 1, 0),
    "next_input": (1,),
    "previous_input": (-1,),
}
NARROW = 64  # below this width the sample column narrows
SHORT = 22  # below this height a layer without kernels shows its story, not every map


class ManyToggled(Message, namespace="inspector"):
    """The several-digits view was switched; when ``enabled`` the app should request
    ``activations_many`` for ``layer`` and pass the reply to :meth:`Inspector.set_many`
    (``Inspector.ManyToggled``; handled by ``on_inspector_many_toggled``)."""

    def __init__(self, inspector: Inspector, layer: str | None, enabled: bool) -> None:
        super().__init__()
        self.inspector = inspector
        self.layer = layer
        self.enabled = enabled

    @property
    def control(self) -> Inspector:
        return self.inspector


class Inspector(Widget, can_focus=True):
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
    What is shown lives in ``state`` (:class:`InspectorState`); ``InspectorDrawer`` draws it.
    """

    DEFAULT_CSS = INSPECTOR_CSS
    BINDINGS = [
        Binding(key, action, description, show=False) for key, action, description in INSPECTOR_KEYS
    ]

    shared_scale: reactive[bool] = reactive(True, init=False)
    channel: reactive[int] = reactive(0, init=False)
    mean_channels: reactive[bool] = reactive(False, init=False)
    many: reactive[bool] = reactive(False, init=False)
    color_mode: reactive[str] = reactive("256", init=False)

    info = state_attribute("info", "The model's info (``load`` reply).")
    class_names = state_attribute("class_names", "Names of the classes, or None.")
    kernels = state_attribute("kernels", "The layer's ``kernels`` reply, or None.")
    sample = state_attribute("sample", "The ``sample`` reply, or None.")
    message = state_attribute("message", "The one-line note above the maps.")
    kernel_view = state_attribute("kernel_view", "The kernels last drawn (a MapView).")
    activation_view = state_attribute("activation_view", "The maps last drawn (a MapView).")

    ManyToggled = ManyToggled

    def __init__(self, *, color_mode: str | None = None, **widget_options: Any) -> None:
        super().__init__(**widget_options)  # name, id, classes
        self.state = InspectorState()
        self.drawer = InspectorDrawer(self)
        self.explainer = CellExplainer(self, self.state, self.drawer)
        self._no_weights = False
        self.set_reactive(Inspector.color_mode, color_mode or detect_color_mode())

    def compose(self) -> ComposeResult:
        yield from InspectorParts.compose(self.color_mode)

    def on_mount(self) -> None:
        # The kernels area keeps its height while a layer's kernels refresh (no re-layout
        # per training step); another layer's kernels fit it anew (set_kernels).
        self.query_one("#kernels", HeatmapGrid).keep_height = True
        self.query_one("#activations", HeatmapGrid).model.fill = True
        self.drawer.everything(self.state)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        self.set_class(self.size.height < SHORT, "-short")
        self._show_no_weights(self._no_weights, force=True)

    def _show_no_weights(self, no_weights: bool, force: bool = False) -> None:
        """A layer without kernels: its story takes the kernels' place (on a short screen the
        maps' place too). Inline display toggles on the few widgets that change: a class on
        the inspector would restyle its whole subtree at every such key (tens of ms)."""
        if (no_weights == self._no_weights and not force) or not self.is_mounted:
            self._no_weights = no_weights
            return
        self._no_weights = no_weights
        hide_maps = no_weights and self.size.height < SHORT
        hidden_when = {"#kernels": no_weights, "#kernels-scale": no_weights,
                       "#activations": hide_maps, "#activations-scale": hide_maps}  # fmt: skip
        for name, hidden in hidden_when.items():
            inline(self.query_one(name), "display", "none" if hidden else None)
        self.query_one(LayerStoryView).set_full(no_weights)

    # -- data from the app ------------------------------------------------------------------
    def set_model(
        self, info: dict[str, Any], summary: dict[str, Any], classes: list[str] | None = None
    ) -> None:
        """A new model: forget the layer, kernels, maps and sample of the previous one."""
        self.state.set_model(info, summary, classes)
        self.explainer.leave()
        self.set_reactive(Inspector.channel, 0)
        if self.is_mounted:
            self.query_one("#kernels", HeatmapGrid).release_height()
        self.drawer.everything(self.state)

    def set_layer(self, row: dict[str, Any]) -> None:
        """Select the layer (a summary row); its kernels and maps come with set_kernels etc."""
        same = self.state.set_layer(row)
        if not same:
            self.set_reactive(Inspector.channel, 0)
            self._show_no_weights(not self.state.has_weights)
            self.explainer.leave()
        self.drawer.title(self.state)  # the sample panel does not depend on the layer
        if same or not self.drawer.kernels_loading(self.state):
            self.drawer.kernels(self.state, keep_page=same)
        self.drawer.activations(self.state, keep_page=same)
        if not same:
            self.drawer.story(self.state)

    def set_story(self, payload: dict[str, Any] | None) -> None:
        """The layer's ``layer_story`` reply (one for another layer is ignored)."""
        if payload is None or payload.get("layer") == self.state.layer_name:
            self.state.story = payload
            self.drawer.story(self.state)

    def set_kernels(self, payload: dict[str, Any] | None) -> None:
        """The layer's ``kernels`` reply, or None when it has no weights."""
        same = self.state.set_kernels(payload)
        # Another layer with kernels: the kernels area fits it anew. A layer without (ReLU,
        # pooling) keeps the area as it is: its note needs no room, and a layout repaints the
        # whole screen, which walking through the layers would pay at every key.
        if not same and payload is not None and self.is_mounted:
            self.query_one("#kernels", HeatmapGrid).release_height()
        self._show_no_weights(payload is None)
        self.drawer.kernels(self.state, keep_page=same)
        self.drawer.title(self.state)

    def set_activations(self, payload: dict[str, Any] | None) -> None:
        """The layer's ``activations`` reply for the current sample (None clears)."""
        same = self.state.set_activations(payload)
        if not self.many:
            self.drawer.activations(self.state, keep_page=same)

    def set_sample(self, payload: dict[str, Any]) -> None:
        """The ``sample`` reply: input image, label, prediction and probabilities."""
        self.state.sample = payload
        self.drawer.sample(self.state)

    def set_many(self, payload: dict[str, Any] | None) -> None:
        """The ``activations_many`` reply: one row per digit in the several-digits view."""
        self.state.many_payload = payload
        if self.many:
            self.drawer.activations(self.state)

    def set_message(self, text: str) -> None:
        """A one-line note above the maps ("loading…", an error); "" hides it."""
        self.state.message = text
        self.drawer.message(text)

    def set_color_mode(self, mode: str) -> None:
        self.color_mode = mode

    # -- actions ----------------------------------------------------------------------------
    def next_page(self) -> bool:
        """Next page of the feature maps (or several digits' maps); False on the last."""
        return self.drawer.page("maps", 1, self.state)

    def previous_page(self) -> bool:
        return self.drawer.page("maps", -1, self.state)

    def next_kernels_page(self) -> bool:
        """Next page of the kernels; False on the last (or with no kernels in view)."""
        return self.drawer.page("kernels", 1, self.state)

    def previous_kernels_page(self) -> bool:
        return self.drawer.page("kernels", -1, self.state)

    def toggle_scale(self) -> None:
        self.shared_scale = not self.shared_scale

    def next_channel(self) -> None:
        self._step_channel(1)

    def previous_channel(self) -> None:
        self._step_channel(-1)

    def _step_channel(self, step: int) -> None:
        if self.explaining:  # ] and [ pick the explained feature map instead
            self.explainer.step(step, 0, 0)
            return
        if step_story_channel(self.state, step):  # a layer without kernels: its maps
            return self.drawer.story(self.state)
        self.mean_channels = False
        channel = self.state.stepped_channel(step)
        if channel is not None:
            self.channel = channel

    def toggle_mean(self) -> None:
        self.mean_channels = not self.mean_channels

    def toggle_many(self) -> None:
        self.many = not self.many

    # -- explain mode -----------------------------------------------------------------------
    def toggle_explain(self) -> None:
        self.explainer.toggle()

    def explain_request(self) -> dict[str, Any]:
        """The ``explain`` kwargs (without the sample index) for the cell; {} when off."""
        return self.explainer.request()

    def set_explanation(self, payload: dict[str, Any] | None) -> None:
        """The ``explain`` reply for the current cell (None clears)."""
        self.explainer.set_explanation(payload)

    @property
    def explaining(self) -> bool:
        return self.state.explain.explaining

    input_channels = state_attribute("input_channels", "Input channels of the kernels.")
    layer_name = state_attribute("layer_name", "The selected layer's name, or None.")

    # -- watchers ---------------------------------------------------------------------------
    def watch_shared_scale(self, shared: bool) -> None:
        self.state.shared_scale = shared
        self.drawer.maps(self.state)

    def _kernel_setting_changed(self) -> None:
        self.state.channel, self.state.mean_channels = self.channel, self.mean_channels
        self.drawer.kernels(self.state, keep_page=True)

    watch_channel = watch_mean_channels = _kernel_setting_changed

    def watch_many(self, enabled: bool) -> None:
        self.set_class(enabled, "-many")
        self.state.set_many(enabled)
        self.drawer.activations(self.state)
        self.post_message(self.ManyToggled(self, self.layer_name, enabled))

    def watch_color_mode(self, mode: str) -> None:
        if self.is_mounted:
            self.query_one(SamplePanel).color_mode = mode
            for widget in self.query("HeatmapGrid, ColorBar, Probabilities"):
                widget.color_mode = mode  # type: ignore[attr-defined]


def _cell_move(name: str, move: tuple[int, ...]) -> Any:
    def act(inspector: Inspector) -> None:
        if len(move) == 1:  # another input channel's products
            inspector.explainer.step_input(move[0])
        else:  # (map, row, column) steps of the explained cell
            inspector.explainer.step(*move)

    act.__name__ = act.__qualname__ = name
    return act


# The explain-mode moves (cell_left ... previous_input) as methods, from CELL_MOVES.
for _name, _move in CELL_MOVES.items():
    setattr(Inspector, _name, _cell_move(_name, _move))

# Every inspector key's action is also a plain method of the same name (the main screen calls
# those, e.g. ``inspector.next_page()``).
for _keys, _action, _description in INSPECTOR_KEYS:
    setattr(Inspector, f"action_{_action}", getattr(Inspector, _action))
