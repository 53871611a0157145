"""The Evaluate tab: where the network fails and why (numpy only; data from the engine child).

Four views in one focusable widget, ``EvaluatePane``:

- **matrix**: test loss and accuracy, per-class accuracy and the 10x10 confusion matrix with a
  cell cursor (arrows or h/j/k/l); enter opens the cell's digits, w every misclassified one;
- **gallery**: those digits as thumbnails titled "#index true→pred confidence", paged with
  n/p; enter explains the selected digit, i shows it in the layer inspector;
- **digit**: the digit, its saliency and Grad-CAM overlaid on it, and occlusion sensitivity;
  g picks the Grad-CAM layer, v explains the true class instead of the prediction;
- **actmax**: activation maximisation of a conv channel; [ and ] change the channel, g the
  layer.

Escape goes back, u evaluates again (after more training), x exports the view (PNG and CSV
into the run directory). Requests go through the app's ``Link`` with purposes
``evaluate.<kind>``; the main screen hands their replies to :meth:`EvaluatePane.engine_reply`.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from engine.process.protocol import Reply
from tui.evaluate.drawing import DIGIT_OPS, EvaluateDrawing
from tui.evaluate import views
from tui.evaluate.views import ConfusionMatrix
from tui.widgets.heatmap import HeatmapGrid, detect_color_mode

PREFIX = "evaluate."
EVALUATING = "Evaluating on the test split…"


class EvaluatePane(EvaluateDrawing, Widget, can_focus=True):
    """Evaluation and interpretation of the loaded model; see the module docstring."""

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
    """

    BINDINGS = [
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
        Binding("v", "target", "True/pred class", show=False),
        Binding("a", "actmax", "Act-max"),
        Binding("right_square_bracket", "channel(1)", "Next channel", show=False),
        Binding("left_square_bracket", "channel(-1)", "Previous channel", show=False),
        Binding("u", "refresh", "Update", show=False),
        Binding("x", "export", "Export"),
    ]

    view: reactive[str] = reactive("matrix", init=False)
    color_mode: reactive[str] = reactive("256", init=False)

    class ShowInInspector(Message):
        """Show test digit ``index`` in the layer inspector (the main screen routes it)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, color_mode: str | None = None, **widget_options: Any) -> None:
        super().__init__(**widget_options)  # name, id, classes
        self.set_reactive(EvaluatePane.color_mode, color_mode or detect_color_mode())
        self.evaluation: dict[str, Any] | None = None
        self.cell: tuple[int | None, int | None] = (None, None)  # the gallery's (true, pred)
        self.gallery: dict[str, Any] | None = None
        self.gallery_page = 0
        self.selected = 0  # position on the gallery page
        self.digit_index: int | None = None
        self.digit_label: int | None = None  # its true class (for v: explain the true class)
        self.digit: dict[str, dict[str, Any]] = {}  # op -> payload for digit_index
        self.gradcam_layer: str | None = None
        self.conv_layers: list[str] = []
        self.explain_true = False  # explain the true class instead of the prediction
        self.actmax_layer: str | None = None
        self.actmax_channel = 0
        self.actmax_payload: dict[str, Any] | None = None
        self.came_from = "matrix"  # where escape goes from the digit view
        self.actmax_from = "matrix"  # ... and from the act-max view
        self.status = ""
        self.status_is_error = False
        self.exported: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(views.summary_text(None), id="eval-summary", markup=False)
        yield Static("", id="eval-status", markup=False)
        with Horizontal(id="eval-body"):
            yield ConfusionMatrix(id="eval-matrix", color_mode=self.color_mode)
            yield Static("", id="eval-cell", markup=False)
        yield HeatmapGrid(id="eval-maps", color_mode=self.color_mode)
        yield Static(views.KEY_HELP["matrix"], id="eval-keys", markup=False)

    def on_show(self) -> None:
        """Evaluate whenever the tab is shown: the engine caches the result per weights, so
        this is instant unless the model was trained or replaced since."""
        self.action_refresh()

    # ------------------------------------------------------------------- requests

    def ask(self, kind: str, op: str, **kwargs: Any) -> None:
        """Ask the engine (only the newest ask of a kind waits behind one in flight)."""
        link = getattr(self.app, "link", None)
        if link is None or getattr(link, "proc", None) is None:
            self.set_status("The engine is not running yet.")
            return
        link.want(PREFIX + kind, op, **kwargs)

    def engine_reply(self, purpose: str, reply: Reply, kwargs: dict[str, Any]) -> None:
        """A reply to one of this pane's requests (called by the main screen)."""
        kind = purpose[len(PREFIX) :]
        if not reply.ok:
            self.set_status(reply.error or f"{kind} failed", error=True)
            return
        if kind in DIGIT_OPS:
            self._got_digit_part(kind, reply.payload or {})
        elif (handler := getattr(self, f"got_{kind}", None)) is not None:
            handler(reply.payload or {}, kwargs)

    def set_status(self, text: str, error: bool = False) -> None:
        """The line under the summary: a problem (kept until the view changes) or a hint."""
        if self.status_is_error and not error and text:
            return
        self.status, self.status_is_error = text, error
        if self.is_mounted:
            self.query_one("#eval-status", Static).update(text)

    # -------------------------------------------------------------------- replies

    def got_evaluate(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.evaluation = payload
        self.query_one("#eval-summary", Static).update(views.summary_text(payload))
        self.query_one(ConfusionMatrix).set_data(payload["confusion"], payload["per_class"])
        if self.status == EVALUATING:
            self.set_status("")
        self._show_cell()

    def got_gallery(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if (kwargs.get("true"), kwargs.get("pred")) != self.cell:
            return  # an answer for a cell left since
        self.gallery, self.gallery_page = payload, int(payload.get("page", 0))
        self.selected = min(self.selected, max(0, len(payload.get("items", [])) - 1))
        if self.view == "gallery":
            self._draw()

    def _got_digit_part(self, op: str, payload: dict[str, Any]) -> None:
        if payload.get("index") != self.digit_index:
            return
        self.digit[op] = payload
        if op == "gradcam":
            self.conv_layers = list(payload.get("layers") or [])
            self.gradcam_layer = payload.get("layer")
        if self.view == "digit":
            self._draw()

    def got_actmax(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.actmax_payload = payload
        self.actmax_layer, self.actmax_channel = payload["layer"], int(payload["channel"])
        self.conv_layers = list(payload.get("layers") or self.conv_layers)
        if self.view == "actmax":
            self._draw()

    def got_export(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.exported = list(payload.get("paths", []))
        where = payload.get("folder", "")
        self.set_status(f"Exported {len(self.exported)} file(s) to {where}")
        self.notify(
            f"Exported {len(self.exported)} file(s) to {where}", title="Exported", timeout=6
        )

    # -------------------------------------------------------------------- actions

    def action_refresh(self) -> None:
        if self.view == "matrix":  # other views keep their own hints on the status line
            self.status_is_error = False
            self.set_status(EVALUATING)
        self.ask("evaluate", "evaluate")

    def action_move(self, rows: int, cols: int) -> None:
        if self.view == "matrix":
            self.query_one(ConfusionMatrix).move(rows, cols)
            self._show_cell()
        elif self.view == "gallery" and self.gallery:
            count = len(self.gallery.get("items", []))
            step = cols + rows * max(1, self.query_one(HeatmapGrid).layout_info.cols)
            self.selected = min(max(self.selected + step, 0), max(count - 1, 0))
            self._draw()

    def action_open(self) -> None:
        if self.view == "matrix":
            if self.evaluation is None:
                return
            self.open_gallery(*self.query_one(ConfusionMatrix).cursor)
        elif self.view == "gallery":
            item = self.selected_item
            if item is not None:
                self.came_from = "gallery"
                self.explain(item["index"], item.get("label"))

    def action_mistakes(self) -> None:
        self.open_gallery(None, None)

    def action_back(self) -> None:
        if self.view == "actmax":
            self.view = self.actmax_from
        elif self.view == "digit" and self.came_from == "gallery":
            self.view = "gallery"
        elif self.view != "matrix":
            self.view = "matrix"

    def action_page(self, step: int) -> None:
        if self.view == "gallery" and self.gallery:
            page = min(max(self.gallery_page + step, 0), self.gallery.get("pages", 1) - 1)
            if page != self.gallery_page:
                self.gallery_page, self.selected = page, 0
                self._ask_gallery()

    def action_inspect(self) -> None:
        index = self.current_index
        if index is not None:
            self.post_message(self.ShowInInspector(index))

    def action_layer(self) -> None:
        if not self.conv_layers:
            return
        if self.view == "digit" and self.digit_index is not None:
            self.gradcam_layer = views.next_item(self.conv_layers, self.gradcam_layer)
            self.digit.pop("gradcam", None)
            self._ask_digit(("gradcam",))
        elif self.view == "actmax":
            self.actmax_layer, self.actmax_channel = (
                views.next_item(self.conv_layers, self.actmax_layer),
                0,
            )
            self._ask_actmax()

    def action_target(self) -> None:
        if self.view == "digit" and self.digit_index is not None:
            self.explain_true = not self.explain_true
            self.explain(self.digit_index, self.digit_label)

    def action_actmax(self) -> None:
        if self.view != "actmax":
            self.actmax_from, self.view = self.view, "actmax"
            self._ask_actmax()

    def action_channel(self, step: int) -> None:
        if self.view == "actmax":
            channels = int((self.actmax_payload or {}).get("channels") or 1)
            self.actmax_channel = (self.actmax_channel + step) % channels
            self._ask_actmax()

    def action_export(self) -> None:
        parts = self.export_parts()
        if parts is None:
            self.set_status("Nothing to export yet.")
            return
        name, kwargs = parts
        self.ask(
            "export", "export", name=name, fallback_dir=views.export_folder(self.app), **kwargs
        )

    # ------------------------------------------------------------------ navigation

    def open_gallery(self, true: int | None, pred: int | None) -> None:
        self.cell, self.gallery, self.gallery_page, self.selected = (true, pred), None, 0, 0
        self.view = "gallery"
        self._ask_gallery()

    def explain(self, index: int, label: int | None) -> None:
        """The digit view for test digit ``index`` (true class ``label``): saliency, Grad-CAM
        and occlusion."""
        if index != self.digit_index:
            self.explain_true = False if self.view != "digit" else self.explain_true
        self.digit_index, self.digit_label, self.digit = index, label, {}
        self.view = "digit"
        self._ask_digit(DIGIT_OPS)
        self._draw()

    def _ask_gallery(self) -> None:
        width, height = self.content_size  # the grid gets all but three lines of it
        per_page = views.thumbnails_per_page(width, height - 3) if width else 12
        true, pred = self.cell
        self.ask(
            "gallery", "gallery", true=true, pred=pred, page=self.gallery_page, per_page=per_page
        )
        self._draw()

    def _ask_digit(self, ops: tuple[str, ...]) -> None:
        target = self.digit_label if self.explain_true else None
        for op in ops:
            extra = {"layer": self.gradcam_layer} if op == "gradcam" else {}
            self.ask(op, op, index=self.digit_index, target=target, **extra)

    def _ask_actmax(self) -> None:
        self.actmax_payload = None if self.actmax_layer is None else self.actmax_payload
        self.ask("actmax", "actmax", layer=self.actmax_layer, channel=self.actmax_channel)
        self._draw()

    @property
    def selected_item(self) -> dict[str, Any] | None:
        items = (self.gallery or {}).get("items") or []
        return items[self.selected] if 0 <= self.selected < len(items) else None

    @property
    def current_index(self) -> int | None:
        if self.view == "digit":
            return self.digit_index
        item = self.selected_item if self.view == "gallery" else None
        return None if item is None else int(item["index"])

    # --------------------------------------------------------------------- drawing

    def watch_view(self, view: str) -> None:
        self.set_class(view != "matrix", "-pictures")
        self.status_is_error = False
        self.set_status("")
        self.query_one("#eval-keys", Static).update(views.KEY_HELP[view])
        self._draw()

    def watch_color_mode(self, mode: str) -> None:
        for widget in self.query("HeatmapGrid, ConfusionMatrix"):
            widget.color_mode = mode  # type: ignore[attr-defined]

    def _show_cell(self) -> None:
        matrix = self.query_one(ConfusionMatrix)
        self.query_one("#eval-cell", Static).update(views.cell_text(*matrix.cursor, matrix.count))
