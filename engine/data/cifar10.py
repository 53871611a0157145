"""CIFAR-10's python batches already on disk, read with torchvision (never downloaded).

Every batch file is checked against the MD5 torchvision lists for it before any is read
(the batches are pickles: only the genuine files are unpickled); a file that fails names
itself in one line.
"""

from __future__ import annotations

from pathlib import Path

import torch

from engine.data.dataset_ref import CIFAR_HINT, cifar_batches_dir, cifar_problem
from engine.data.mnist import MnistSplit
from engine.errors import DataError


def _reader(folder: Path) -> type:
    """torchvision's CIFAR10 reading from ``folder`` whatever its name (torchvision expects
    ``ROOT/cifar-10-batches-py``; a renamed copy is read the same way)."""
    from torchvision.datasets import CIFAR10

    return type("FolderCIFAR10", (CIFAR10,), {"base_folder": folder.name})


def _check_files(reader: type, folder: Path) -> None:
    from torchvision.datasets.utils import check_integrity

    listed = [*reader.train_list, *reader.test_list, (reader.meta["filename"], reader.meta["md5"])]
    for name, md5 in listed:
        if not check_integrity(str(folder / name), md5):
            raise DataError(
                f"cifar10: {folder / name} is not CIFAR-10's {name} (its MD5 is not {md5}: "
                f"truncated or another file); {CIFAR_HINT}"
            )


def _split(dataset: object) -> MnistSplit:
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()  # type: ignore[attr-defined]
    return MnistSplit(images, torch.tensor(dataset.targets, dtype=torch.int64))  # type: ignore[attr-defined]


def load_cifar10(path: Path) -> tuple[MnistSplit, MnistSplit, tuple[str, ...]]:
    """(train, test, class names) from the ``cifar-10-batches-py`` folder or its parent:
    uint8 (N, 3, 32, 32) images (50,000 and 10,000), int64 labels, names from batches.meta.

    Raises DataError (one line) when files are missing or fail torchvision's checksums."""
    if problem := cifar_problem(path):
        raise DataError(problem)
    folder = cifar_batches_dir(path)
    reader = _reader(folder)
    _check_files(reader, folder)
    try:
        train = reader(str(folder.parent), train=True, download=False)
        test = reader(str(folder.parent), train=False, download=False)
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        raise DataError(f"cifar10:{path} cannot be read ({exc}); {CIFAR_HINT}") from None
    return _split(train), _split(test), tuple(str(name) for name in train.classes)
