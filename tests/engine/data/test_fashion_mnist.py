"""The bundled Fashion-MNIST: checksums, licence, packaging, class names, shapes, statistics."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
import torch

from engine.data import datasets, idx
from engine.data.image_tensors import channel_stats

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def fashion_dir(repo_root: Path) -> Path:
    return repo_root / "data" / "fashion-mnist"


@pytest.fixture(scope="module")
def fashion() -> datasets.Dataset:
    return datasets.load_dataset("fashion-mnist")


def test_bundled_checksums_match(fashion_dir: Path) -> None:
    results = idx.verify_checksums(fashion_dir)
    assert set(results) == {stem for pair in idx.SPLIT_FILES.values() for stem in pair}
    assert all(results.values())


def test_licence_and_provenance_are_beside_the_files(fashion_dir: Path) -> None:
    licence = (fashion_dir / "LICENSE").read_text()
    assert (
        "MIT" in licence and "Zalando SE" in licence and "Permission is hereby granted" in licence
    )
    readme = (fashion_dir / "README.md").read_text()
    assert "dataset-fashion-mnist" in readme and "0.0~git20200523.55506a9-1" in readme
    for line in (fashion_dir / "SHA256SUMS").read_text().splitlines():
        assert line.split()[0] in readme  # the decompressed files' SHA-256, named


def test_wheel_data_files_list_every_bundled_file(fashion_dir: Path, repo_root: Path) -> None:
    pyproject = (repo_root / "pyproject.toml").read_text()
    listed = set(re.findall(r'"data/fashion-mnist/([^"]+)"', pyproject))
    assert listed == {p.name for p in fashion_dir.iterdir()}
    assert '"share/cnn-tui/fashion-mnist"' in pyproject


def test_installed_location_is_found(tmp_path: Path, fashion_dir: Path, monkeypatch) -> None:
    installed = tmp_path / "share" / "cnn-tui" / "fashion-mnist"
    installed.mkdir(parents=True)
    for stem in idx.SPLIT_FILES["test"]:
        (installed / f"{stem}.gz").write_bytes((fashion_dir / f"{stem}.gz").read_bytes())
    monkeypatch.setattr(idx.sys, "prefix", str(tmp_path))
    monkeypatch.setattr(idx, "__file__", str(tmp_path / "site" / "engine" / "data" / "idx.py"))
    assert idx.bundled_dir("fashion-mnist") == installed
    assert idx.bundled_dir("mnist") is None


def test_class_names_are_torchvisions(fashion: datasets.Dataset) -> None:
    from torchvision.datasets import FashionMNIST

    assert fashion.classes == tuple(FashionMNIST.classes)
    assert fashion.name == "fashion-mnist" and fashion.input_shape == (1, 28, 28)


def test_splits_have_the_published_shapes_and_balance(fashion: datasets.Dataset) -> None:
    assert fashion.train.images.shape == (60000, 28, 28)
    assert fashion.test.images.shape == (10000, 28, 28)
    assert fashion.train.images.dtype == torch.uint8 and fashion.test.labels.dtype == torch.int64
    assert torch.bincount(fashion.train.labels).tolist() == [6000] * 10
    assert torch.bincount(fashion.test.labels).tolist() == [1000] * 10


def test_it_is_not_mnist(fashion: datasets.Dataset) -> None:
    mnist = datasets.load_dataset("mnist")
    assert not torch.equal(fashion.test.images[:100], mnist.test.images[:100])


def test_published_mean_and_std_match_the_training_split(fashion: datasets.Dataset) -> None:
    (mean,), (std,) = channel_stats(fashion.train.images)
    assert fashion.mean == (datasets.FASHION_MEAN,) and fashion.std == (datasets.FASHION_STD,)
    assert abs(mean - datasets.FASHION_MEAN) < 5e-4 and abs(std - datasets.FASHION_STD) < 5e-4


def test_reads_as_torchvision_reads_it(tmp_path: Path, fashion_dir: Path, fashion) -> None:
    from torchvision.datasets import FashionMNIST

    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for pair in idx.SPLIT_FILES.values():
        for stem in pair:  # torchvision checks every file exists; it reads only the test pair
            test_file = stem.startswith("t10k")
            content = (
                gzip.decompress((fashion_dir / f"{stem}.gz").read_bytes()) if test_file else b""
            )
            (raw / stem).write_bytes(content)
    theirs = FashionMNIST(str(tmp_path), train=False, download=False)
    assert torch.equal(theirs.data, fashion.test.images)
    assert torch.equal(theirs.targets, fashion.test.labels)


def test_fitted_to_three_channels_and_another_size(fashion: datasets.Dataset) -> None:
    rgb = datasets.load_dataset("fashion-mnist", (3, 32, 32))
    assert rgb.train.images.shape == (60000, 3, 32, 32) and rgb.input_shape == (3, 32, 32)
    assert rgb.mean == (datasets.FASHION_MEAN,) * 3
    assert torch.equal(rgb.test.images[:, 0], rgb.test.images[:, 2])
    same = datasets.load_dataset("fashion-mnist", (1, 28, 28))
    assert same.test.images is fashion.test.images  # nothing to fit: the cached tensor itself


def test_fashion_dir_path_reads_another_copy(tmp_path: Path, fashion_dir: Path) -> None:
    for pair in idx.SPLIT_FILES.values():
        for stem in pair:
            (tmp_path / f"{stem}.gz").symlink_to(fashion_dir / f"{stem}.gz")
    other = datasets.load_dataset(f"fashion-mnist:{tmp_path}")
    assert other.classes[0] == "T-shirt/top" and len(other.test) == 10000
