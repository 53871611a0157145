"""engine.data.datasets.load_dataset for the MNISTs, fitting to shapes, normalize per channel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from engine.data import datasets, idx, mnist
from engine.data.image_tensors import fit_images
from engine.errors import DataError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_mnist_is_the_bundled_split_with_its_published_statistics() -> None:
    data = datasets.load_dataset("mnist")
    assert data.name == "mnist" and data.classes == tuple("0123456789")
    assert data.input_shape == (1, 28, 28)
    assert data.mean == (idx.MNIST_MEAN,) and data.std == (idx.MNIST_STD,)
    assert data.test.images is mnist.load_split("test").images  # no copy of the cached split
    assert data.train.images.shape == (60000, 28, 28)


def test_mnist_reads_data_dir(tmp_path: Path, mnist_dir: Path) -> None:
    for pair in idx.SPLIT_FILES.values():
        for stem in pair:
            shutil.copy(mnist_dir / f"{stem}.gz", tmp_path)
    assert len(datasets.load_dataset("mnist", data_dir=tmp_path).test) == 10000
    with pytest.raises(DataError, match="does not exist"):
        datasets.load_dataset("mnist", data_dir=tmp_path / "nope")
    # data_dir is MNIST's folder: Fashion-MNIST stays the bundled copy
    fashion = datasets.load_dataset("fashion-mnist", data_dir=tmp_path)
    assert fashion.classes[0] == "T-shirt/top"


def test_mnist_fitted_to_rgb_and_a_larger_size() -> None:
    data = datasets.load_dataset("mnist", (3, 32, 32))
    assert data.test.images.shape == (10000, 3, 32, 32) and data.mean == (idx.MNIST_MEAN,) * 3
    digit = mnist.load_split("test").images[0]
    assert torch.equal(data.test.images[0, 1], data.test.images[0, 0])
    assert data.test.images[0].float().mean().item() == pytest.approx(
        digit.float().mean().item(), rel=0.05
    )


@pytest.mark.parametrize("shape", [(2, 28, 28), (3, 0, 28)])
def test_bad_input_shapes_are_one_line(shape: tuple[int, int, int]) -> None:
    with pytest.raises(DataError, match="images have 1 or 3 channels"):
        datasets.load_dataset("mnist", shape)


def test_fit_images_keeps_what_fits_and_converts_grey() -> None:
    images = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8)
    assert fit_images(images, (3, 8, 8)) is images
    grey = fit_images(images, (1, 8, 8))
    luma = (images.double() * torch.tensor([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1).double()).sum(
        1
    )
    assert grey.shape == (5, 8, 8) and (grey.double() - luma).abs().max() <= 0.5
    small = fit_images(torch.full((2, 8, 8), 200, dtype=torch.uint8), (3, 4, 4))
    assert small.shape == (2, 3, 4, 4) and bool((small == 200).all())


def test_normalize_accepts_one_channel_and_floats_as_before() -> None:
    images = torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8)
    old = (images.unsqueeze(1).float() / 255 - idx.MNIST_MEAN) / idx.MNIST_STD
    assert torch.allclose(mnist.normalize(images), old, atol=1e-6)
    assert torch.allclose(
        mnist.normalize(images, (idx.MNIST_MEAN,), (idx.MNIST_STD,)), old, atol=1e-6
    )


def test_normalize_per_channel() -> None:
    images = torch.randint(0, 256, (4, 3, 6, 5), dtype=torch.uint8)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    x = mnist.normalize(images, mean, std, torch.channels_last)
    for c in range(3):
        expected = (images[:, c].float() / 255 - mean[c]) / std[c]
        assert torch.allclose(x[:, c], expected, atol=1e-6)
    assert x.shape == (4, 3, 6, 5) and x.is_contiguous(memory_format=torch.channels_last)
    same = mnist.normalize(images, (0.5,) * 3, (0.2,) * 3)
    assert torch.allclose(same, (images.float() / 255 - 0.5) / 0.2, atol=1e-6)


def test_image_split_is_the_same_class() -> None:
    assert mnist.ImageSplit is mnist.MnistSplit


def test_fitting_and_statistics_by_chunks_equal_all_at_once(monkeypatch) -> None:
    from engine.data import image_tensors

    images = torch.randint(0, 256, (7, 3, 10, 10), dtype=torch.uint8)
    whole = fit_images(images, (1, 6, 6)), image_tensors.channel_stats(images)
    monkeypatch.setattr(image_tensors, "CHUNK_BYTES", 4 * 3 * 10 * 10 * 2)  # two images a time
    assert image_tensors.chunk_size((3, 10, 10), (1, 6, 6)) == 2
    assert torch.equal(fit_images(images, (1, 6, 6)), whole[0])
    assert image_tensors.channel_stats(images) == whole[1]
