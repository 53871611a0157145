"""What the Evaluate tab draws, from engine payloads (numpy only): overlays, titles, exports.

Every picture (gallery thumbnails, saliency, Grad-CAM, occlusion, activation maximisation) goes
to the shared ``HeatmapGrid``; the confusion matrix is drawn by ``tui.evaluate.matrix``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.render.colormap import COLORMAPS, apply
from engine.render.maps import scale_maps
from tui.widgets.fit_text import SEPARATOR, Part

OVERLAY_ALPHA = 0.6
# Each view's keys, most needed first (a narrow line drops the last ones; ? lists them all).
KEY_HELP = {
    "matrix": "arrows move · enter digits of the cell · w all mistakes · a act-max · "
    "u update · x export",
    "gallery": "arrows select · n/p page · enter explain · i inspector · esc back · x export",
    "digit": "g Grad-CAM layer · v true/predicted class · i inspector · esc back · x export",
    "actmax": "[ ] channel · g layer · esc back · x export",
}

DIGIT_HELP = (
    "bright = the pixels and places that raise the score of {target}; occlusion: "
    "red where covering the digit lowers p({target}), blue where it raises it"
)
# The same legend shorter, for narrower lines: the occlusion colours are kept longest, as they
# are the part of the picture that cannot be read without it.
DIGIT_HELP_PARTS = (
    Part("bright: raises the score of {target}", 0),
    Part("occlusion: red = covering lowers p({target}), blue = raises it", 1),
)


def key_parts(view: str) -> list[str]:
    """The view's key help as parts, most needed first."""
    return KEY_HELP[view].split(SEPARATOR)


def digit_help(target: Any) -> tuple[str, list[Part]]:
    """The digit view's legend: the full sentence, then its parts (for narrow lines)."""
    parts = [Part(p.text.format(target=target), p.priority) for p in DIGIT_HELP_PARTS]
    return DIGIT_HELP.format(target=target), parts


# --------------------------------------------------------------------------- pictures


