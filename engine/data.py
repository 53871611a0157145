"""MNIST from IDX files into uint8 tensors, normalised and batched by slicing on the device."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from engine.errors import DataError

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DATA_ENV = "CNN_TUI_DATA"
FIX_HINT = "restore the bundled copy from data/mnist/ or pass --data-dir DIR"


def default_data_dirs() -> list[Path]:
    """Where the bundled MNIST may be: the source checkout first, then the wheel's shared data."""
    checkout = Path(__file__).resolve().parents[1] / "data" / "mnist"
    installed = Path(sys.prefix) / "share" / "cnn-tui" / "mnist"
    return [checkout, installed]


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The folder to read MNIST from: the explicit one, $CNN_TUI_DATA, or the bundled copy."""
    explicit = data_dir or os.environ.get(DATA_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise DataError(
                f"data folder {path} does not exist; pass --data-dir with a folder "
                "holding the MNIST IDX files"
            )
        return path
    for candidate in default_data_dirs():
        if (candidate / (SPLIT_FILES["test"][0] + ".gz")).exists():
            return candidate
    raise DataError(
        "the bundled MNIST files were not found; reinstall cnn-tui or pass --data-dir DIR"
    )


def locate_file(data_dir: Path, stem: str) -> Path:
    """Find an IDX file as gzip or raw, directly in data_dir or in torchvision's MNIST/raw/."""
    for folder in (data_dir, data_dir / "MNIST" / "raw", data_dir / "raw"):
        for name in (stem + ".gz", stem):
            if (folder / name).is_file():
                return folder / name
    raise DataError(f"{data_dir / (stem + '.gz')} is missing; {FIX_HINT}")


def read_bytes(path: Path) -> bytes:
    """The decompressed content of an IDX file."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path} is truncated or not valid gzip ({exc}); {FIX_HINT}") from None


def parse_idx(path: Path, content: bytes, magic: int) -> np.ndarray:
    """Validate an IDX header and body and return the array (uint8)."""
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(content) < 4 or int.from_bytes(content[:4], "big") != magic:
        found = content[:4].hex() or "nothing"
        raise DataError(f"{path} has magic number 0x{found}, expected 0x{magic:08x}; {FIX_HINT}")
    if len(content) < header:
        raise DataError(f"{path} is truncated inside its header; {FIX_HINT}")
    dims = [int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if ndim == 3 and dims[1:] != [28, 28]:
        raise DataError(f"{path} holds {dims[1]}x{dims[2]} images, expected 28x28; {FIX_HINT}")
    expected = header + int(np.prod(dims))
    if len(content) != expected:
        raise DataError(
            f"{path} is {len(content)} bytes, expected {expected} for shape {dims}; {FIX_HINT}"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(dims)


@dataclass(frozen=True)
class MnistSplit:
    """One split held in memory: images (N, 28, 28) uint8 and labels (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def to(self, device: torch.device | str) -> MnistSplit:
        """The same split on another device, still uint8."""
        return MnistSplit(self.images.to(device), self.labels.to(device))

    def subset(self, count: int | None) -> MnistSplit:
        """The first ``count`` samples (all of them when count is None)."""
        if count is None or count >= len(self):
            return self
        return MnistSplit(self.images[:count], self.labels[:count])


@lru_cache(maxsize=4)
def _load_split_cached(data_dir: Path, split: str) -> MnistSplit:
    image_stem, label_stem = SPLIT_FILES[split]
    image_path, label_path = locate_file(data_dir, image_stem), locate_file(data_dir, label_stem)
    images = parse_idx(image_path, read_bytes(image_path), IMAGE_MAGIC)
    labels = parse_idx(label_path, read_bytes(label_path), LABEL_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{image_path} holds {len(images)} images but {label_path} holds "
            f"{len(labels)} labels; {FIX_HINT}"
        )
    if labels.size and int(labels.max()) > 9:
        raise DataError(f"{label_path} has label {int(labels.max())}, outside 0-9; {FIX_HINT}")
    return MnistSplit(torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)))


def load_split(split: str, data_dir: str | Path | None = None) -> MnistSplit:
    """Load 'train' or 'test' from data_dir (or the bundled copy), validated, as uint8 tensors."""
    if split not in SPLIT_FILES:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")
    return _load_split_cached(resolve_data_dir(data_dir).resolve(), split)


def normalize(
    images: torch.Tensor,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> torch.Tensor:
    """uint8 (N, 28, 28) to float32 (N, 1, 28, 28), scaled to [0, 1] then standardised."""
    x = images.unsqueeze(1).to(torch.float32).div_(255.0).sub_(mean).div_(std)
    return x.contiguous(memory_format=memory_format)


def batches(
    split: MnistSplit, batch_size: int, *, shuffle: bool, seed: int = 0, epoch: int = 0
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """uint8 image and label batches sliced from the split; the order depends on seed and epoch."""
    count = len(split)
    if shuffle:
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = torch.randperm(count, generator=generator).to(split.images.device)
        images, labels = split.images[order], split.labels[order]
    else:
        images, labels = split.images, split.labels
    for start in range(0, count, batch_size):
        yield images[start : start + batch_size], labels[start : start + batch_size]


def verify_checksums(data_dir: str | Path) -> dict[str, bool]:
    """For each file in SHA256SUMS, whether its decompressed content has that SHA-256."""
    folder = Path(data_dir)
    results = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        path = locate_file(folder, name)
        results[name] = hashlib.sha256(read_bytes(path)).hexdigest() == digest
    return results
