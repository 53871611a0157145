"""The text ``python -m engine interpret`` prints: the digit and each explained class's map as
terminal heatmaps side by side, each with its legend (numeric range), and one summary line."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.render.attribution_figure import entry_range, method_title
from engine.render.colormap import COLORMAPS, GRAY
from engine.render.terminal import format_value, heatmap_lines, legend

GAP = "   "


def _block(title: str, lines: list[str], width: int) -> list[str]:
    """A titled column ``width`` cells wide (the title cut to fit)."""
    return [title[:width].ljust(width), *lines]


def _scaled(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    span = hi - lo if hi > lo else 1.0
    return np.clip((np.nan_to_num(values, nan=lo) - lo) / span, 0.0, 1.0)


def _map_block(entry: dict[str, Any], mode: str) -> list[str]:
    values = np.asarray(entry["values"], dtype=np.float64)
    width = values.shape[1]
    lo, hi = entry_range(entry)
    if lo is None or hi is None:  # signed: symmetric about 0
        top = max(abs(entry["range"][0]), abs(entry["range"][1])) or 1.0
        lo, hi = -top, top
    lut = COLORMAPS[entry["cmap"]]
    lines = heatmap_lines(_scaled(values, lo, hi), lut, mode)
    lines += legend(lo, hi, lut, mode, width)
    title = f"class {entry.get('class_label', entry['target'])} ({entry['role']})"
    return _block(title, lines, width)


def _side_by_side(blocks: list[list[str]], widths: list[int]) -> list[str]:
    height = max(len(b) for b in blocks)
    rows = []
    for i in range(height):
        cells = [b[i] if i < len(b) else " " * w for b, w in zip(blocks, widths, strict=True)]
        rows.append(GAP.join(cells).rstrip())
    return rows


def _named(index: Any, names: tuple[str, ...]) -> str:
    """``7`` for a digit class (or no names), ``2 triangle`` for a named one."""
    if index is None or not 0 <= int(index) < len(names) or names[int(index)] == str(index):
        return str(index)
    return f"{index} {names[int(index)]}"


def _thing(names: tuple[str, ...]) -> str:
    """What a sample is called: a digit for MNIST's classes, else an image."""
    return "digit" if not names or names == tuple(str(d) for d in range(10)) else "image"


def interpret_lines(payload: dict[str, Any], model: str, mode: str) -> list[str]:
    """The lines to print for an ``attribute`` payload (see ``engine.cli.interpret``)."""
    image = np.asarray(payload["image"], dtype=np.float64)
    image = image.mean(axis=0) if image.ndim == 3 else image
    names = tuple(payload.get("classes") or ())
    digit = _block(f"the {_thing(names)}", heatmap_lines(image / 255.0, GRAY, mode), image.shape[1])
    blocks, widths = [digit], [image.shape[1]]
    for entry in payload["maps"]:
        blocks.append(_map_block(entry, mode))
        widths.append(np.asarray(entry["values"]).shape[1])
    entry = payload["maps"][-1]
    where = f"layer {payload['layer']}" if payload["method"] == "gradcam" else "over the input"
    true, pred = _named(payload["label"], names), _named(payload["pred"], names)
    head = (
        f"{model} · {method_title(payload)} · test {_thing(names)} #{payload['index']}: true "
        f"{true}, predicted {pred} (p={payload['confidence']:.2f})"
    )
    summary = (
        f"target {entry.get('class_label', entry['target'])} (p={entry['probability']:.2f}) · "
        f"prediction {pred} · {where} · range {format_value(entry['range'][0])}.."
        f"{format_value(entry['range'][1])}"
    )
    notes = list(dict.fromkeys(payload.get("how_to_read", [])))
    if payload.get("same"):
        notes.insert(0, "true class = predicted class: one map")
    return [head, *_side_by_side(blocks, widths), summary, *notes]
