"""Exports of what a view shows: PNG heatmaps and grids (torchvision) and metrics as CSV.

Everything lands in ``RUN_DIR/exports/`` under a name that never overwrites an earlier
export (``confusion.png``, ``confusion-2.png``, ...); each function returns the path written.
Heatmap values come in already scaled to [0, 1] (see ``engine.render.maps.scale_maps``) and are
coloured with the same lookup tables as the terminal (``engine.render.colormap``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision.utils import make_grid, save_image

from engine.errors import EngineError
from engine.render.colormap import COLORMAPS, apply

EXPORT_DIR = "exports"
HEATMAP_SCALE = 8  # a 28x28 map becomes a 224x224 picture
GRID_SCALE = 4
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ExportError(EngineError):
    """The export folder cannot be written, or the data to export is malformed."""


def export_dir(run_dir: str | Path) -> Path:
    """RUN_DIR/exports, created if needed; ExportError when it cannot be."""
    folder = Path(run_dir).expanduser() / EXPORT_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"cannot create {folder} ({exc.strerror or exc}); pass a writable --run-dir"
        ) from None
    return folder


def unique_path(folder: Path, stem: str, suffix: str) -> Path:
    """folder/stem.suffix, or stem-2, stem-3, ... when that exists already."""
    clean = SAFE_NAME.sub("-", stem).strip("-") or "export"
    path = folder / f"{clean}{suffix}"
    number = 2
    while path.exists():
        path = folder / f"{clean}-{number}{suffix}"
        number += 1
    return path


def colorize(values01: np.ndarray, cmap: str | np.ndarray = "sequential") -> torch.Tensor:
    """float (..., H, W) in [0, 1] -> float RGB tensor (..., 3, H, W) in [0, 1]."""
    lut = COLORMAPS[cmap] if isinstance(cmap, str) else np.asarray(cmap, dtype=np.uint8)
    rgb = apply(np.asarray(values01, dtype=np.float32), lut)  # (..., H, W, 3) uint8
    tensor = torch.from_numpy(np.ascontiguousarray(rgb)).float().div(255.0)
    return tensor.movedim(-1, -3)


def _enlarge(images: torch.Tensor, scale: int) -> torch.Tensor:
    """Nearest-neighbour upscaling of (..., C, H, W) so single pixels stay crisp squares."""
    if scale <= 1:
        return images
    return images.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)


def _as_maps(values01: np.ndarray) -> np.ndarray:
    array = np.asarray(values01, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[0] == 0:
        raise ExportError(f"maps to export must be (H, W) or (N, H, W), got {array.shape}")
    return array


def save_heatmap(
    values01: np.ndarray,
    path: str | Path,
    cmap: str | np.ndarray = "sequential",
    scale: int = HEATMAP_SCALE,
) -> Path:
    """One (H, W) map as a PNG of (H * scale) x (W * scale) pixels."""
    maps = _as_maps(values01)
    save_image(_enlarge(colorize(maps[0], cmap), scale), str(path))
    return Path(path)


def save_grid(
    maps01: np.ndarray,
    path: str | Path,
    cmap: str | np.ndarray = "sequential",
    nrow: int = 8,
    scale: int = GRID_SCALE,
    padding: int = 2,
) -> Path:
    """(N, H, W) maps tiled ``nrow`` per row with ``padding`` pixels between, as one PNG."""
    maps = _as_maps(maps01)
    tiles = _enlarge(colorize(maps, cmap), scale)
    grid = make_grid(tiles, nrow=max(1, int(nrow)), padding=padding, pad_value=1.0)
    save_image(grid, str(path))
    return Path(path)


def save_overlay(
    image01: np.ndarray,
    heat01: np.ndarray,
    path: str | Path,
    cmap: str | np.ndarray = "sequential",
    alpha: float = 0.5,
    scale: int = HEATMAP_SCALE,
) -> Path:
    """A heatmap blended over a grey picture of the same H x W (saliency, Grad-CAM)."""
    grey = colorize(_as_maps(image01)[0], "gray")
    heat = colorize(_as_maps(heat01)[0], cmap)
    if grey.shape != heat.shape:
        raise ExportError(
            f"overlay needs equal sizes, got {tuple(grey.shape[-2:])} and {tuple(heat.shape[-2:])}"
        )
    save_image(_enlarge((1 - alpha) * grey + alpha * heat, scale), str(path))
    return Path(path)


def save_csv(
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    path: str | Path,
    header: Sequence[str] | None = None,
) -> Path:
    """Rows of dicts (columns in first-seen order) or of lists (with ``header``) as CSV."""
    rows = list(rows)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        if rows and isinstance(rows[0], Mapping):
            columns = list(dict.fromkeys(k for row in rows for k in row))  # type: ignore[union-attr]
            writer.writerow(columns)
            writer.writerows([[_cell(row.get(c)) for c in columns] for row in rows])  # type: ignore[union-attr]
        else:
            if header:
                writer.writerow(header)
            writer.writerows([[_cell(v) for v in row] for row in rows])
    return Path(path)


def _cell(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return "" if value is None else value


def export_view(
    run_dir: str | Path,
    name: str,
    *,
    heatmaps: Mapping[str, np.ndarray] | None = None,
    grids: Mapping[str, np.ndarray] | None = None,
    overlays: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    tables: Mapping[str, Any] | None = None,
    cmap: str = "sequential",
    cmaps: Mapping[str, str] | None = None,
    figures: Mapping[str, Mapping[str, Any]] | None = None,
    confusion: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    """Write a view's pictures and tables as ``NAME-PART.png`` / ``.csv``; returns the paths.

    ``heatmaps``: part -> (H, W) in [0, 1]; ``grids``: part -> (N, H, W); ``overlays``:
    part -> (image, heat); ``tables``: part -> rows (dicts) or {"header", "rows"}. Pictures
    use ``cmap``, or ``cmaps[part]`` when given. ``figures``: part -> {"panels": [FigurePanel
    fields as dicts], "title", "caption", optional "columns"} (``engine.render.figures``, with
    colour bars);
    ``confusion``: part -> {"matrix": (N, N) counts, "title", optional "labels": N class
    names for the axes} (``engine.render.confusion_png``).
    """
    folder = export_dir(run_dir)
    written: list[Path] = []

    def png(part: str) -> tuple[Path, str]:
        return unique_path(folder, f"{name}-{part}", ".png"), (cmaps or {}).get(part, cmap)

    for part, values in (heatmaps or {}).items():
        written.append(save_heatmap(values, *png(part)))
    for part, values in (grids or {}).items():
        written.append(save_grid(values, *png(part)))
    for part, (image, heat) in (overlays or {}).items():
        written.append(save_overlay(image, heat, *png(part)))
    written += _figure_parts(folder, name, figures or {}, confusion or {})
    for part, table in (tables or {}).items():
        path = unique_path(folder, f"{name}-{part}", ".csv")
        if isinstance(table, Mapping):
            written.append(save_csv(table.get("rows", []), path, table.get("header")))
        else:
            written.append(save_csv(table, path))
    if not written:
        raise ExportError("nothing to export: the view has no data yet")
    return [str(p) for p in written]


def _figure_parts(
    folder: Path,
    name: str,
    figures: Mapping[str, Mapping[str, Any]],
    confusion: Mapping[str, Mapping[str, Any]],
) -> list[Path]:
    """The readable PNGs of a view: figures with colour bars and the labelled confusion matrix."""
    from engine.render.confusion_png import save_confusion_png
    from engine.render.figures import FigurePanel, save_figure

    written = []
    for part, spec in figures.items():
        panels = [FigurePanel(**panel) for panel in spec.get("panels", [])]
        path = unique_path(folder, f"{name}-{part}", ".png")
        title, caption = spec.get("title", ""), spec.get("caption", "")
        written.append(save_figure(path, panels, title, caption, columns=spec.get("columns")))
    for part, spec in confusion.items():
        path = unique_path(folder, f"{name}-{part}", ".png")
        labels = spec.get("labels")  # class names for the axes (None: the numbers)
        matrix, title = np.asarray(spec["matrix"]), spec.get("title", "")
        written.append(save_confusion_png(path, matrix, title, labels))
    return written
