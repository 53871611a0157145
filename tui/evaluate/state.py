"""The Evaluate tab's state: the evaluation, the gallery's cell and page, the explained digit
and the activation maximisation, and what to ask the engine next (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.class_names import are_digits
from tui.evaluate import views
from tui.evaluate.actmax_state import ActMaxState, actmax_export

DIGIT_OPS = ("saliency", "gradcam", "occlusion")
Request = tuple[str, str, dict[str, Any]]  # (kind, op, kwargs): the pane asks "evaluate.<kind>"


@dataclass
class Step:
    """What a key leads to: the view to show (None: stay), the engine requests to send, and
    whether to draw the picture view again afterwards."""

    view: str | None = None
    requests: list[Request] = field(default_factory=list)
    draw: bool = False


class EvaluateState:
    """Everything the Evaluate tab shows apart from which view is on (the widget's ``view``).

    Methods taking ``view`` change what that view shows; ``*_requests`` build the engine
    requests (op and kwargs) for the current selection."""

    def __init__(self) -> None:
        self.evaluation: dict[str, Any] | None = None
        self.class_names: list[str] | None = None  # the model's (None: the class indices)
        self.cell: tuple[int | None, int | None] = (None, None)  # the gallery's (true, pred)
        self.gallery: dict[str, Any] | None = None
        self.gallery_page = 0
        self.selected = 0  # position on the gallery page
        self.digit_index: int | None = None
        self.digit_label: int | None = None  # its true class (for v: explain the true class)
        self.digit: dict[str, dict[str, Any]] = {}  # op -> payload for digit_index
        self.gradcam_layer: str | None = None
        self.gradcam_layers: list[str] = []  # the layers Grad-CAM offers (rectified outputs)
        self.conv_layers: list[str] = []  # ... and activation maximisation (conv layers)
        self.overlay_method = "saliency"  # the method shown when only one fits (m: next)
        self.actmax = ActMaxState()  # the act-max grid (tui.evaluate.actmax_state)
        self.came_from = "matrix"  # where escape goes from the digit view
        self.actmax_from = "matrix"  # ... and from the act-max view
        self.status = ""
        self.status_is_error = False
        self.exported: list[str] = []

    # -- replies ----------------------------------------------------------------------------
    def set_status(self, text: str, error: bool = False) -> bool:
        """The line under the summary; False (kept) when a problem would be hidden by a hint."""
        if self.status_is_error and not error and text:
            return False
        self.status, self.status_is_error = text, error
        return True

    def got_gallery(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> bool:
        """A ``gallery`` reply; False for an answer about a cell left since."""
        if (kwargs.get("true"), kwargs.get("pred")) != self.cell:
            return False
        self.gallery, self.gallery_page = payload, int(payload.get("page", 0))
        self.selected = min(self.selected, max(0, len(payload.get("items", [])) - 1))
        return True

    def got_digit_part(self, op: str, payload: dict[str, Any]) -> bool:
        """A saliency, Grad-CAM or occlusion reply; False when for another digit."""
        if payload.get("index") != self.digit_index:
            return False
        self.digit[op] = payload
        if op == "gradcam":
            self.gradcam_layers = list(payload.get("layers") or [])
            self.conv_layers = list(payload.get("convs") or self.conv_layers)
            self.gradcam_layer = payload.get("layer")
        return True

    def got_actmax(self, payload: dict[str, Any], kwargs: dict[str, Any], view: str) -> Step:
        """An ``actmax`` reply: kept; the next panel asked for while the view is in sight."""
        requests = self.actmax.got(payload, kwargs, asking=view == "actmax")
        return Step(requests=requests, draw=view == "actmax")

    @property
    def actmax_payload(self) -> dict[str, Any] | None:
        """The newest act-max reply for the grid's target, or None."""
        return self.actmax.latest

    # -- navigation -------------------------------------------------------------------------
    def back_from(self, view: str) -> str:
        """The view escape goes to from ``view``."""
        if view == "actmax":
            return self.actmax_from
        if view == "digit" and self.came_from == "gallery":
            return "gallery"
        return "matrix"

    def open_gallery(self, true: int | None, pred: int | None, per_page: int) -> Step:
        """The digits of a matrix cell (None: any class), from their first page."""
        self.cell, self.gallery, self.gallery_page, self.selected = (true, pred), None, 0, 0
        return Step("gallery", self.gallery_step(per_page).requests, draw=True)

    def explain(self, index: int, label: int | None, view: str) -> Step:
        """Explain test digit ``index`` (true class ``label``) in the digit view: each method
        for its true and its predicted class."""
        self.digit_index, self.digit_label, self.digit = index, label, {}
        return Step("digit", self.digit_requests(), draw=True)

    # -- keys -------------------------------------------------------------------------------
    def open_key(self, view: str, cursor: tuple[int, int], per_page: int) -> Step:
        """enter: the matrix cell's digits, or the selected digit explained."""
        if view == "matrix" and self.evaluation is not None:
            return self.open_gallery(*cursor, per_page)
        item = self.selected_item if view == "gallery" else None
        if item is None:
            return Step()
        self.came_from = "gallery"
        return self.explain(item["index"], item.get("label"), view)

    def page_key(self, view: str, step: int, per_page: int) -> Step:
        """n / p: the gallery's next or previous page."""
        if view == "gallery" and self.gallery and self.turn_page(step):
            return self.gallery_step(per_page)
        return Step()

    def layer_key(self, view: str) -> Step:
        """g: the next conv layer for Grad-CAM (digit view) or activation maximisation."""
        if view == "digit" and self.digit_index is not None and self.gradcam_layers:
            self.next_gradcam_layer()
            self.overlay_method = "gradcam"  # show what g changes, also where one method fits
            return Step(requests=self.digit_requests(("gradcam",)), draw=True)
        if view == "actmax":  # classes, then each conv layer's channels
            return Step(requests=self.actmax.next_target(), draw=True)
        return Step()

    def method_key(self, view: str) -> Step:
        """m: the next attribution method (where the pane has room for one at a time)."""
        if view != "digit" or self.digit_index is None:
            return Step()
        self.overlay_method = views.next_item(list(DIGIT_OPS), self.overlay_method)
        return Step(draw=True)

    def actmax_key(self, view: str) -> Step:
        """a: the act-max view (escape goes back to ``view``)."""
        if view == "actmax":
            return Step()
        self.actmax_from = view
        return Step("actmax", self.actmax.restart(self.evaluation), draw=True)

    def channel_key(self, view: str, step: int) -> Step:
        """[ / ]: the act-max grid's previous or next page (when its panels overflow)."""
        if view != "actmax":
            return Step()
        self.actmax.page = max(0, self.actmax.page + step)  # the grid's page when it overflows
        return Step(draw=True)

    def move_selection(self, step: int) -> None:
        count = len((self.gallery or {}).get("items", []))
        self.selected = min(max(self.selected + step, 0), max(count - 1, 0))

    def turn_page(self, step: int) -> bool:
        """The gallery's page ``step`` away (clamped); False when it stays the same."""
        pages = (self.gallery or {}).get("pages", 1)
        page = min(max(self.gallery_page + step, 0), pages - 1)
        if page == self.gallery_page:
            return False
        self.gallery_page, self.selected = page, 0
        return True

    def next_gradcam_layer(self) -> None:
        self.gradcam_layer = views.next_item(self.gradcam_layers, self.gradcam_layer)
        self.digit.pop("gradcam", None)

    @property
    def selected_item(self) -> dict[str, Any] | None:
        items = (self.gallery or {}).get("items") or []
        return items[self.selected] if 0 <= self.selected < len(items) else None

    def current_index(self, view: str) -> int | None:
        """The test digit shown in ``view`` (the explained or the selected one), if any."""
        if view == "digit":
            return self.digit_index
        item = self.selected_item if view == "gallery" else None
        return None if item is None else int(item["index"])

    # -- requests ---------------------------------------------------------------------------
    def digit_requests(self, ops: tuple[str, ...] = DIGIT_OPS) -> list[Request]:
        """Saliency, Grad-CAM and occlusion of the digit (the ``attribute`` op: each for the
        true and the predicted class), asked as kinds "saliency", "gradcam", "occlusion"."""
        requests: list[Request] = []
        for op in ops:
            extra = {"layer": self.gradcam_layer} if op == "gradcam" else {}
            kwargs = {"index": self.digit_index, "method": op, **extra}
            requests.append((op, "attribute", kwargs))
        return requests

    def gallery_step(self, per_page: int) -> Step:
        """Ask for the gallery's page (``per_page`` digits) and show it."""
        true, pred = self.cell
        kwargs = {"true": true, "pred": pred, "page": self.gallery_page, "per_page": per_page}
        return Step(requests=[("gallery", "gallery", kwargs)], draw=True)

    def export_parts(self, view: str, subject: str = "") -> tuple[str, dict[str, Any]] | None:
        """The export of ``view``: (name, export op keyword arguments), or None; ``subject``
        (model and run) titles the confusion matrix."""
        if view == "matrix" and self.evaluation:
            return "confusion", views.matrix_export(self.evaluation, subject, self.class_names)
        if view == "gallery" and self.gallery and self.gallery.get("items"):
            return "gallery", views.gallery_export(self.gallery, self.class_names)
        if view == "digit" and len(self.digit) == len(DIGIT_OPS):
            what = "digit" if are_digits(self.digit["saliency"].get("classes")) else "image"
            return f"{what}-{self.digit_index}", views.digit_export(self.digit)
        if view == "actmax" and self.actmax.panels:
            return actmax_export(self.actmax, subject)
        return None
