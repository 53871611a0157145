"""CIFAR-10 from python batches on disk, read by torchvision: fake batches in the real format."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.data import datasets
from engine.data.dataset_ref import CIFAR_FILES, dataset_classes
from engine.errors import DataError

pytestmark = pytest.mark.usefixtures("one_torch_thread")
NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
PER_BATCH = 4


def _batch(seed: int, count: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "batch_label": f"fake batch {seed}",
        "data": rng.integers(0, 256, size=(count, 3072), dtype=np.uint8),  # rows: R, G, B planes
        "labels": [int(v) for v in rng.integers(0, 10, size=count)],
        "filenames": [f"img{seed}_{i}.png" for i in range(count)],
    }


@pytest.fixture
def cifar(tmp_path: Path, monkeypatch) -> Path:
    """A parent folder holding cifar-10-batches-py with 5 x 4 train and 5 test images, and
    torchvision's CIFAR10 listing these files' MD5s (its real reading path, no network)."""
    from torchvision.datasets import CIFAR10

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    contents = {f"data_batch_{i}": _batch(i, PER_BATCH) for i in range(1, 6)}
    contents["test_batch"] = _batch(0, 5)
    contents["batches.meta"] = {"label_names": NAMES, "num_cases_per_batch": PER_BATCH}
    md5 = {}
    for name, content in contents.items():
        (folder / name).write_bytes(pickle.dumps(content))
        md5[name] = hashlib.md5((folder / name).read_bytes()).hexdigest()
    monkeypatch.setattr(
        CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)]
    )
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    return tmp_path


def test_reads_batches_from_the_parent_or_the_folder(cifar: Path) -> None:
    for path in (cifar, cifar / "cifar-10-batches-py"):
        data = datasets.load_dataset(f"cifar10:{path}")
        assert data.classes == tuple(NAMES) and data.input_shape == (3, 32, 32)
        assert dataset_classes(f"cifar10:{path}") == data.classes  # the names, unloaded
        assert data.train.images.shape == (20, 3, 32, 32) and data.test.images.shape == (
            5,
            3,
            32,
            32,
        )
        assert data.train.images.dtype == torch.uint8 and data.test.labels.dtype == torch.int64


def test_pixels_and_labels_are_the_batches(cifar: Path) -> None:
    data = datasets.load_dataset(f"cifar10:{cifar}")
    batch = pickle.loads((cifar / "cifar-10-batches-py" / "test_batch").read_bytes())
    expected = torch.from_numpy(batch["data"].reshape(-1, 3, 32, 32))
    assert torch.equal(data.test.images, expected)
    assert data.test.labels.tolist() == batch["labels"]
    first = pickle.loads((cifar / "cifar-10-batches-py" / "data_batch_1").read_bytes())
    assert data.train.labels[:PER_BATCH].tolist() == first["labels"]


def test_mean_and_std_per_channel_from_the_training_split(cifar: Path) -> None:
    data = datasets.load_dataset(f"cifar10:{cifar}")
    x = data.train.images.to(torch.float64) / 255
    assert np.allclose(data.mean, x.mean(dim=(0, 2, 3)).numpy(), atol=1e-9)
    assert np.allclose(data.std, x.std(dim=(0, 2, 3), unbiased=False).numpy(), atol=1e-9)


def test_a_renamed_batches_folder_is_read(cifar: Path) -> None:
    renamed = cifar / "my-cifar"
    (cifar / "cifar-10-batches-py").rename(renamed)
    assert len(datasets.load_dataset(f"cifar10:{renamed}").train) == 20


def test_fitted_to_grey_and_another_size(cifar: Path) -> None:
    grey = datasets.load_dataset(f"cifar10:{cifar}", (1, 28, 28))
    assert grey.train.images.shape == (20, 28, 28) and len(grey.mean) == 1


def test_path_without_the_batches(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(f"cifar10:{tmp_path}")
    assert str(caught.value).startswith(f"cifar10:{tmp_path} lacks {', '.join(CIFAR_FILES)}")


def test_a_file_failing_its_checksum_is_named(cifar: Path) -> None:
    bad = cifar / "cifar-10-batches-py" / "data_batch_3"
    bad.write_bytes(bad.read_bytes()[:-10])
    with pytest.raises(DataError) as caught:
        datasets.load_dataset(f"cifar10:{cifar}")
    message = str(caught.value)
    assert message.startswith(f"cifar10: {bad} is not CIFAR-10's data_batch_3 (its MD5 is not ")
    assert "\n" not in message


def test_never_downloads(cifar: Path, monkeypatch) -> None:
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "download", lambda self: pytest.fail("tried to download"))
    assert len(datasets.load_dataset(f"cifar10:{cifar}").test) == 5
