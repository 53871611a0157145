"""What the Evaluate tab's picture views show: the gallery and act-max maps (the digit view
is ``tui.evaluate.overlays``)."""

from __future__ import annotations

from tui.evaluate import views
from tui.evaluate.state import EvaluateState
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
        return None

    def _gallery(self, state: EvaluateState) -> None:
        gallery = state.gallery
        if not gallery:
            self.maps.clear("loading…")
            return
        if not gallery.get("items"):
            caption = views.gallery_caption(gallery, state.class_names)
            self.maps.clear("nothing here", caption=caption)
            return
        names = state.class_names
        images, titles = views.gallery_maps(gallery, names)
        rgb = images.ndim == 4
        caption = views.gallery_caption(gallery, names)
        self.maps.set_maps(images, titles=titles, cmap="gray", caption=caption, rgb=rgb)
        self.maps.set_highlight(state.selected, (0, 0, images.shape[1], images.shape[2]))
