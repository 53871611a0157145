"""Data-display widgets of the cnn-tui inspector (numpy only: this package never imports torch).

Public API (what the app mounts and drives)
===========================================

``HeatmapGrid(Widget)`` (tui/widgets/heatmap.py), line API, cached strips:
    set_maps(maps, *, titles=None, cmap="sequential", row_labels=None, caption="",
             vector=False) -> None
        maps: float (N, H, W) scaled to [0, 1] (clipped; NaN = empty pixel), or uint8 (N, H, W)
        used as 0-255 colour-map indices, or (H, W) for one map, or (N, H, W, 3) uint8 RGB.
        With ``row_labels`` (R labels) maps are (R, C, H, W): one row per label ("many digits").
        ``vector=True``: one (1, N) map wrapped to the width (dense activations).
        cmap: "sequential" | "diverging" | "gray" or a (256, 3) uint8 LUT.
    clear(message="") ; set_highlight(index: int | None, box=(y0, x0, y1, x1) | None)
    next_page() / previous_page() -> bool ; reactives: color_mode ("truecolor" | "256" |
    "ascii"), page, zoom (0 = auto; >0 upscale factor for tiny maps); properties page_count,
    visible_indices, visible_titles, page_label ("page 2/5").
    Message: HeatmapGrid.PageChanged(grid, page, page_count).
    build_time_benchmark(...) -> dict (ms per full build and bytes per frame; tui.bench).

``ColorBar(Widget)`` (colorbar.py): one line ``lo <gradient> mid <gradient> hi  label``.
    set_scale(lo: float | None, hi: float | None, cmap="sequential", label="shared scale");
    reactive color_mode; attributes lo, hi, label.

``LayerTable(DataTable)`` (layer_table.py), cursor_type="row":
    load_summary(summary: dict) ; select_next() ; select_previous() ; select_name(name)
    properties selected_name: str | None, selected_row: dict | None
    Message: LayerTable.LayerSelected(name: str, row: dict)  (row = the summary's layer dict),
    posted whenever the highlighted row changes to a layer (not the totals row).

``Probabilities(Widget)`` (probabilities.py): set_probs(probs, label=None, pred=None,
    class_names=None); ten bars, or the top ones by probability when there is no room or more
    than ten classes (true and predicted class always kept), marks "true"/"pred".

``Inspector(Widget)`` (inspector.py), focusable container, state as typed reactives:
    set_model(info: dict, summary: dict) ; set_layer(row: dict) ;
    set_kernels(payload | None) ; set_activations(payload | None) ; set_sample(payload) ;
    set_many(payload) ; set_message(text: str) ("" clears) ; set_color_mode(mode)
    Actions (methods; also ``action_<name>``): next_page, previous_page, toggle_scale,
    next_channel, previous_channel, toggle_mean, toggle_many.
    Reactives: shared_scale: bool, channel: int, mean_channels: bool, many: bool,
    color_mode: str.
    Message: Inspector.ManyToggled(layer: str | None, enabled: bool): the app should request
    ``activations_many`` for the layer when enabled (then call set_many(payload)).
    ``INSPECTOR_KEYS``: [(key, action, description)] suggested bindings, also Inspector.BINDINGS
    (active while the inspector has focus):
        pagedown / "." next page, pageup / "," previous page, "g" shared/per-map scale,
        "]" / "[" next/previous input channel, "a" mean over input channels,
        "d" several digits at once.

Colour mode: ``tui.widgets.heatmap.detect_color_mode(force_ascii=False)`` (engine.render's
``color_mode``): "ascii" for --ascii or NO_COLOR, "truecolor" when COLORTERM is truecolor/24bit,
else "256" (OpenSSH does not forward COLORTERM).
"""

from __future__ import annotations

from tui.widgets.colorbar import ColorBar
from tui.widgets.heatmap import HeatmapGrid, detect_color_mode
from tui.widgets.inspector import INSPECTOR_KEYS, Inspector
from tui.widgets.layer_table import LayerTable
from tui.widgets.probabilities import Probabilities

__all__ = [
    "INSPECTOR_KEYS",
    "ColorBar",
    "HeatmapGrid",
    "Inspector",
    "LayerTable",
    "Probabilities",
    "detect_color_mode",
]
