"""The PNG figure of an ``attribute`` payload (torch-free): the digit, then each explained
class's map over it in the perceptual colour map with opacity by strength and a colour bar.

Used by ``python -m engine interpret --png`` and by the Evaluate tab's export (x), so that the
file a script writes and the one the app writes are the same picture.
"""

from __future__ import annotations

from typing import Any

import numpy as np

METHOD_NAMES = {"saliency": "saliency", "gradcam": "Grad-CAM", "occlusion": "occlusion"}
# One line on how to read each method's picture ({k}: the class, {layer}: Grad-CAM's layer).
HOW_TO_READ = {
    "saliency": "bright = pixels whose change moves class {k}'s score most",
    "gradcam": "where layer {layer}'s features argue for {k}",
    "occlusion": "drop in p({k}) when a 6x6 patch here is blanked; negative = the patch "
    "argued against {k}",
}


def how_to_read(
    method: str, target: Any = "K", layer: str | None = None, upsampled: bool | None = None
) -> str:
    """The one-line reading guide of ``method`` for class ``target`` ("K": each panel's);
    Grad-CAM's adds "(coarse, upsampled)" when its layer's map was smaller than the input
    (``upsampled``; None: not known yet, nothing said)."""
    text = HOW_TO_READ[method].format(k=target, layer=layer or "L")
    if method == "gradcam" and upsampled is not None:
        text += " (coarse, upsampled)" if upsampled else " (at the input's resolution)"
    return text


def is_upsampled(payload: dict[str, Any]) -> bool | None:
    """Whether a Grad-CAM payload's raw map (``layer_shape``, h x w) was smaller than the
    input-sized map drawn; None when the payload does not say."""
    shape, maps = payload.get("layer_shape"), payload.get("maps")
    if not shape or not maps:
        return None
    return tuple(int(s) for s in shape)[-2:] != np.asarray(maps[0]["values"]).shape[-2:]


def payload_how_to_read(payload: dict[str, Any], target: Any = "K") -> str:
    """``how_to_read`` for an ``attribute`` payload (its method, layer and map sizes)."""
    return how_to_read(payload["method"], target, payload.get("layer"), is_upsampled(payload))


def method_title(payload: dict[str, Any]) -> str:
    """ "saliency", "Grad-CAM relu2", "occlusion": the method, Grad-CAM with its layer."""
    name = METHOD_NAMES.get(payload.get("method", ""), str(payload.get("method")))
    layer = payload.get("layer") if payload.get("method") == "gradcam" else None
    return f"{name} {layer}" if layer else name


def named_truth(payload: dict[str, Any]) -> tuple[str, str, str]:
    """(true, predicted, "digit" | "image"): the payload's classes by name (its ``classes``;
    the digits stay numbers, and the sample is then a "digit", else an "image")."""
    names = [str(n) for n in payload.get("classes") or ()]
    digits = all(n == str(i) for i, n in enumerate(names))

    def name(index: Any) -> str:
        ok = index is not None and 0 <= int(index) < len(names)
        return names[int(index)] if ok else str(index)

    return name(payload.get("label")), name(payload.get("pred")), "digit" if digits else "image"


def entry_label(entry: dict[str, Any]) -> str:
    """ "class 7 (true) p=0.98": the explained class, its role and probability."""
    klass = entry.get("class_label", entry["target"])  # "2 triangle" for a named class
    return f"class {klass} ({entry['role']}) p={entry['probability']:.2f}"


def entry_range(entry: dict[str, Any]) -> tuple[float | None, float | None]:
    """The colour range of a map: from 0 for a map without negatives (so colour and opacity
    both grow from 0); None (symmetric about 0) for a signed one."""
    if entry.get("cmap") == "diverging":
        return None, None
    lo, hi = entry["range"]
    return min(0.0, float(lo)), float(hi)


def attribution_figure(payload: dict[str, Any], model: str = "", run: str = "") -> dict[str, Any]:
    """``save_figure`` arguments as plain values: {"panels": [panel fields], "title",
    "caption"}; panels: the digit (grey), then one overlay per explained class."""
    image = np.asarray(payload["image"], dtype=np.float32)
    image = image.mean(axis=0) if image.ndim == 3 else image
    digit01 = image / 255.0
    true, pred, what = named_truth(payload)
    panels: list[dict[str, Any]] = [
        {"values": digit01, "cmap": "grey", "lo": 0.0, "hi": 1.0, "label": f"the {what}"}
    ]
    for entry in payload["maps"]:
        values = np.asarray(entry["values"], dtype=np.float32)
        lo, hi = entry_range(entry)
        underlay = digit01 if digit01.shape == values.shape else None
        panels.append(
            {
                "values": values,
                "cmap": entry["cmap"],
                "lo": lo,
                "hi": hi,
                "label": entry_label(entry),
                "underlay": underlay,
                "alpha_by_strength": underlay is not None,
            }
        )
    where = " · ".join(part for part in (model, run) if part)
    title = (
        f"{method_title(payload)} of {payload.get('split', 'test')} {what} #{payload['index']}: "
        f"true {true}, predicted {pred} ({100 * payload['confidence']:.0f}%)"
    )
    title = f"{where} · {title}" if where else title
    maps = payload["maps"]
    target = maps[0]["target"] if len(maps) == 1 else "K (each panel's class)"
    notes = [payload_how_to_read(payload, target)]
    if payload.get("same"):
        notes.insert(0, "true class = predicted class: one map")
    return {"panels": panels, "title": title, "caption": "; ".join(notes)}
