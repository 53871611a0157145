"""What the Evaluate tab's picture views show: the digit, gallery and act-max maps."""

from __future__ import annotations

from tui.evaluate import views
from tui.evaluate.state import DIGIT_OPS, EvaluateState
from tui.widgets.fit_line import Wording
from tui.widgets.heatmap import HeatmapGrid

Hint = tuple[Wording, ...]  # a status-line text's wordings, longest first


class EvaluateDrawer:
    """Fills the pane's HeatmapGrid for a picture view from an :class:`EvaluateState`."""

    def __init__(self, maps: HeatmapGrid) -> None:
        self.maps = maps

    def draw(self, view: str, state: EvaluateState, ascii_mode: bool) -> Hint | None:
        """Draw ``view``; returns the hint for the status line (None: keep the status): its
        wordings, longest first."""
        maps = self.maps
        maps.model.show_titles = True
        maps.set_highlight(None)
        if view == "gallery":
            self._gallery(state)
        elif view == "digit":
            return self._digit(state, ascii_mode)
        elif view == "actmax":
            self._actmax(state)
        return None

    def _digit(self, state: EvaluateState, ascii_mode: bool) -> Hint | None:
        first = next(iter(state.digit.values()), None)
        if first is None:
            self.maps.clear("explaining…", caption=f"digit #{state.digit_index}")
            return None
        parts = [state.digit.get(op) for op in DIGIT_OPS]
        images, titles = views.digit_views(first, *parts, ascii_mode=ascii_mode)
        target = first.get("target")
        caption = f"{views.digit_title(first)} · why class {target}"
        self.maps.set_maps(images, titles=titles, rgb=True, caption=caption)
        note = views.gradcam_note(state.digit.get("gradcam"))
        return (note,) if note else views.digit_help(target)

    def _gallery(self, state: EvaluateState) -> None:
        gallery = state.gallery
        if not gallery:
            self.maps.clear("loading…")
            return
        if not gallery.get("items"):
            self.maps.clear("no digits here", caption=views.gallery_caption(gallery))
            return
        images, titles = views.gallery_maps(gallery)
        caption = views.gallery_caption(gallery)
        self.maps.set_maps(images, titles=titles, cmap="gray", caption=caption)
        self.maps.set_highlight(state.selected, (0, 0, images.shape[1], images.shape[2]))

    def _actmax(self, state: EvaluateState) -> None:
        payload = state.actmax_payload
        if payload is None:
            self.maps.clear("optimising an input…", caption="activation maximisation")
            return
        image = views.scaled(payload["image"])[None]
        self.maps.set_maps(image, titles=[""], caption=views.actmax_caption(payload))
