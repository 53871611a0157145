"""SamplePanel: the input image with its true and predicted label above the class probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical

from tui.train.probabilities import Probabilities
from tui.train.views import sample_caption, sample_image
from tui.widgets.heatmap import HeatmapGrid


class SamplePanel(Vertical):
    """The ``sample`` reply drawn: image (grey digit or colour photo) and probability bars."""

    DEFAULT_CSS = """
    SamplePanel #digit {
        height: 15;
        max-height: 60%;
    }
    """

    def __init__(self, *, color_mode: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.color_mode = color_mode

    def compose(self) -> ComposeResult:
        yield HeatmapGrid(id="digit", color_mode=self.color_mode)
        yield Probabilities(id="probs", color_mode=self.color_mode)

    def on_mount(self) -> None:
        self.query_one("#digit", HeatmapGrid).model.show_titles = False

    def show(self, sample: dict[str, Any] | None, class_names: Sequence[str] | None) -> None:
        """Draw ``sample`` (None clears); class names label the prediction and the bars."""
        digit = self.query_one("#digit", HeatmapGrid)
        probs = self.query_one("#probs", Probabilities)
        if sample is None:
            digit.clear()
            probs.set_probs(None)
            return
        image, rgb = sample_image(sample)
        caption = sample_caption(sample, class_names)
        digit.set_maps(image, titles=[""], cmap="gray", rgb=rgb, caption=caption)
        probs.set_probs(sample.get("probs"), sample.get("label"), sample.get("pred"), class_names)