def scaled(values: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """One map scaled to [0, 1] on its own range (centred on 0 when ``symmetric``)."""
    return scale_maps(np.asarray(values, dtype=np.float32)[None], symmetric=symmetric).values[0]


def grey_rgb(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W) grey -> uint8 (H, W, 3)."""
    return np.repeat(np.asarray(image, dtype=np.uint8)[..., None], 3, axis=-1)


def heat_rgb(values01: np.ndarray, cmap: str = "sequential") -> np.ndarray:
    return apply(values01, COLORMAPS[cmap]).astype(np.uint8)


def overlay_rgb(
    image: np.ndarray, values01: np.ndarray, cmap: str = "sequential", alpha: float = OVERLAY_ALPHA
) -> np.ndarray:
    """The heat coloured by ``cmap`` blended over the grey digit, weighted by the heat itself
    so cold areas keep showing the digit."""
    grey = grey_rgb(image).astype(np.float32)
    heat = heat_rgb(values01, cmap).astype(np.float32)
    weight = alpha * np.clip(np.asarray(values01, dtype=np.float32), 0, 1)[..., None]
    if cmap == "diverging":  # both ends carry meaning: weight by the distance from the centre
        weight = alpha * np.clip(np.abs(values01 - 0.5) * 2, 0, 1)[..., None]
    return np.clip(grey * (1 - weight) + heat * weight, 0, 255).astype(np.uint8)


def digit_views(
    digit: dict[str, Any] | None,
    saliency: dict[str, Any] | None,
    gradcam: dict[str, Any] | None,
    occlusion: dict[str, Any] | None,
    ascii_mode: bool,
) -> tuple[np.ndarray, list[str]]:
    """RGB (4, H, W, 3) maps: digit, saliency and Grad-CAM over it, occlusion; with titles.

    In ASCII mode there is no colour to overlay with, so the heat is shown on its own.
    """
    image = np.asarray((digit or {}).get("image"), dtype=np.uint8)
    blank = np.zeros((*image.shape, 3), dtype=np.uint8)
    maps, titles = [grey_rgb(image)], [digit_title(digit)]
    for payload, key, cmap, title in (
        (saliency, "saliency", "sequential", "saliency"),
        (gradcam, "cam", "sequential", "Grad-CAM"),
        (occlusion, "sensitivity", "diverging", "occlusion"),
    ):
        if payload is None:
            maps.append(blank)
            titles.append(f"{title}…")
            continue
        values = scaled(payload[key], symmetric=cmap == "diverging")
        maps.append(heat_rgb(values, cmap) if ascii_mode else overlay_rgb(image, values, cmap))
        titles.append(title if key != "cam" else gradcam_title(payload))
    return np.stack(maps), titles


def gradcam_title(payload: dict[str, Any]) -> str:
    """ "Grad-CAM relu2", with " empty" when the map has no positive value to show."""
    empty = " empty" if payload.get("empty") else " !NaN" if payload.get("nonfinite") else ""
    return f"Grad-CAM {payload.get('layer', '')}{empty}"


def gradcam_note(payload: dict[str, Any] | None) -> str:
    """The status line's note on an empty Grad-CAM map ("" when there is something to see)."""
    if payload and payload.get("nonfinite"):
        return f"Grad-CAM of {payload.get('layer')} is not a number: the model gives NaN/inf"
    if not payload or not payload.get("empty"):
        return ""
    return (
        f"Grad-CAM of {payload.get('layer')} is empty: no place there raises the score of "
        f"{payload.get('target')}; g: another layer"
    )


def digit_title(item: dict[str, Any] | None) -> str:
    """ "#123 7→2 93%" (true → predicted, confidence)."""
    if not item:
        return ""
    mark = "" if item.get("label") == item.get("pred") else "✗"
    confidence = item.get("confidence")
    percent = "" if confidence is None else f" {100 * confidence:.0f}%"
    percent = " !NaN" if percent and not np.isfinite(confidence) else percent
    return f"#{item.get('index')} {item.get('label')}→{item.get('pred')}{mark}{percent}"


def gallery_maps(payload: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """The page's digits (N, 28, 28) uint8 and their titles."""
    images = np.asarray(payload.get("images"), dtype=np.uint8)
    return images, [digit_title(item) for item in payload.get("items", [])]


def gallery_caption(payload: dict[str, Any]) -> str:
    true, pred = payload.get("true"), payload.get("pred")
    which = (
        "every misclassified digit"
        if true is None and pred is None
        else (
            f"true {'any' if true is None else true}, predicted {'any' if pred is None else pred}"
        )
    )
    return (
        f"{which}: {payload.get('total', 0):,} digits · page {payload.get('page', 0) + 1}/"
        f"{payload.get('pages', 1)}"
    )


def thumbnails_per_page(width: int, height: int, side: int = 14) -> int:
    """How many digits fit the area when drawn ``side`` pixels wide (the grid's shrunk size)."""
    cols = max(1, (width + 1) // (side + 1))
    rows = max(1, (height - 1) // (side // 2 + 1))
    return max(4, min(40, cols * rows))


# ----------------------------------------------------------------------------- matrix


def cell_values(confusion: np.ndarray) -> np.ndarray:
    """Colour positions in [0, 1]: log(1 + count) over log(1 + the largest count)."""
    counts = np.asarray(confusion, dtype=np.float64)
    top = np.log1p(counts.max()) if counts.size and counts.max() > 0 else 1.0
    return np.log1p(counts) / top


# ------------------------------------------------------------------------ text and exports


def actmax_caption(payload: dict[str, Any]) -> str:
    return (
        f"{payload['layer']} channel {payload['channel'] + 1}/{payload['channels']}: mean "
        f"activation {payload['start']:.3g} (noise) → {payload['end']:.3g}"
    )


def matrix_export(evaluation: dict[str, Any]) -> dict[str, Any]:
    """Export op arguments for the matrix view: the heatmap, the counts and the metrics."""
    confusion = np.asarray(evaluation["confusion"])
    per_class = evaluation["per_class"]
    rows = [[true, *confusion[true].tolist(), per_class[true]] for true in range(len(confusion))]
    summary = [{k: evaluation[k] for k in ("split", "count", "loss", "accuracy", "wrong")}]
    header = ["true", *range(len(confusion)), "accuracy"]
    return {
        "heatmaps": {"matrix": cell_values(confusion)},
        "tables": {"matrix": {"header": header, "rows": rows}, "metrics": summary},
    }


def gallery_export(gallery: dict[str, Any]) -> dict[str, Any]:
    images, _ = gallery_maps(gallery)
    return {
        "grids": {"digits": images / 255.0},
        "cmap": "gray",
        "tables": {"digits": gallery["items"]},
    }


def digit_export(digit: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The three overlays of the digit view (occlusion on the diverging map) and its facts."""
    first = digit["saliency"]
    image = np.asarray(first["image"], dtype=np.float32) / 255.0
    info = {k: first.get(k) for k in ("index", "label", "pred", "confidence", "target")}
    return {
        "overlays": {
            "saliency": (image, scaled(digit["saliency"]["saliency"])),
            "gradcam": (image, digit["gradcam"]["cam"]),
            "occlusion": (image, scaled(digit["occlusion"]["sensitivity"], True)),
        },
        "cmaps": {"occlusion": "diverging"},
        "tables": {"digit": [{**info, "gradcam_layer": digit["gradcam"].get("layer")}]},
    }


def actmax_export(payload: dict[str, Any]) -> dict[str, Any]:
    facts = {k: payload[k] for k in ("layer", "channel", "start", "end")}
    return {"heatmaps": {"image": scaled(payload["image"])}, "tables": {"activation": [facts]}}


def next_item(items: list[str], current: str | None) -> str:
    """The item after ``current`` (wrapping), or the first when ``current`` is not there."""
    return items[(items.index(current) + 1) % len(items)] if current in items else items[0]


def export_folder(app: Any) -> str | None:
    """Where exports go when the engine has no training run: the opened checkpoint's folder,
    else the --run-dir of the app's options."""
    options = getattr(app, "options", None)
    checkpoint = getattr(options, "checkpoint", None)
    if checkpoint:
        return str(Path(checkpoint).parent)
    return getattr(getattr(options, "config", None), "run_dir", None)
