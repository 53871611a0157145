"""``kernels --png`` and ``featuremaps --png``: a layer's maps as a PNG figure with colour bars
and a caption (model, layer, input, scale), drawn by ``engine.render.figures``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import EngineError
from engine.render.figures import FigurePanel, save_figure
from engine.render.maps import map_ranges


class LayerPngError(EngineError):
    """--png names a file in a folder that does not exist."""


def check_png(path: str | None) -> None:
    """One line (exit 2) before any work when ``--png``'s folder does not exist."""
    if path and not Path(path).expanduser().parent.is_dir():
        folder = Path(path).expanduser().parent
        raise LayerPngError(f"--png {path}: folder {folder} does not exist; create it")


def layer_panels(
    maps: list[np.ndarray], titles: list[str], cmap: str, per_map: bool
) -> tuple[list[FigurePanel], str]:
    """One panel per map on a shared range (or each on its own) and the scale's words."""
    stack = np.stack([np.asarray(m, dtype=np.float64) for m in maps])
    symmetric = cmap == "diverging"
    lo, hi = map_ranges(stack.reshape(1, *stack.shape), symmetric=symmetric)[0]
    panels = [
        FigurePanel(m, cmap, None if per_map else lo, None if per_map else hi, label=t)
        for m, t in zip(maps, titles, strict=True)
    ]
    scale = "each map on its own scale" if per_map else f"shared scale {lo:.4g} .. {hi:.4g}"
    return panels, scale


def write_layer_png(
    path: str,
    maps: list[np.ndarray],
    titles: list[str],
    *,
    cmap: str,
    per_map: bool,
    title: str,
    caption: str,
    digit: np.ndarray | None = None,
) -> Path:
    """Write the figure (the input digit first when given, grey) and return its path."""
    panels, scale = layer_panels(maps, titles, cmap, per_map)
    if digit is not None:
        panels.insert(0, FigurePanel(digit, "grey", 0.0, 1.0, label="input"))
    return save_figure(path, panels, title, f"{caption} · {scale}")
