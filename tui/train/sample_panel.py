"""SamplePanel: the input image with its true and predicted label above the class probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical

from tui.train.probabilities import Probabilities
from tui.train.views import sample_caption, sample_image
from tui.widgets.graphics import app_graphics
from tui.widgets.heatmap import HeatmapGrid

DIGITS = [str(i) for i in range(10)]
RANDOM_WEIGHTS = "random weights"
DIGIT_ROWS = 15  # caption and a 28-pixel digit in half blocks; a photo gets the same
MIN_DIGIT_ROWS = 5  # below this the image would be a smudge: the bars give way instead


def digit_classes(class_names: Sequence[str] | None) -> bool:
    """Whether the model's classes are the digits 0-9, so an MNIST label is one of them."""
    return class_names is None or list(class_names) == DIGITS


def caption_of(
    sample: dict[str, Any], class_names: Sequence[str] | None, graded: bool | None = None
) -> str:
    """``true 7 pred 2 ✗`` (``true cat pred dog ✗``) when the sample's label is one of the
    model's classes (``graded``; None: when they are the digits); for a model of other
    classes (AlexNet's ImageNet shown MNIST) a digit is not graded: ``digit 7 · pred clock``."""
    label = sample.get("label")
    graded = digit_classes(class_names) if graded is None else graded
    if label is None or int(label) < 0 or graded:  # -1: no label
        return sample_caption(sample, class_names)
    return f"digit {label} · " + sample_caption({**sample, "label": None}, class_names)


class SamplePanel(Vertical):
    """The ``sample`` reply drawn: image (grey digit or colour photo) and probability bars.

    The bars get the rows that show every class (ten at most) and the "random weights" note
    of an untrained model; the image takes the rest, up to ``DIGIT_ROWS``."""

    DEFAULT_CSS = """
    SamplePanel #digit {
        height: 15;
    }
    SamplePanel #probs {
        height: 1fr;
    }
    SamplePanel.-pixels #digit {
        display: none;  /* drawn by #digit-pixels; kept for whoever reads or marks it */
    }
    SamplePanel #digit-pixels {
        height: 15;
    }
    """

    def __init__(self, *, color_mode: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.color_mode = color_mode

    def compose(self) -> ComposeResult:
        protocol = app_graphics(self.app) if self.color_mode != "ascii" else "off"
        # Kitty: the grid itself draws the digit in pixels (tui.widgets.pixel_tiles), keeping
        # its caption and the explained cell's box; Sixel: a picture widget in its place.
        if protocol in ("sixel", "iterm"):
            from tui.widgets.pixel_image import PixelImage

            self.add_class("-pixels")
            yield PixelImage(protocol, id="digit-pixels")
        yield HeatmapGrid(id="digit", color_mode=self.color_mode)
        yield Probabilities(id="probs", color_mode=self.color_mode)

    def on_mount(self) -> None:
        self.query_one("#digit", HeatmapGrid).model.show_titles = False

    def on_resize(self) -> None:
        self.fit_rows()

    def fit_rows(self) -> None:
        """Split the height: the bars' rows first, the image the rest (``DIGIT_ROWS`` at most)."""
        height = self.size.height
        if height <= 0:
            return
        wanted = self.query_one("#probs", Probabilities).rows_wanted()
        rows = max(MIN_DIGIT_ROWS, min(DIGIT_ROWS, height - wanted))
        digit = self.query_one("#digit", HeatmapGrid)
        if digit.styles.height is None or digit.styles.height.value != rows:
            digit.styles.height = rows
        for pixels in self.query("#digit-pixels"):
            pixels.styles.height = rows

    def show(
        self,
        sample: dict[str, Any] | None,
        class_names: Sequence[str] | None,
        graded: bool | None = None,
    ) -> None:
        """Draw ``sample`` (None clears); class names label the prediction and the bars;
        ``graded``: its label is one of the model's classes (None: when they are the digits).
        A sample whose ``random_weights`` is set (the engine's model is untrained) says so."""
        graded = digit_classes(class_names) if graded is None else graded
        digit = self.query_one("#digit", HeatmapGrid)
        probs = self.query_one("#probs", Probabilities)
        if sample is None:
            digit.clear()
            for pixels in self.query("#digit-pixels"):
                pixels.set_image(None)  # type: ignore[attr-defined]
            probs.set_probs(None)
            self.fit_rows()
            return
        image, rgb = sample_image(sample)
        caption = caption_of(sample, class_names, graded)
        digit.set_maps(image, titles=[""], cmap="gray", rgb=rgb, caption=caption)
        for pixels in self.query("#digit-pixels"):
            pixels.set_image(image, caption)  # type: ignore[attr-defined]
        label = sample.get("label") if graded else None
        note = RANDOM_WEIGHTS if sample.get("random_weights") else ""
        if sample.get("pending"):  # drawn before the engine's reply: the model has not changed
            note = probs.note
        probs.set_probs(sample.get("probs"), label, sample.get("pred"), class_names, note=note)
        self.fit_rows()
