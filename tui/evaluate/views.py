"""What the Evaluate tab draws, from engine payloads (numpy only): overlays, titles, exports.

Every picture (gallery thumbnails, saliency, Grad-CAM, occlusion, activation maximisation) goes
to the shared ``HeatmapGrid``; the confusion matrix is drawn by ``tui.evaluate.matrix``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.render.maps import scale_maps
from tui.class_names import are_digits, cut_name, name_of
from tui.widgets.fit_text import SEPARATOR

TITLE_NAME = 6  # cells for each class name in a gallery thumbnail's title

# Each view's keys, most needed first (a narrow line drops the last ones; ? lists them all);
# "x export" comes before the keys a person also finds in the footer, so 80 columns keep it.
KEY_HELP = {
    "matrix": "arrows move · enter images of the cell · w all mistakes · a act-max · "
    "x export · u update",
    "gallery": "arrows select · enter explain · x export · n/p page · i inspector · esc back",
    "digit": "m method · g Grad-CAM layer · x export · i inspector · esc back",
    "actmax": "g classes/conv layers · [ ] page · x export · esc back",
}


def key_parts(view: str) -> list[str]:
    """The view's key help as parts, most needed first."""
    return KEY_HELP[view].split(SEPARATOR)


# --------------------------------------------------------------------------- pictures


