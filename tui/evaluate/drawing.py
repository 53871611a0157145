"""What the Evaluate tab's picture views show: the digit, gallery and act-max maps, and exports.

``EvaluateDrawing`` is a mixin of ``tui.evaluate.pane.EvaluatePane``: it reads the pane's ``view``,
``digit``, ``gallery``, ``actmax_payload`` and ``color_mode`` and calls its ``set_status``.
"""

from __future__ import annotations

from typing import Any

from tui.evaluate import views
from tui.widgets.heatmap import HeatmapGrid

DIGIT_OPS = ("saliency", "gradcam", "occlusion")


class EvaluateDrawing:
    """Fills the pane's HeatmapGrid for the current view and builds its export."""

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        maps = self.query_one(HeatmapGrid)
        maps.model.show_titles = True
        maps.set_highlight(None)
        if self.view == "gallery":
            self._draw_gallery(maps)
        elif self.view == "digit":
            self._draw_digit(maps)
        elif self.view == "actmax":
            self._draw_actmax(maps)

    def _draw_digit(self, maps: HeatmapGrid) -> None:
        first = next(iter(self.digit.values()), None)
        if first is None:
            maps.clear("explaining…", caption=f"digit #{self.digit_index}")
            return
        parts = [self.digit.get(op) for op in DIGIT_OPS]
        images, titles = views.digit_views(first, *parts, ascii_mode=self.color_mode == "ascii")
        target = first.get("target")
        caption = f"{views.digit_title(first)} · why class {target}"
        maps.set_maps(images, titles=titles, rgb=True, caption=caption)
        self.set_status(views.DIGIT_HELP.format(target=target))

    def _draw_gallery(self, maps: HeatmapGrid) -> None:
        if not self.gallery:
            maps.clear("loading…")
            return
        if not self.gallery.get("items"):
            maps.clear("no digits here", caption=views.gallery_caption(self.gallery))
            return
        images, titles = views.gallery_maps(self.gallery)
        maps.set_maps(
            images, titles=titles, cmap="gray", caption=views.gallery_caption(self.gallery)
        )
        maps.set_highlight(self.selected, (0, 0, images.shape[1], images.shape[2]))

    def _draw_actmax(self, maps: HeatmapGrid) -> None:
        payload = self.actmax_payload
        if payload is None:
            maps.clear("optimising an input…", caption="activation maximisation")
            return
        maps.set_maps(
            views.scaled(payload["image"])[None], titles=[""], caption=views.actmax_caption(payload)
        )

    def export_parts(self) -> tuple[str, dict[str, Any]] | None:
        """The current view's export: (name, export op keyword arguments), or None."""
        if self.view == "matrix" and self.evaluation:
            return "confusion", views.matrix_export(self.evaluation)
        if self.view == "gallery" and self.gallery and self.gallery.get("items"):
            return "gallery", views.gallery_export(self.gallery)
        if self.view == "digit" and len(self.digit) == len(DIGIT_OPS):
            return f"digit-{self.digit_index}", views.digit_export(self.digit)
        if self.view == "actmax" and self.actmax_payload:
            p = self.actmax_payload
            return f"actmax-{p['layer']}-{p['channel']}", views.actmax_export(p)
        return None
