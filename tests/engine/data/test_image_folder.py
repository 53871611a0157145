"""Image folders: listing, split on disk or seeded hold-out, streaming decode, bad pictures."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import datasets, folder_decode
from engine.data.image_folder import HOLDOUT_FRACTION, holdout_count, scan_folder
from engine.data.image_tensors import channel_stats
from engine.errors import DataError
from tests.engine.data.shapes_folder import SHAPES, make_shapes_folder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_shapes_folder(tmp_path_factory.mktemp("data") / "shapes", per_class=20, size=24)


def _relative(items, root: Path) -> list[tuple[str, int]]:
    return [(path.relative_to(root).as_posix(), label) for path, label in items]


def test_holdout_is_stratified_and_seeded(shapes: Path, tmp_path: Path) -> None:
    listing = scan_folder(shapes)
    assert listing.classes == SHAPES and listing.split == "holdout" and len(listing) == 60
    held = round(HOLDOUT_FRACTION * 20)
    assert [label for _, label in listing.test] == [0] * held + [1] * held + [2] * held
    assert not {p for p, _ in listing.train} & {p for p, _ in listing.test}
    copy = shutil.copytree(shapes, tmp_path / "elsewhere")  # another path, same hold-out
    assert _relative(scan_folder(copy).test, copy) == _relative(listing.test, shapes)
    other_seed = scan_folder(shapes, seed=1)
    assert _relative(other_seed.test, shapes) != _relative(listing.test, shapes)


def test_holdout_counts() -> None:
    assert [holdout_count(n) for n in (1, 2, 3, 5, 10, 100)] == [0, 1, 1, 1, 2, 20]


def test_split_on_disk_is_used(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "split", per_class=8, size=16, split=True)
    (root / "test" / "circle" / ".ipynb_checkpoints").mkdir()
    (root / "train" / ".ipynb_checkpoints").mkdir()  # hidden: not a class
    listing = scan_folder(root)
    assert listing.split == "folders" and listing.classes == SHAPES
    assert len(listing.train) == 24 and len(listing.test) == 6
    assert all("/train/" in p.as_posix() for p, _ in listing.train)
    data = datasets.load_dataset(f"folder:{root}", (3, 16, 16))
    assert len(data.train) == 24 and len(data.test) == 6


def test_split_folders_must_have_the_same_classes(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "split", per_class=4, size=8, split=True)
    shutil.rmtree(root / "test" / "square")
    with pytest.raises(DataError) as caught:
        scan_folder(root)
    assert str(caught.value) == (
        f"{root / 'train'} has classes circle, square, triangle but {root / 'test'} has "
        "circle, triangle; give both splits the same class subfolders"
    )


def test_loaded_folder(shapes: Path) -> None:
    calls: list[tuple[int, int]] = []
    data = datasets.load_dataset(f"folder:{shapes}", progress=lambda d, t: calls.append((d, t)))
    assert data.classes == ("circle", "square", "triangle") and data.input_shape == (3, 32, 32)
    assert data.train.images.shape == (48, 3, 32, 32) and data.train.images.dtype == torch.uint8
    assert data.test.images.shape == (12, 3, 32, 32) and data.test.labels.tolist() == sorted(
        data.test.labels.tolist()
    )
    assert calls[0] == (0, 60) and calls[-1] == (60, 60) and data.warning == ""
    assert data.name == f"folder:{shapes}"


def test_pixels_are_the_picture_resized(shapes: Path) -> None:
    data = datasets.load_dataset(f"folder:{shapes}", (3, 24, 24))  # the pictures' own size
    first = scan_folder(shapes).train[0][0]
    assert np.array_equal(
        data.train.images[0].permute(1, 2, 0).numpy(), np.asarray(Image.open(first))
    )
    grey = datasets.load_dataset(f"folder:{shapes}", (1, 12, 20))
    assert grey.train.images.shape == (48, 12, 20)
    expected = Image.open(first).convert("L").resize((20, 12), Image.Resampling.BILINEAR)
    assert np.array_equal(grey.train.images[0].numpy(), np.asarray(expected))


def test_mean_and_std_are_the_training_splits_per_channel(shapes: Path) -> None:
    data = datasets.load_dataset(f"folder:{shapes}", (3, 24, 24))
    x = data.train.images.to(torch.float64) / 255
    assert np.allclose(data.mean, x.mean(dim=(0, 2, 3)).numpy(), atol=1e-9)
    assert np.allclose(data.std, x.std(dim=(0, 2, 3), unbiased=False).numpy(), atol=1e-9)
    assert len(set(data.mean)) == 3  # measured per channel, not one value
    assert channel_stats(data.train.images) == (data.mean, data.std)


def test_progress_about_every_interval(shapes: Path, monkeypatch) -> None:
    monkeypatch.setattr(folder_decode, "PROGRESS_EVERY_S", 0.0)  # every batch
    monkeypatch.setattr(folder_decode, "BATCH", 10)
    calls: list[tuple[int, int]] = []
    datasets.load_dataset(f"folder:{shapes}", (3, 9, 9), progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert done == [0, 10, 20, 30, 40, 48, 58, 60, 60] and {t for _, t in calls} == {60}


def test_corrupt_pictures_are_skipped_and_named(tmp_path: Path, caplog) -> None:
    root = make_shapes_folder(tmp_path / "shapes", per_class=6, size=16)
    (root / "circle" / "bad.png").write_bytes(b"\x89PNG not really")
    good = (root / "square" / "square_0000.png").read_bytes()
    (root / "square" / "cut.png").write_bytes(good[: len(good) // 2])
    (root / "triangle" / "empty.jpg").write_bytes(b"")
    (root / "triangle" / "notes.txt").write_text("not a picture, not counted")
    with caplog.at_level(logging.WARNING, logger="engine.data.datasets"):
        data = datasets.load_dataset(f"folder:{root}", (3, 16, 16))
    assert len(data.train) + len(data.test) == 18 and len(data.skipped) == 3
    assert data.warning == (
        f"skipped 3 unreadable image(s) in {root}: circle/bad.png, square/cut.png, "
        "triangle/empty.jpg"
    )
    assert caplog.messages == [data.warning]


def test_many_corrupt_pictures_are_counted(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "shapes", per_class=4, size=8)
    for index in range(5):
        (root / "circle" / f"bad{index}.png").write_bytes(b"junk")
    data = datasets.load_dataset(f"folder:{root}", (3, 8, 8))
    assert data.warning.endswith("circle/bad0.png, circle/bad1.png, circle/bad2.png and 2 more")


def test_all_unreadable_is_refused(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.png").write_bytes(b"junk")
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(f"folder:{tmp_path}")
    assert str(caught.value) == (
        f"none of the 2 images in {tmp_path} could be read; pass a folder of PNG, JPEG or BMP "
        "pictures"
    )


def test_class_with_only_unreadable_pictures_is_refused(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "shapes", per_class=4, size=8)
    for path in (root / "square").iterdir():
        path.write_bytes(b"junk")
    with pytest.raises(DataError, match="class\\(es\\) square of .* have no readable training"):
        datasets.load_dataset(f"folder:{root}", (3, 8, 8))


def test_one_class_and_empty_folders_are_refused(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "shapes", per_class=3, size=8)
    for name in ("square", "triangle"):
        shutil.rmtree(root / name)
    with pytest.raises(DataError, match="has one class subfolder \\(circle\\)"):
        datasets.load_dataset(f"folder:{root}")
    shutil.rmtree(root / "circle")
    with pytest.raises(DataError, match="has no class subfolders"):
        datasets.load_dataset(f"folder:{root}")


def test_memory_budget_refuses_before_decoding(shapes: Path, monkeypatch) -> None:
    monkeypatch.setattr(datasets, "MEMORY_BUDGET_BYTES", 60 * 3 * 64 * 64 - 1)
    monkeypatch.setattr(folder_decode, "decode_picture", lambda *a: pytest.fail("decoded"))
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(f"folder:{shapes}", (3, 64, 64))
    assert str(caught.value).startswith(f"image folder {shapes}: 60 images at 3x64x64 need")
    assert "pass a smaller --input-shape (e.g. 3,64,64) or a folder with fewer" in str(caught.value)


def test_reloading_uses_the_cache_until_a_file_changes(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "shapes", per_class=4, size=8)
    first = datasets.load_dataset(f"folder:{root}", (3, 8, 8))
    calls: list[tuple[int, int]] = []
    assert (
        datasets.load_dataset(f"folder:{root}", (3, 8, 8), progress=lambda *c: calls.append(c))
        is first
    )
    assert calls == [(12, 12)]
    make_shapes_folder(root, per_class=5, size=8, seed=1)
    again = datasets.load_dataset(f"folder:{root}", (3, 8, 8))
    assert again is not first and len(again.train) + len(again.test) == 15


def test_unreadable_subfolder_is_one_line(tmp_path: Path, monkeypatch) -> None:
    root = make_shapes_folder(tmp_path / "shapes", per_class=2, size=8)

    def refuse(top, followlinks):  # what os.walk meets in a folder without read permission
        raise PermissionError(13, "Permission denied", str(top))

    monkeypatch.setattr("engine.data.image_folder.os.walk", refuse)
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(f"folder:{root}")
    assert str(caught.value) == (
        f"image folder {root} cannot be read (Permission denied: {root / 'circle'})"
    )
