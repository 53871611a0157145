"""The Evaluate tab: where the network fails and why (numpy only; data from the engine child).

Four views in one focusable widget, ``EvaluatePane``:

- **matrix**: test loss and accuracy, per-class accuracy and the 10x10 confusion matrix with a
  cell cursor (arrows or h/j/k/l); enter opens the cell's digits, w every misclassified one;
- **gallery**: those digits as thumbnails titled "#index true→pred confidence", paged with
  n/p; enter explains the selected digit, i shows it in the layer inspector;
- **digit**: saliency, Grad-CAM and occlusion overlaid on the digit for its true and predicted
  class, with colour bars (``tui.evaluate.overlays``); m the next method where one fits, g
  picks the Grad-CAM layer;
- **actmax**: activation maximisation of every class (or every channel of a conv layer, g) as
  a grid with a colour bar (``tui.evaluate.actmax_view``); [ and ] page it.

Escape goes back, u evaluates again (after more training), x exports the view (PNG and CSV
into the run directory). Requests go through the ``EngineService`` the pane is given, with
purposes ``evaluate.<kind>``; the main screen posts their answers to the pane.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from engine.process.protocol import Reply
from tui.class_names import app_class_names
from tui.engine_service import EngineAnswer, EngineService
from tui.evaluate import views
from tui.evaluate.actmax_view import ActMaxView
from tui.evaluate.drawing import EvaluateDrawer, Hint
from tui.evaluate.matrix import MatrixPanel, summary_parts, summary_text
from tui.evaluate.overlays import AttributionOverlays
from tui.evaluate.state import DIGIT_OPS, EvaluateState, Step
from tui.widgets.delegate import state_attribute
from tui.widgets.fit_line import FitLine, joined
from tui.widgets.heatmap import HeatmapGrid, detect_color_mode

PREFIX = "evaluate."
EVALUATING = "Evaluating on the test split…"


# The tab's keys (its footer and the ? screen show them while the tab is in view).
EVALUATE_BINDINGS = [
    Binding("up,k", "move(-1,0)", "Up", show=False),
    Binding("down,j", "move(1,0)", "Down", show=False),
    Binding("left,h", "move(0,-1)", "Left", show=False),
    Binding("right,l", "move(0,1)", "Right", show=False),
    Binding("enter", "open", "Open"),
    Binding("escape,backspace", "back", "Back"),
    Binding("w", "mistakes", "Mistakes"),
    Binding("n,pagedown", "page(1)", "Next page", show=False),
    Binding("p,pageup", "page(-1)", "Previous page", show=False),
    Binding("i", "inspect", "Inspector"),
    Binding("g", "layer", "Layer", show=False),
    Binding("m", "method", "Method", show=False),
    Binding("a", "actmax", "Act-max"),
    Binding("right_square_bracket", "channel(1)", "Act-max next page", show=False),
    Binding("left_square_bracket", "channel(-1)", "Act-max previous page", show=False),
    Binding("u", "refresh", "Update", show=False),
    Binding("x", "export", "Export"),
]


class ShowInInspector(Message, namespace="evaluate_pane"):
    """Show test digit ``index`` in the layer inspector (``EvaluatePane.ShowInInspector``; the
    main screen routes it in ``on_evaluate_pane_show_in_inspector``)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class EvaluatePane(Widget, can_focus=True):
    """Evaluation and interpretation of the loaded model; see the module docstring.

    What the views show lives in ``state`` (:class:`EvaluateState`); the pane holds the view
    and colour mode, binds the keys, asks the engine and draws (``EvaluateDrawer``)."""

    DEFAULT_CSS = """
    EvaluatePane { layout: vertical; height: 1fr; width: 1fr; padding: 0 1; }
    EvaluatePane > #eval-summary { height: 1; text-style: bold; }
    EvaluatePane > #eval-status { height: 1; color: $text-muted; }
    EvaluatePane > #eval-body { height: 1fr; }
    EvaluatePane #eval-cell { width: 1fr; padding-left: 2; }
    EvaluatePane > #eval-maps { height: 1fr; display: none; }
    EvaluatePane > #eval-keys { height: 1; color: $text-muted; }
    EvaluatePane.-pictures > #eval-body { display: none; }
    EvaluatePane.-pictures > #eval-maps { display: block; }
    EvaluatePane > #eval-overlays, EvaluatePane.-overlays > #eval-maps { display: none; }
    EvaluatePane.-overlays > #eval-overlays { display: block; }
    """

    BINDINGS = EVALUATE_BINDINGS

    view: reactive[str] = reactive("matrix", init=False)
    color_mode: reactive[str] = reactive("256", init=False)

    evaluation = state_attribute("evaluation", "The ``evaluate`` reply, or None.")
    gallery = state_attribute("gallery", "The ``gallery`` reply of the open cell, or None.")
    selected = state_attribute("selected", "Position of the selected digit on the page.")
    digit_index = state_attribute("digit_index", "The explained test digit, or None.")
    digit = state_attribute("digit", "The explained digit's replies (op -> payload).")
    gradcam_layer = state_attribute("gradcam_layer", "The Grad-CAM layer, or None.")
    actmax_payload = state_attribute("actmax_payload", "The ``actmax`` reply, or None.")
    status = state_attribute("status", "The status line under the summary.")
    exported = state_attribute("exported", "Paths of the last export's files.")

    ShowInInspector = ShowInInspector

    def __init__(
        self,
        *,
        engine: EngineService | None = None,
        color_mode: str | None = None,
        **widget_options: Any,
    ) -> None:
        super().__init__(**widget_options)  # name, id, classes
        self.engine = engine  # None: no engine (the pane says so when asked to evaluate)
        self.set_reactive(EvaluatePane.color_mode, color_mode or detect_color_mode())
        self.state = EvaluateState()

    def compose(self) -> ComposeResult:
        yield FitLine(summary_text(None), id="eval-summary", markup=False)
        yield FitLine("", id="eval-status", markup=False)
        yield MatrixPanel(id="eval-body", color_mode=self.color_mode)
        yield HeatmapGrid(id="eval-maps", color_mode=self.color_mode)
        yield AttributionOverlays(id="eval-overlays")
        yield ActMaxView(id="eval-actmax", color_mode=self.color_mode)
        yield FitLine(views.key_parts("matrix"), id="eval-keys", markup=False)

    def on_show(self) -> None:
        """Evaluate whenever the tab is shown: the engine caches the result per weights, so
        this is instant unless the model was trained or replaced since."""
        self.action_refresh()

    # ------------------------------------------------------------------- requests
    def ask(self, kind: str, op: str, **kwargs: Any) -> None:
        """Ask the engine (only the newest ask of a kind waits behind one in flight)."""
        if self.engine is None or not self.engine.running:
            self.set_status("The engine is not running yet.")
            return
        self.engine.want(PREFIX + kind, op, **kwargs)

    def on_engine_answer(self, message: EngineAnswer) -> None:
        self.engine_reply(message.purpose, message.reply, message.kwargs)

    def engine_reply(self, purpose: str, reply: Reply, kwargs: dict[str, Any]) -> None:
        """A reply to one of this pane's requests (the main screen posts it here)."""
        kind = purpose[len(PREFIX) :]
        if not reply.ok:
            self.set_status(reply.error or f"{kind} failed", error=True)
            return
        if kind in DIGIT_OPS:
            self._got_digit_part(kind, reply.payload or {})
        elif (handler := getattr(self, f"got_{kind}", None)) is not None:
            handler(reply.payload or {}, kwargs)

    def set_status(self, text: str | Hint, error: bool = False) -> None:
        """The status line: a problem (kept until the view changes), a hint or its wordings."""
        wordings = (text,) if isinstance(text, str) else text
        if self.state.set_status(joined(wordings[0]), error) and self.is_mounted:
            self.query_one("#eval-status", FitLine).set_wordings(*wordings)

    # -------------------------------------------------------------------- replies
    def got_evaluate(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.state.evaluation = payload
        names = self.state.class_names = self.state.actmax.class_names = app_class_names(self.app)
        self.query_one("#eval-summary", FitLine).set_wordings(summary_parts(payload, names))
        self.query_one(MatrixPanel).set_data(payload["confusion"], payload["per_class"], names)
        if self.state.status == EVALUATING:
            self.set_status("")

    def got_gallery(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if self.state.got_gallery(payload, kwargs) and self.view == "gallery":
            self._draw()

    def _got_digit_part(self, op: str, payload: dict[str, Any]) -> None:
        if self.state.got_digit_part(op, payload) and self.view == "digit":
            self._draw()

    def got_actmax(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self._apply(self.state.got_actmax(payload, kwargs, self.view))

    def got_export(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.state.exported = list(payload.get("paths", []))
        done = views.export_done(self.state.exported, payload.get("folder", ""))
        self.set_status(done)
        self.notify(done, title="Exported", timeout=6)

    # -------------------------------------------------------------------- actions
    def action_refresh(self) -> None:
        if self.view == "matrix":  # other views keep their own hints on the status line
            self.state.status_is_error = False
            self.set_status(EVALUATING)
        self.ask("evaluate", "evaluate")

    def action_move(self, rows: int, cols: int) -> None:
        if self.view == "matrix":
            self.query_one(MatrixPanel).move(rows, cols)
        elif self.view == "gallery" and self.state.gallery:
            per_row = max(1, self.query_one(HeatmapGrid).layout_info.cols)
            self.state.move_selection(cols + rows * per_row)
            self._draw()

    def action_open(self) -> None:
        cursor = self.query_one(MatrixPanel).cursor
        self._apply(self.state.open_key(self.view, cursor, self._per_page()))

    def action_mistakes(self) -> None:
        self.open_gallery(None, None)

    def action_back(self) -> None:
        self.view = self.state.back_from(self.view)

    def action_page(self, step: int) -> None:
        self._apply(self.state.page_key(self.view, step, self._per_page()))

    def action_inspect(self) -> None:
        index = self.state.current_index(self.view)
        if index is not None:
            self.post_message(self.ShowInInspector(index))

    def action_layer(self) -> None:
        self._apply(self.state.layer_key(self.view))

    def action_method(self) -> None:
        self._apply(self.state.method_key(self.view))

    def action_actmax(self) -> None:
        self._apply(self.state.actmax_key(self.view))

    def action_channel(self, step: int) -> None:
        self._apply(self.state.channel_key(self.view, step))

    def action_export(self) -> None:
        parts = self.state.export_parts(self.view, views.export_subject(self.app))
        if parts is None:
            self.set_status("Nothing to export yet.")
            return
        name, kwargs = parts
        folder = views.export_folder(self.app)
        self.ask("export", "export", name=name, fallback_dir=folder, **kwargs)

    # ------------------------------------------------------------------ navigation
    def open_gallery(self, true: int | None, pred: int | None) -> None:
        """The gallery of a matrix cell's digits (None: any class)."""
        self._apply(self.state.open_gallery(true, pred, self._per_page()))

    def explain(self, index: int, label: int | None) -> None:
        """The digit view for test digit ``index`` (true class ``label``): saliency, Grad-CAM
        and occlusion."""
        self._apply(self.state.explain(index, label, self.view))

    def _apply(self, step: Step) -> None:
        """Show the step's view, send its requests, then draw when it says so."""
        if step.view is not None:
            self.view = step.view
        for kind, op, kwargs in step.requests:
            self.ask(kind, op, **kwargs)
        if step.draw:
            self._draw()

    def _per_page(self) -> int:
        """Gallery digits that fit: the grid gets all but three lines of the pane."""
        width, height = self.content_size
        return views.thumbnails_per_page(width, height - 3) if width else 12

    # --------------------------------------------------------------------- drawing
    def watch_view(self, view: str) -> None:
        self.set_class(view != "matrix", "-pictures")
        self.set_class(view == "digit", "-overlays")
        self.set_class(view == "actmax", "-actmax")
        self.state.status_is_error = False
        self.set_status("")
        self.query_one("#eval-keys", FitLine).set_wordings(views.key_parts(view))
        self._draw()

    def watch_color_mode(self, mode: str) -> None:
        for widget in self.query("HeatmapGrid, ConfusionMatrix"):
            widget.color_mode = mode  # type: ignore[attr-defined]

    def _draw(self) -> None:
        if self.is_mounted and self.view == "digit":  # tui.evaluate.overlays
            self.set_status(self.query_one(AttributionOverlays).draw(self.state, self.color_mode))
        elif self.is_mounted and self.view == "actmax":
            self.set_status(self.query_one(ActMaxView).show(self.state.actmax, self.color_mode))
        elif self.is_mounted:
            drawer = EvaluateDrawer(self.query_one("#eval-maps", HeatmapGrid))
            hint = drawer.draw(self.view, self.state, self.color_mode == "ascii")
            if hint is not None:
                self.set_status(hint)
