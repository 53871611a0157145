"""Issue 15, after a fresh try: the ``load`` reply carries the dataset's line on skipped
unreadable images (``data_warning``) so the app can say it, not only engine.log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.process.workbench import Workbench

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def shapes_folder(root: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests" / "engine" / "data"))
    try:
        from shapes_folder import make_shapes_folder
    finally:
        sys.path.pop(0)
    return make_shapes_folder(root, 6, size=8)


def test_load_says_which_images_were_skipped(tmp_path: Path) -> None:
    root = shapes_folder(tmp_path / "shapes")
    (root / "circle" / "bad1.png").write_bytes(b"junk")
    (root / "square" / "trunc.png").write_bytes(b"\x89PNG\r\n")
    payload = Workbench().load(model="c4-p-f16", dataset=f"folder:{root}", input_shape=(3, 8, 8))
    assert payload["data_warning"] == (
        f"skipped 2 unreadable image(s) in {root}: circle/bad1.png, square/trunc.png"
    )


def test_a_clean_folder_has_no_warning(tmp_path: Path) -> None:
    root = shapes_folder(tmp_path / "shapes")
    payload = Workbench().load(model="c4-p-f16", dataset=f"folder:{root}", input_shape=(3, 8, 8))
    assert "data_warning" not in payload and payload["classes"] == ["circle", "square", "triangle"]