def scaled(values: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """One map scaled to [0, 1] on its own range (centred on 0 when ``symmetric``)."""
    return scale_maps(np.asarray(values, dtype=np.float32)[None], symmetric=symmetric).values[0]


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


def digit_title(item: dict[str, Any] | None, names: Sequence[str] | None = None) -> str:
    """ "#123 7→2 93%" (true → predicted, confidence); with class names, names first, each
    cut to ``TITLE_NAME`` cells: "Sneak…→Sandal✗ #12 93%"."""
    if not item:
        return ""
    true, pred = name_of(names, item.get("label")), name_of(names, item.get("pred"))
    if not are_digits(names):  # the classes first, cut alike, so a thumbnail's width shows both
        true, pred = cut_name(true, TITLE_NAME), cut_name(pred, TITLE_NAME)
    mark = "" if item.get("label") == item.get("pred") else "✗"
    confidence = item.get("confidence")
    percent = "" if confidence is None else f" {100 * confidence:.0f}%"
    percent = " !NaN" if percent and not np.isfinite(confidence) else percent
    if not are_digits(names):
        return f"{true}→{pred}{mark} #{item.get('index')}{percent}"
    return f"#{item.get('index')} {true}→{pred}{mark}{percent}"


def gallery_images(payload: dict[str, Any]) -> tuple[np.ndarray, bool]:
    """(images, rgb): the page's pictures uint8 (N, H, W) grey, or (N, H, W, 3) in colour
    from (N, 3, H, W) colour samples (CIFAR-10, image folders)."""
    images = np.asarray(payload.get("images"), dtype=np.uint8)
    if images.ndim == 4 and images.shape[1] == 3:
        return np.ascontiguousarray(np.moveaxis(images, 1, -1)), True
    if images.ndim == 4 and images.shape[1] == 1:
        return images[:, 0], False
    return images, False


def gallery_maps(
    payload: dict[str, Any], names: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """The page's pictures (see :func:`gallery_images`) and their titles (class names)."""
    images, _ = gallery_images(payload)
    return images, [digit_title(item, names) for item in payload.get("items", [])]


def gallery_caption(payload: dict[str, Any], names: Sequence[str] | None = None) -> str:
    true, pred = payload.get("true"), payload.get("pred")
    true_name = "any" if true is None else name_of(names, true)
    pred_name = "any" if pred is None else name_of(names, pred)
    what = "digit" if are_digits(names) else "image"
    which = (
        f"every misclassified {what}"
        if true is None and pred is None
        else f"true {true_name}, predicted {pred_name}"
    )
    return (
        f"{which}: {payload.get('total', 0):,} {what}s · page {payload.get('page', 0) + 1}/"
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


def matrix_export(
    evaluation: dict[str, Any], subject: str = "", names: Sequence[str] | None = None
) -> dict[str, Any]:
    """Export op arguments for the matrix view: the labelled confusion matrix PNG (counts in
    the cells, titled with ``subject``, e.g. model and run, and the accuracy; ``labels``: the
    class names), the counts and the metrics as CSV (rows and columns named by class)."""
    confusion = np.asarray(evaluation["confusion"])
    right = int(evaluation.get("count", 0)) - int(evaluation.get("wrong", 0))
    title = (
        f"{evaluation.get('split', 'test')} accuracy {evaluation.get('accuracy', 0):.2%} "
        f"({right:,}/{int(evaluation.get('count', 0)):,})"
    )
    per_class = evaluation["per_class"]
    classes = range(len(confusion))  # digits stay numbers in the CSV
    labels = list(classes) if are_digits(names) else [name_of(names, c) for c in classes]
    rows = [[labels[t], *confusion[t].tolist(), per_class[t]] for t in range(len(confusion))]
    summary = [{k: evaluation[k] for k in ("split", "count", "loss", "accuracy", "wrong")}]
    header = ["true", *labels, "accuracy"]
    matrix = {"matrix": confusion, "title": f"{subject} · {title}".strip(" ·")}
    if not are_digits(names):  # for the PNG's axes (engine.render.export)
        matrix["labels"] = labels
    return {
        "confusion": {"matrix": matrix},
        "tables": {"matrix": {"header": header, "rows": rows}, "metrics": summary},
    }


def gallery_export(gallery: dict[str, Any], names: Sequence[str] | None = None) -> dict[str, Any]:
    """The gallery page as a grid PNG (colour pictures as their grey luminance: the grid
    export draws one value per pixel) and its items as CSV with the class names."""
    images, rgb = gallery_images(gallery)
    if rgb:
        images = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    items = [
        {**item, "true_name": name_of(names, item.get("label")),
         "pred_name": name_of(names, item.get("pred"))}
        for item in gallery["items"]
    ]  # fmt: skip
    return {"grids": {"digits": images / 255.0}, "cmap": "gray", "tables": {"digits": items}}


def digit_export(digit: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The digit view's overlay figures (one PNG per method: the digit, the true and the
    predicted class's overlay, colour bars, how to read it) and its facts as CSV."""
    from engine.render.attribution_figure import attribution_figure

    first = digit["saliency"]
    info = {k: first.get(k) for k in ("index", "label", "pred", "confidence")}
    names = first.get("classes")
    if not are_digits(names):  # the names beside the indices
        info.update(true_name=name_of(names, info["label"]), pred_name=name_of(names, info["pred"]))
    figures = {method: attribution_figure(payload) for method, payload in digit.items()}
    what = "digit" if are_digits(names) else "image"
    return {
        "figures": figures,
        "tables": {what: [{**info, "gradcam_layer": digit["gradcam"].get("layer")}]},
    }


def digit_hint(digit: dict[str, dict[str, Any]], names: Sequence[str] | None = None) -> str:
    """The digit view's status line: an empty or non-finite Grad-CAM's note, else what the
    panels compare (classes by name: the payload's ``classes``, else ``names``), or that
    they are coming."""
    note = gradcam_note(digit.get("gradcam"))
    if note:
        return note
    first = next(iter(digit.values()), None)
    if first is None:
        return "explaining…"
    names = first.get("classes") or names
    true, pred = name_of(names, first.get("label")), name_of(names, first.get("pred"))
    if first.get("label") == first.get("pred"):
        return f"true class {true} = predicted: one map per method; K = the class explained"
    return f"left: true class {true} · right: predicted {pred} · K = the class explained"


def next_item(items: list[str], current: str | None) -> str:
    """The item after ``current`` (wrapping), or the first when ``current`` is not there."""
    return items[(items.index(current) + 1) % len(items)] if current in items else items[0]


def export_subject(app: Any) -> str:
    """ "tiny · runs/x": the loaded model's name and the run folder, for exported titles."""
    try:
        info = app.main.query("Inspector").first().state.info
    except Exception:  # no screen or inspector yet: the title goes without the model
        info = {}
    return " · ".join(filter(None, [str(info.get("name") or ""), export_folder(app) or ""]))


def export_done(paths: list[str], folder: str) -> str:
    """ "Exported actmax-classes-panels.png, actmax-classes-actmax.csv to runs/x/exports"."""
    return f"Exported {', '.join(Path(path).name for path in paths)} to {folder}"


def export_folder(app: Any) -> str | None:
    """Where exports go when the engine has no training run: the opened checkpoint's folder,
    else the --run-dir of the app's options."""
    options = getattr(app, "options", None)
    checkpoint = getattr(options, "checkpoint", None)
    if checkpoint:
        return str(Path(checkpoint).parent)
    return getattr(getattr(options, "config", None), "run_dir", None)
