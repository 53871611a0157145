"""engine.data.mnist: bundled files, IDX validation, torchvision layout, normalisation, batching."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.data import idx, mnist
from engine.errors import DataError


def test_bundled_checksums_match(mnist_dir: Path) -> None:
    results = idx.verify_checksums(mnist_dir)
    assert set(results) == {stem for pair in idx.SPLIT_FILES.values() for stem in pair}
    assert all(results.values())


def test_bundled_attribution_present(mnist_dir: Path) -> None:
    text = (mnist_dir / "README.md").read_text()
    assert "LeCun" in text and "CC BY-SA" in text


def test_splits_are_uint8_with_expected_shapes() -> None:
    train, test = mnist.load_split("train"), mnist.load_split("test")
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == torch.uint8
    assert test.images.shape == (10000, 28, 28) and test.labels.dtype == torch.int64
    assert set(test.labels.unique().tolist()) == set(range(10))


def test_normalize_uses_mnist_statistics() -> None:
    train = mnist.load_split("train")
    x = mnist.normalize(train.images[:20000])
    assert x.shape == (20000, 1, 28, 28) and x.dtype == torch.float32
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1.0) < 0.02


def test_batches_cover_split_once_and_shuffle_is_seeded() -> None:
    split = mnist.load_split("test").subset(1000)
    first = [y for _, y in mnist.batches(split, 64, shuffle=True, seed=1, epoch=0)]
    again = [y for _, y in mnist.batches(split, 64, shuffle=True, seed=1, epoch=0)]
    other = [y for _, y in mnist.batches(split, 64, shuffle=True, seed=1, epoch=1)]
    assert sum(len(y) for y in first) == 1000 and len(first[-1]) == 1000 % 64
    assert torch.equal(torch.cat(first), torch.cat(again))
    assert not torch.equal(torch.cat(first), torch.cat(other))
    assert torch.equal(torch.cat(first).sort().values, split.labels.sort().values)


def _copy_split(src: Path, dst: Path, raw: bool = False) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for stem in idx.SPLIT_FILES["test"]:
        if raw:
            (dst / stem).write_bytes(gzip.decompress((src / f"{stem}.gz").read_bytes()))
        else:
            shutil.copy(src / f"{stem}.gz", dst / f"{stem}.gz")


def test_torchvision_layout_and_raw_files(tmp_path: Path, mnist_dir: Path) -> None:
    _copy_split(mnist_dir, tmp_path / "MNIST" / "raw", raw=True)
    split = mnist.load_split("test", tmp_path)
    assert torch.equal(split.images, mnist.load_split("test").images)


def test_env_variable_overrides_location(tmp_path: Path, mnist_dir: Path, monkeypatch) -> None:
    _copy_split(mnist_dir, tmp_path)
    monkeypatch.setenv(idx.DATA_ENV, str(tmp_path))
    assert idx.resolve_data_dir() == tmp_path


def test_installed_location_is_found(tmp_path: Path, mnist_dir: Path, monkeypatch) -> None:
    installed = tmp_path / "share" / "cnn-tui" / "mnist"
    _copy_split(mnist_dir, installed)
    monkeypatch.setattr(idx.sys, "prefix", str(tmp_path))
    monkeypatch.setattr(idx, "__file__", str(tmp_path / "site" / "engine" / "idx.py"))
    assert idx.resolve_data_dir() == installed


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content))


def _labels_idx(labels: list[int]) -> bytes:
    return idx.LABEL_MAGIC.to_bytes(4, "big") + len(labels).to_bytes(4, "big") + bytes(labels)


def _images_idx(count: int, side: int = 28, extra: int = 0) -> bytes:
    dims = count.to_bytes(4, "big") + side.to_bytes(4, "big") + side.to_bytes(4, "big")
    return idx.IMAGE_MAGIC.to_bytes(4, "big") + dims + bytes(count * side * side + extra)


@pytest.mark.parametrize(
    ("images", "labels", "fragment"),
    [
        (_images_idx(2), _labels_idx([1, 2])[:-1], "bytes, expected"),
        (_images_idx(2, extra=5), _labels_idx([1, 2]), "bytes, expected"),
        (_images_idx(2), b"\x00\x00\x09\x99" + _labels_idx([1, 2])[4:], "magic number"),
        (_images_idx(2, side=32), _labels_idx([1, 2]), "32x32"),
        (_images_idx(2), _labels_idx([1, 12]), "outside 0-9"),
        (_images_idx(3), _labels_idx([1, 2]), "3 images but"),
    ],
)
def test_bad_idx_files_give_one_line_errors(
    tmp_path: Path, images: bytes, labels: bytes, fragment: str
) -> None:
    image_stem, label_stem = idx.SPLIT_FILES["test"]
    _write(tmp_path / f"{image_stem}.gz", images)
    _write(tmp_path / f"{label_stem}.gz", labels)
    with pytest.raises(DataError) as info:
        mnist.load_split("test", tmp_path)
    message = str(info.value)
    assert fragment in message and "\n" not in message and "--data-dir" in message


def test_missing_and_truncated_gzip(tmp_path: Path, mnist_dir: Path) -> None:
    with pytest.raises(DataError, match="is missing"):
        mnist.load_split("test", tmp_path)
    image_stem, label_stem = idx.SPLIT_FILES["test"]
    shutil.copy(mnist_dir / f"{label_stem}.gz", tmp_path)
    whole = (mnist_dir / f"{image_stem}.gz").read_bytes()
    (tmp_path / f"{image_stem}.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="truncated or not valid gzip"):
        mnist.load_split("test", tmp_path)


def test_valid_small_files_parse(tmp_path: Path) -> None:
    image_stem, label_stem = idx.SPLIT_FILES["test"]
    _write(tmp_path / f"{image_stem}.gz", _images_idx(2))
    _write(tmp_path / f"{label_stem}.gz", _labels_idx([3, 9]))
    split = mnist.load_split("test", tmp_path)
    assert len(split) == 2 and split.labels.tolist() == [3, 9]
    assert np.asarray(split.images).sum() == 0


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        idx.resolve_data_dir(tmp_path / "nope")
