"""X on the Train tab: the inspector's kernels and feature maps as PNG figures (colour bars,
caption: model, layer, digit, scale), written by the engine's ``export`` op into the run folder's
``exports/``; the app says where in a notification."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.render.maps import dequantize
from tui.class_names import are_digits, name_of
from tui.train.views import activation_cmap

if TYPE_CHECKING:
    from tui.train.tab import TrainTab

MAX_PANELS = 64  # a figure of more maps than this keeps the first ones (and says so)
PURPOSE = "export_png"


def kernel_panels(payload: dict[str, Any], channel: int, mean: bool) -> tuple[list, str]:
    """Panels of a ``kernels`` reply: each output channel's kernel for input ``channel`` (or
    the mean over inputs) on one diverging scale; a dense layer's matrix as one panel."""
    weights = np.asarray(payload["weights"], dtype=np.float32)
    if weights.ndim == 2:
        maps, labels, which = [weights], ["rows: outputs, columns: inputs"], "weight matrix"
    else:
        chosen = weights.mean(axis=1) if mean else weights[:, min(channel, weights.shape[1] - 1)]
        maps = list(chosen[:MAX_PANELS])
        labels = [f"out {i}" for i in range(len(maps))]
        which = "mean over input channels" if mean else f"input channel {channel}"
        if len(chosen) > MAX_PANELS:
            which += f", first {MAX_PANELS} of {len(chosen)} kernels"
    top = float(max(np.abs(np.nan_to_num(np.stack(maps))).max(), 1e-12))
    panels = [
        {"values": m, "cmap": "diverging", "lo": -top, "hi": top, "label": label}
        for m, label in zip(maps, labels, strict=True)
    ]
    return panels, f"{which} · shared scale -{top:.4g}..{top:.4g} (0 = white)"


def feature_panels(payload: dict[str, Any], shared: bool) -> tuple[list, str]:
    """Panels of an ``activations`` reply (uint8 maps and their ranges), on one scale
    (``shared``) or each on its own; signed maps on the diverging one, as the inspector."""
    maps = dequantize(payload["maps"], payload["ranges"])[:MAX_PANELS]
    lo, hi = float(np.nanmin(maps)), float(np.nanmax(maps))
    cmap = activation_cmap(payload["ranges"])  # as the inspector draws them
    if cmap == "diverging":  # signed (before a ReLU): symmetric about 0, white = 0
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    panels = [
        {
            "values": m,
            "cmap": cmap,
            "lo": lo if shared else None,
            "hi": hi if shared else None,
            "label": f"map {i}" if len(maps) > 1 else "output",
        }
        for i, m in enumerate(maps)
    ]
    scale = f"shared scale {lo:.4g}..{hi:.4g}" if shared else "each map on its own scale"
    return panels, scale


class PngExport:
    """Builds the two figures from the inspector's state and asks the engine to write them."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab

    def handlers(self) -> dict[str, Any]:
        return {PURPOSE: self.got_export}

    def figures(self) -> tuple[str, dict[str, Any]] | None:
        """(name, figures) for the ``export`` op; None when the inspector shows nothing yet."""
        state = self.tab.inspector.state
        layer, model = state.layer_name, str(state.info.get("name") or "model")
        index = self.tab.sample_index
        sample = state.sample or {}
        digit, tag = self.input_words(index, sample)
        figures: dict[str, Any] = {}
        if state.kernels and state.kernels.get("layer") == layer:
            panels, scale = kernel_panels(state.kernels, state.channel, state.mean_channels)
            caption = f"model {model} · layer {layer} · {scale}"
            figures["kernels"] = {"panels": panels, "title": f"{model} · {layer} kernels"}
            figures["kernels"]["caption"] = caption
        if state.activations and state.activations.get("layer") == layer:
            panels, scale = feature_panels(state.activations, state.shared_scale)
            image = sample.get("image")
            if image is not None and np.asarray(image).ndim == 2:
                grey = np.asarray(image, dtype=np.float32) / 255.0
                panels.insert(0, {"values": grey, "cmap": "grey", "lo": 0.0, "hi": 1.0,
                                  "label": "input"})  # fmt: skip
            caption = f"model {model} · layer {layer} · {digit} · {scale}"
            title = f"{model} · {layer} feature maps of {digit}"
            figures["featuremaps"] = {"panels": panels, "title": title, "caption": caption}
        return (f"{layer}-{tag}", figures) if figures and layer else None

    def input_words(self, index: int, sample: dict[str, Any]) -> tuple[str, str]:
        """(words for titles, a tag for file names) of the inspector's input: a test digit
        ("digit #12 (true 7, predicted 7)", "12"), the drawing ("your drawing (predicted 1)",
        "drawn") or a picture file ("picture seven.png (predicted 7)", "picture-seven")."""
        names = self.tab.inspector.state.class_names or None
        true, predicted = name_of(names, sample.get("label")), name_of(names, sample.get("pred"))
        pred = f" (predicted {predicted})" if sample.get("pred") is not None else ""
        if index >= 0:
            what = "digit" if are_digits(names) else "image"
            truth = f" (true {true}, predicted {predicted})"
            return f"{what} #{index}" + (truth if sample else ""), str(index)
        name = self.tab.drawing.input_name
        if name == "drawn":
            return "your drawing" + pred, "drawn"
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)
        return f"picture {name}{pred}", f"picture-{stem}"

    def export(self) -> None:
        """Ask the engine to write the PNGs (or say there is nothing to export yet)."""
        built = self.figures()
        if built is None:
            self.tab.notify("Nothing to export yet: select a layer first.", title="Export")
            return
        name, figures = built
        options = self.tab.options
        folder = (
            str(Path(options.checkpoint).parent) if options.checkpoint else options.config.run_dir
        )
        self.tab.engine.want(PURPOSE, "export", name=name, fallback_dir=folder, figures=figures)

    def got_export(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        paths = list(payload.get("paths", []))
        self.tab.exported = paths
        self.tab.notify("\n".join(paths), title=f"Wrote {len(paths)} PNG(s)", timeout=8)
