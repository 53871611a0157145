"""Torch-free MNIST IDX files: where they are, how they are validated, their uint8 arrays."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

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
    checkout = Path(__file__).resolve().parents[2] / "data" / "mnist"
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


@lru_cache(maxsize=4)
def _read_split_cached(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
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
    return images, labels


def read_split(split: str, data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """'train' or 'test' as read-only uint8 arrays (N, 28, 28) and (N,), validated and cached."""
    if split not in SPLIT_FILES:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")
    return _read_split_cached(resolve_data_dir(data_dir).resolve(), split)


def verify_checksums(data_dir: str | Path) -> dict[str, bool]:
    """For each file in SHA256SUMS, whether its decompressed content has that SHA-256."""
    folder = Path(data_dir)
    results = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        path = locate_file(folder, name)
        results[name] = hashlib.sha256(read_bytes(path)).hexdigest() == digest
    return results
