"""The Evaluate tab's digit view: attribution overlays you can read (numpy only, no torch).

For each method (saliency, Grad-CAM, occlusion) the digit is drawn grey with the attribution on
top in the perceptual colour map, its opacity growing with |value| (the same pixels as the PNG
export, ``engine.render.figures.panel_rgb``), for the true and the predicted class side by side,
each with a colour bar giving its numeric range, and a line on how to read it. Signed maps
(occlusion with negatives) use the diverging map centred on 0. A wide pane shows the three
methods side by side; a narrow one shows one at a time (m: the next; g: Grad-CAM's next layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from engine.render.attribution_figure import (
    entry_range,
    how_to_read,
    method_title,
    payload_how_to_read,
)
from engine.render.figures import FigurePanel, panel_rgb
from tui.class_names import cut_name, name_of
from tui.evaluate.views import digit_hint
from tui.widgets.colorbar import ColorBar
from tui.widgets.fit_line import FitLine
from tui.widgets.heatmap import HeatmapGrid

METHODS = ("saliency", "gradcam", "occlusion")
WIDE = 150  # pane columns from which the three methods are shown side by side
MAP_ROWS = 14  # a 28x28 digit in half-blocks
TEXT_ROWS = 3  # the method's name, a panel's title, its colour bar (+ the lines on reading it)


def colour_range(entry: dict[str, Any]) -> tuple[float, float]:
    """The numeric (lo, hi) a map is coloured over: from 0, or symmetric about 0 if signed."""
    lo, hi = entry_range(entry)
    if lo is None or hi is None:
        top = max(abs(float(entry["range"][0])), abs(float(entry["range"][1]))) or 1.0
        return -top, top
    return lo, hi if hi > lo else lo + 1.0


def overlay_picture(image: np.ndarray, entry: dict[str, Any]) -> np.ndarray:
    """uint8 (H, W, 3): the digit grey with the map blended on top, opacity by strength."""
    values = np.asarray(entry["values"], dtype=np.float32)
    grey = np.asarray(image, dtype=np.float32)
    grey = grey.mean(axis=0) if grey.ndim == 3 else grey
    lo, hi = colour_range(entry)
    underlay = grey / 255.0 if grey.shape == values.shape else None
    panel = FigurePanel(values, entry["cmap"], lo, hi, underlay=underlay, alpha_by_strength=True)
    return panel_rgb(panel)


def panel_title(
    entry: dict[str, Any], same: bool, names: Sequence[str] | None = None
) -> tuple[str, ...]:
    """ "K=7 true · p=0.98" (or "true = predicted"; K by its class name when the classes
    have names: "K=Sneaker true · p=0.98"); "empty" when nothing argues for K. Wordings
    longest first: shorter ones cut the name, never the probability."""
    role = "true = predicted" if same else entry["role"]
    empty = " · empty" if float(entry["range"][1]) <= 0 and entry["cmap"] != "diverging" else ""
    name = name_of(names, entry["target"])
    tail = f" · p={entry['probability']:.2f}{empty}"
    return (
        f"K={name} {role}{tail}",
        f"K={cut_name(name, 8)} {role}{tail}",
        f"K={cut_name(name, 8)}{tail}",
    )


class OverlayPanel(Vertical):
    """One class's overlay: its title, the picture and its colour bar."""

    DEFAULT_CSS = """
    OverlayPanel { width: 1fr; height: auto; padding: 0 1 0 0; }
    OverlayPanel > .overlay-title { height: 1; }
    OverlayPanel > HeatmapGrid { height: auto; max-height: 14; }
    OverlayPanel > ColorBar { height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield FitLine("", classes="overlay-title", markup=False)
        yield HeatmapGrid()
        yield ColorBar()

    def on_mount(self) -> None:
        grid = self.query_one(HeatmapGrid)
        grid.model.header, grid.model.show_titles = False, False
        grid.model.fill = True  # may shrink by 4/3 or 3/2 too: a digit that nearly fits stays big

    def show(
        self,
        image: np.ndarray,
        entry: dict[str, Any],
        same: bool,
        mode: str,
        names: Sequence[str] | None = None,
    ) -> None:
        """Draw ``entry`` (one class's map) over the digit ``image`` in colour ``mode``."""
        self.query_one(".overlay-title", FitLine).set_wordings(*panel_title(entry, same, names))
        grid, bar = self.query_one(HeatmapGrid), self.query_one(ColorBar)
        grid.color_mode = bar.color_mode = mode
        lo, hi = colour_range(entry)
        if mode == "ascii":  # no colour to blend with: the map alone, in shading characters
            values = (np.asarray(entry["values"], dtype=np.float32) - lo) / (hi - lo)
            grid.set_maps(np.clip(values, 0, 1)[None], titles=[""], cmap=entry["cmap"])
        else:
            grid.set_maps(overlay_picture(image, entry)[None], titles=[""], rgb=True)
        bar.set_scale(lo, hi, entry["cmap"], label="")

    def wait(self, text: str) -> None:
        self.query_one(".overlay-title", FitLine).set_wordings(text)
        self.query_one(HeatmapGrid).clear(text)
        self.query_one(ColorBar).clear()


class MethodOverlays(Vertical):
    """One method: its name, the true and predicted classes' overlays, how to read it."""

    DEFAULT_CSS = """
    MethodOverlays { width: 1fr; height: auto; padding: 0 1 0 0; }
    MethodOverlays > .overlay-head { height: 1; text-style: bold; }
    MethodOverlays > Horizontal { height: auto; }
    MethodOverlays > .overlay-how { height: auto; max-height: 3; color: $text-muted; }
    """

    def __init__(self, method: str, **options: Any) -> None:
        super().__init__(id=f"overlay-{method}", **options)
        self.method = method
        self.payload: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield FitLine(method_title({"method": self.method}), classes="overlay-head", markup=False)
        with Horizontal():
            yield OverlayPanel(classes="overlay-first")
            yield OverlayPanel(classes="overlay-second")
        yield Static(how_to_read(self.method), classes="overlay-how", markup=False)

    def show(self, payload: dict[str, Any] | None, mode: str) -> None:
        """Draw the method's ``attribute`` payload (None: still being computed)."""
        first = self.query_one(".overlay-first", OverlayPanel)
        second = self.query_one(".overlay-second", OverlayPanel)
        head = self.query_one(".overlay-head", FitLine)
        self.payload = payload
        self.query_one(".overlay-how", Static).update(
            payload_how_to_read(payload) if payload else how_to_read(self.method)
        )
        if payload is None:
            head.set_wordings(f"{method_title({'method': self.method, 'layer': ''})}…")
            first.wait("explaining…")
            second.display = False
            return
        maps, same = payload["maps"], bool(payload.get("same"))
        note = " · true class = predicted: one map" if same else ""
        keys = " (g: layer)" if self.method == "gradcam" else ""
        head.set_wordings(f"{method_title(payload)}{keys}{note}", method_title(payload))
        names = payload.get("classes")
        first.show(payload["image"], maps[0], same, mode, names)
        second.display = len(maps) > 1
        if len(maps) > 1:
            second.show(payload["image"], maps[1], same, mode, names)


class AttributionOverlays(Horizontal):
    """The three methods side by side (``WIDE`` columns or more), else the chosen one."""

    DEFAULT_CSS = """
    AttributionOverlays { height: 1fr; width: 1fr; }
    """

    method = "saliency"  # the one shown when the pane is narrow

    def compose(self) -> ComposeResult:
        for method in METHODS:
            yield MethodOverlays(method)

    def show(self, digit: dict[str, dict[str, Any]], method: str, mode: str) -> None:
        """Draw each method's payload of ``digit`` (op -> payload) in colour ``mode``;
        ``method``: the one shown when the pane is narrow."""
        self.method = method
        self._place()
        for block in self.query(MethodOverlays):
            block.show(digit.get(block.method), mode)

    def draw(self, state: Any, mode: str) -> str:
        """Draw an ``EvaluateState``'s digit; returns the status line (``views.digit_hint``)."""
        self.show(state.digit, state.overlay_method, mode)
        return digit_hint(state.digit, state.class_names)

    def _place(self) -> None:
        """Show the blocks that fit; the pictures get the lines left by the texts (their
        bars stay right under them), at most a map's own half-block height."""
        wide = self.size.width >= WIDE
        for block in self.query(MethodOverlays):
            block.display = wide or block.method == self.method
        shown = [b for b in self.query(MethodOverlays) if b.display]
        width = max(1, self.size.width // max(1, len(shown)) - 1)  # a block, less its padding
        how = max(
            (
                -(
                    -len(payload_how_to_read(b.payload) if b.payload else how_to_read(b.method))
                    // width
                )
                for b in shown
            ),
            default=1,
        )
        rows = max(4, min(MAP_ROWS, self.size.height - TEXT_ROWS - how))
        for grid in self.query(HeatmapGrid):  # height auto: as many lines as the picture
            if grid.styles.max_height is None or grid.styles.max_height.value != rows:
                grid.styles.max_height = rows

    def on_resize(self) -> None:
        self._place()
