"""Draws the inspector's state into its child widgets (title, grids, colour bars, sample)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui.train.explain_panel import CellExplainPanel, draw_explain
from tui.train.inspector_state import InspectorState
from tui.train.layer_story_state import built_story
from tui.train.layer_story_view import LayerStoryView
from tui.train.sample_panel import SamplePanel
from tui.train.views import MapView
from tui.widgets.colorbar import ColorBar
from tui.widgets.fit_line import JoinedLine
from tui.widgets.heatmap import HeatmapGrid

INSPECTOR_CSS = """
    Inspector { height: 1fr; width: 1fr; layout: vertical; }
    Inspector #inspector-title { height: 1; text-style: bold; }
    Inspector #inspector-message { height: auto; max-height: 8; color: $warning; display: none; }
    Inspector #inspector-message.-shown { display: block; }
    Inspector #inspector-explain { height: auto; max-height: 16; display: none; }
    Inspector #inspector-explain.-shown { display: block; }
    Inspector #inspector-body { height: 1fr; }
    Inspector #inspector-maps { width: 1fr; }
    Inspector #inspector-sample { width: 30; padding-left: 1; }
    Inspector.-narrow #inspector-sample { width: 16; }
    Inspector #kernels { height: auto; max-height: 50%; }
    Inspector #activations { height: 1fr; }
    Inspector.-many #kernels, Inspector.-many #kernels-scale { display: none; }
"""


def show_view(
    grid: HeatmapGrid,
    bar: ColorBar,
    view: MapView | None,
    keep_page: bool,
    waiting: str,
    caption: str = "",
) -> None:
    """Draw ``view`` in the grid and its range in the bar, or ``waiting`` when there is none."""
    if view is None:
        grid.clear(waiting, caption=caption)
        bar.clear()
        return
    grid.set_maps(
        view.maps,
        titles=view.titles,
        cmap=view.cmap,
        caption=view.caption,
        vector=view.vector,
        row_labels=view.row_labels,
        keep_page=keep_page,
        rgb=view.rgb,
    )
    bar.set_scale(view.lo, view.hi, view.cmap, view.scale_label)


class InspectorParts:
    """The mounted inspector's child widgets."""

    def __init__(self, inspector: Widget) -> None:
        query = inspector.query_one
        self.title_line = query("#inspector-title", JoinedLine)
        self.note = query("#inspector-message", Static)
        self.explain_note = query("#inspector-explain", CellExplainPanel)
        self.kernels_grid = query("#kernels", HeatmapGrid)
        self.kernels_bar = query("#kernels-scale", ColorBar)
        self.maps_grid = query("#activations", HeatmapGrid)
        self.maps_bar = query("#activations-scale", ColorBar)
        self.sample_panel = query(SamplePanel)
        self.story = query(LayerStoryView)

    @staticmethod
    def compose(mode: str) -> ComposeResult:
        """The inspector's children in ``mode``: title, note, explanation, then the maps
        column (kernels and feature maps, each with its colour bar) beside the sample."""
        yield JoinedLine("", id="inspector-title", markup=False)
        yield Static("", id="inspector-message", markup=False)
        yield CellExplainPanel(id="inspector-explain")
        with Horizontal(id="inspector-body"):
            with Vertical(id="inspector-maps"):
                yield LayerStoryView(mode, id="layer-story")
                yield HeatmapGrid(id="kernels", color_mode=mode)
                yield ColorBar(id="kernels-scale", color_mode=mode)
                yield HeatmapGrid(id="activations", color_mode=mode)
                yield ColorBar(id="activations-scale", color_mode=mode)
            yield SamplePanel(id="inspector-sample", color_mode=mode)

    @property
    def digit(self) -> HeatmapGrid:
        return self.sample_panel.query_one("#digit", HeatmapGrid)


class InspectorDrawer:
    """How an :class:`InspectorState` is drawn in the inspector's parts; every method does
    nothing until the inspector is mounted (there is nothing to draw in before)."""

    def __init__(self, inspector: Widget) -> None:
        self.inspector = inspector
        self._parts: InspectorParts | None = None

    @property
    def parts(self) -> InspectorParts | None:
        if self._parts is None and self.inspector.is_mounted:
            self._parts = InspectorParts(self.inspector)
        return self._parts

    def title(self, state: InspectorState) -> None:
        if (parts := self.parts) is not None:
            # Fixed height: no re-layout of the whole screen for a new title.
            parts.title_line.set_text(state.title())

    def message(self, text: str) -> None:
        if (parts := self.parts) is not None:
            parts.note.update(text)
            parts.note.set_class(bool(text), "-shown")

    def kernels(self, state: InspectorState, keep_page: bool = False) -> None:
        if (parts := self.parts) is None:
            return
        view, waiting = state.build_kernel_view()
        if view is not None:
            parts.kernels_grid.model.stretch = view.stretch
            parts.kernels_grid.model.show_titles = not view.stretch
        show_view(parts.kernels_grid, parts.kernels_bar, view, keep_page, waiting)

    def kernels_loading(self, state: InspectorState) -> bool:
        """Keep the previous layer's kernels, marked, until this layer's arrive (a few frames):
        an emptied auto-height grid would shrink and grow back, re-laying out the screen twice
        for every key press. False when there is nothing to keep."""
        parts = self.parts
        if parts is None or not (parts.kernels_grid.count and state.has_weights):
            return False
        state.kernel_view = None
        parts.kernels_grid.set_caption("loading…")
        return True

    def activations(self, state: InspectorState, keep_page: bool = False) -> None:
        if (parts := self.parts) is not None:
            view, waiting = state.build_activation_view()
            caption = state.activation_caption
            show_view(parts.maps_grid, parts.maps_bar, view, keep_page, waiting, caption)

    def maps(self, state: InspectorState, keep_page: bool = True) -> None:
        """Kernels and feature maps (after a change of their settings)."""
        self.kernels(state, keep_page)
        self.activations(state, keep_page)

    def everything(self, state: InspectorState) -> None:
        """Title, maps (from their first page), the layer's story, sample and message."""
        self.title(state)
        self.maps(state, keep_page=False)
        self.story(state)
        self.sample(state)
        self.message(state.message)

    def story(self, state: InspectorState) -> None:
        """The layer's line and (layers without kernels) its before -> after view."""
        if (parts := self.parts) is not None:
            parts.story.show(*built_story(state))

    def sample(self, state: InspectorState) -> None:
        if (parts := self.parts) is not None:
            parts.sample_panel.show(state.sample, state.class_names, state.labels_graded)

    def explain(self, state: InspectorState) -> None:
        if (parts := self.parts) is not None:
            note, digit, maps = parts.explain_note, parts.digit, parts.maps_grid
            draw_explain(state.explain, state.layer_name, note, digit, maps)

    def page(self, which: str, step: int, state: InspectorState) -> bool:
        """Page the "maps" or "kernels" grid ``step`` (+1 or -1) pages; False when it cannot
        (already on the first or last page, or the kernels are hidden)."""
        if (parts := self.parts) is None:
            return False
        if which == "kernels" and (state.kernels is None or state.many):
            return False
        grid = parts.kernels_grid if which == "kernels" else parts.maps_grid
        return grid.next_page() if step > 0 else grid.previous_page()
