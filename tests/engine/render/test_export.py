"""engine.render.export: PNG sizes and colours read back with PIL, CSV rows, names, the export
op."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from engine.errors import EngineError
from engine.process.workbench import Workbench
from engine.render import export
from engine.render.colormap import SEQUENTIAL


def ramp(height: int, width: int) -> np.ndarray:
    return np.linspace(0, 1, height * width, dtype=np.float32).reshape(height, width)


def test_heatmap_png_size_and_colours(tmp_path: Path) -> None:
    values = ramp(28, 20)
    path = export.save_heatmap(values, tmp_path / "map.png", "sequential", scale=8)
    with Image.open(path) as image:
        assert image.size == (20 * 8, 28 * 8) and image.mode == "RGB"
        pixels = np.asarray(image)
    # each source pixel is an 8x8 square coloured through the terminal's lookup table
    for row, col in ((0, 0), (27, 19), (13, 7)):
        expected = SEQUENTIAL[int(np.floor(values[row, col] * 255 + 0.5))]
        block = pixels[row * 8 : (row + 1) * 8, col * 8 : (col + 1) * 8]
        assert (np.abs(block.astype(int) - expected.astype(int)) <= 1).all()


def test_grid_png_follows_make_grid_layout(tmp_path: Path) -> None:
    maps = np.random.default_rng(0).random((10, 5, 5)).astype(np.float32)
    path = export.save_grid(maps, tmp_path / "grid.png", "diverging", nrow=4, scale=4, padding=2)
    with Image.open(path) as image:
        # 4 columns and 3 rows of 20x20 tiles, 2 pixels of padding around each
        assert image.size == (4 * (20 + 2) + 2, 3 * (20 + 2) + 2)
        pixels = np.asarray(image)
    assert (pixels[0, :] == 255).all()  # white padding


def test_overlay_png_and_size_mismatch(tmp_path: Path) -> None:
    image = ramp(28, 28)
    path = export.save_overlay(image, image[::-1], tmp_path / "over.png", scale=2)
    with Image.open(path) as picture:
        assert picture.size == (56, 56)
    with pytest.raises(EngineError, match="equal sizes"):
        export.save_overlay(image, ramp(7, 7), tmp_path / "bad.png")
    with pytest.raises(EngineError, match=r"\(H, W\) or \(N, H, W\)"):
        export.save_heatmap(np.zeros(5), tmp_path / "bad.png")


def test_csv_rows_from_dicts_and_lists(tmp_path: Path) -> None:
    rows = [{"epoch": 1, "test_acc": 0.912345678}, {"epoch": 2, "test_acc": 0.95, "lr": None}]
    path = export.save_csv(rows, tmp_path / "m.csv")
    with open(path, newline="") as handle:
        read = list(csv.reader(handle))
    assert read == [["epoch", "test_acc", "lr"], ["1", "0.912346", ""], ["2", "0.95", ""]]
    path = export.save_csv([[0, 3], [1, 4]], tmp_path / "l.csv", header=["class", "count"])
    with open(path, newline="") as handle:
        assert list(csv.reader(handle)) == [["class", "count"], ["0", "3"], ["1", "4"]]


def test_export_view_names_never_overwrite(tmp_path: Path) -> None:
    parts = {
        "heatmaps": {"matrix": ramp(10, 10)},
        "tables": {"counts": {"header": ["a", "b"], "rows": [[1, 2]]}},
    }
    first = export.export_view(tmp_path, "confusion", **parts)
    second = export.export_view(tmp_path, "confusion", **parts)
    folder = tmp_path / "exports"
    assert first == [str(folder / "confusion-matrix.png"), str(folder / "confusion-counts.csv")]
    assert second == [
        str(folder / "confusion-matrix-2.png"),
        str(folder / "confusion-counts-2.csv"),
    ]
    assert all(Path(p).is_file() for p in first + second)
    with pytest.raises(EngineError, match="nothing to export"):
        export.export_view(tmp_path, "empty")


def test_export_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(EngineError, match="cannot create") as info:
        export.export_dir(blocker)
    assert "\n" not in str(info.value)


def test_export_op_writes_into_the_run_directory(tmp_path: Path) -> None:
    wb = Workbench()
    wb.load(model="lenet5")
    with pytest.raises(EngineError, match="no run directory"):
        wb.export("saliency", heatmaps={"map": ramp(28, 28)})
    wb.state = SimpleNamespace(run_dir=str(tmp_path / "run"))
    out = wb.export(
        "saliency",
        overlays={"digit": (ramp(28, 28), ramp(28, 28).T)},
        grids={"kernels": np.zeros((6, 5, 5), np.float32)},
        cmap="diverging",
    )
    assert out["folder"] == str(tmp_path / "run" / "exports")
    assert [Path(p).name for p in out["paths"]] == ["saliency-kernels.png", "saliency-digit.png"]
    with Image.open(out["paths"][1]) as image:
        assert image.size == (28 * export.HEATMAP_SCALE, 28 * export.HEATMAP_SCALE)
