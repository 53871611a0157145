"""Data-display widgets of the cnn-tui inspector (numpy only: this package never imports torch).

Public API (what the app mounts and drives)
===========================================

``HeatmapGrid(Widget)`` (heatmap.py), line API, cached strips, ``HeatmapGrid(color_mode=None)``:
    set_maps(maps, *, titles=None, cmap="sequential", row_labels=None, caption="",
             vector=False, rgb=False, keep_page=False)
        maps: float (N, H, W) already scaled to [0, 1] (clipped; NaN = empty pixel), or uint8
        (N, H, W) used as colour-map indices 0..255, or (H, W) for one map; (R, C, H, W) with
        ``row_labels`` (R labels): one row per label; ``vector=True``: a (1, N) map wrapped to
        the width; ``rgb=True``: uint8 (N, H, W, 3) images. cmap: "sequential" | "diverging" |
        "gray" or a (256, 3) uint8 LUT. ``keep_page``: live refresh of the same data.
    clear(message="", caption="") ; set_caption(text) ;
    set_highlight(index | None, box=(y0, x0, y1, x1) | None)  (outlined rectangle, pixels)
    next_page() / previous_page() -> bool ; reactives color_mode ("truecolor" | "256" |
    "ascii"), page, zoom (0 = automatic; n > 0 enlarges n times); properties count,
    page_count, page_label ("page 2/5"), visible_indices, visible_titles, layout_info.
    Message: HeatmapGrid.PageChanged(grid, page, page_count).
    heatmap.build_time_benchmark(count=32, width=240, height=62, repeats=20) -> dict of
    build ms per mode and for a naive per-cell build, segments and bytes per frame.

``ColorBar(Widget)`` (colorbar.py): one line ``lo <gradient> mid <gradient> hi  label``.
    set_scale(lo | None, hi | None, cmap="sequential", label="shared scale") (None: "min"
    .. "max"); clear(); reactive color_mode; attributes lo, hi, mid, label.

``LayerTable(DataTable)`` (layer_table.py), cursor_type="row", j/k bound while focused:
    load_summary(summary: dict, keep_selection=True) ; select_next() ; select_previous() ;
    select_name(name) -> bool ; properties selected_name, selected_row (the summary's layer
    dict), selected_index. Message: LayerTable.LayerSelected(table, name, row), posted when the
    highlighted layer changes and after load_summary; the totals row is not selectable.

``Probabilities(Widget)`` (probabilities.py): set_probs(probs, label=None, pred=None,
    class_names=None); all classes when they fit, else the most probable ones, keeping the true
    ("T") and predicted ("P") classes; reactive color_mode.

``Inspector(Widget)`` (inspector.py), focusable; reactives shared_scale: bool, channel: int,
    mean_channels: bool, many: bool, color_mode: str:
    set_model(info: dict, summary: dict, classes: list[str] | None = None)  (load reply) ;
    set_layer(row: dict) ; set_kernels(payload | None)  (None: the layer has no weights) ;
    set_activations(payload | None) ; set_sample(payload) ; set_many(payload) ;
    set_message(text)  ("" hides it) ; set_color_mode(mode)
    Actions (plain methods, also ``action_<name>``): next_page, previous_page (kernels'
    pages first, then the feature maps'), toggle_scale, next_channel, previous_channel,
    toggle_mean, toggle_many. Properties layer_name, input_channels, kernel_view and
    activation_view (the last drawn ``views.MapView``s).
    Message: Inspector.ManyToggled(inspector, layer, enabled): when enabled the app requests
    ``activations_many`` for the layer (and again on layer/sample changes while ``many``) and
    passes the reply to set_many.
    ``INSPECTOR_KEYS`` = [(keys, action, description)], also Inspector.BINDINGS (while focused):
    pagedown/"." next page, pageup/"," previous page, "g" shared/per-map scale,
    "]"/"[" next/previous input channel, "a" mean of input channels, "d" several digits.

``views.has_weights(row)``: whether a summary row has kernels to request (conv or dense).
``detect_color_mode(force_ascii=False)`` (engine.render.color_mode): "ascii" for --ascii or
NO_COLOR, "truecolor" when COLORTERM is truecolor/24bit, else "256" (OpenSSH drops COLORTERM).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names below load on first use (PEP 562), so that importing one light module of this
# package (tui.widgets.header, for the first frame) does not bring numpy and the rest.
_EXPORTS = {
    "ColorBar": "tui.widgets.colorbar",
    "HeatmapGrid": "tui.widgets.heatmap",
    "detect_color_mode": "tui.widgets.heatmap",
    "INSPECTOR_KEYS": "tui.widgets.inspector",
    "Inspector": "tui.widgets.inspector",
    "LayerTable": "tui.widgets.layer_table",
    "Probabilities": "tui.widgets.probabilities",
    "SamplePanel": "tui.widgets.sample_panel",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


if TYPE_CHECKING:
    from tui.widgets.colorbar import ColorBar
    from tui.widgets.heatmap import HeatmapGrid, detect_color_mode
    from tui.widgets.inspector import INSPECTOR_KEYS, Inspector
    from tui.widgets.layer_table import LayerTable
    from tui.widgets.probabilities import Probabilities
    from tui.widgets.sample_panel import SamplePanel

__all__ = [
    "INSPECTOR_KEYS",
    "ColorBar",
    "HeatmapGrid",
    "Inspector",
    "LayerTable",
    "Probabilities",
    "SamplePanel",
    "detect_color_mode",
]
