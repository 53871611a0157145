"""Torch-free MNIST IDX files: where they are, how they are validated, their uint8 arrays.

Files are read header first and streamed: the header says how many bytes follow, so a file
claiming more than it can hold, or holding more than it claims, is refused before (or while)
reading, never after decompressing everything into memory.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import sys
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

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
# Deflate cannot expand data by more than about 1032:1, so a gzip of N bytes holds at most
# this many times N bytes; a header claiming more is refused without decompressing anything.
MAX_GZIP_RATIO = 1100
# More items than any MNIST-style set holds (EMNIST's largest split has 697,932): a header
# claiming more is refused before a byte of its body is read (1,000,000 28x28 images: 784 MB).
MAX_ITEMS = 1_000_000
CHUNK_BYTES = 1 << 22
READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


def default_data_dirs(name: str = "mnist") -> list[Path]:
    """Where a bundled data set (``mnist``, ``fashion-mnist``) may be: the source checkout
    first, then the wheel's shared data."""
    checkout = Path(__file__).resolve().parents[2] / "data" / name
    installed = Path(sys.prefix) / "share" / "cnn-tui" / name
    return [checkout, installed]


def bundled_dir(name: str) -> Path | None:
    """The folder of the bundled IDX data set ``name`` (its test images are there), or None."""
    for candidate in default_data_dirs(name):
        if (candidate / (SPLIT_FILES["test"][0] + ".gz")).exists():
            return candidate
    return None


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The folder to read MNIST from: the explicit one, $CNN_TUI_DATA, or the bundled copy."""
    explicit = data_dir or os.environ.get(DATA_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        check_data_folder(path)
        return path
    for candidate in default_data_dirs():
        if (candidate / (SPLIT_FILES["test"][0] + ".gz")).exists():
            return candidate
    raise DataError(
        "the bundled MNIST files were not found; reinstall cnn-tui or pass --data-dir DIR"
    )


def data_folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a data folder (it is missing, or a file), as one line, or None."""
    if path.is_dir():
        return None
    if path.exists():
        return f"{path} is a file, not a folder; pass the folder holding the four MNIST IDX files"
    return (
        f"data folder {path} does not exist; pass --data-dir with a folder holding the MNIST "
        "IDX files"
    )


def check_data_folder(path: Path) -> None:
    """DataError (data_folder_problem's line) unless ``path`` is a folder."""
    problem = data_folder_problem(path)
    if problem:
        raise DataError(problem)


def find_file(data_dir: Path, stem: str) -> Path | None:
    """An IDX file as gzip or raw, directly in data_dir or in torchvision's MNIST/raw/; None."""
    for folder in (data_dir, data_dir / "MNIST" / "raw", data_dir / "raw"):
        for name in (stem + ".gz", stem):
            if (folder / name).is_file():
                return folder / name
    return None


def missing_files(data_dir: Path) -> list[str]:
    """The stems of the four MNIST IDX files (train, then test) that ``data_dir`` lacks."""
    stems = [stem for pair in SPLIT_FILES.values() for stem in pair]
    return [stem for stem in stems if find_file(data_dir, stem) is None]


def locate_file(data_dir: Path, stem: str) -> Path:
    """Find an IDX file (find_file); DataError if data_dir is not a folder or lacks it."""
    check_data_folder(data_dir)
    found = find_file(data_dir, stem)
    if found is None:
        raise DataError(f"{data_dir / (stem + '.gz')} is missing; {FIX_HINT}")
    return found


def _unreadable(path: Path, exc: BaseException) -> DataError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return DataError(f"{path} is truncated or not valid gzip ({reason}); {FIX_HINT}")


@contextmanager
def open_content(path: Path) -> Iterator[tuple[BinaryIO, bool]]:
    """(a stream of the decompressed content, whether the file is gzip); DataError if unopenable."""
    try:
        handle = path.open("rb")
        compressed = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    with handle:
        yield (gzip.GzipFile(fileobj=handle) if compressed else handle), compressed  # type: ignore[misc]


def _read_up_to(path: Path, stream: BinaryIO, size: int) -> bytearray:
    """At most ``size`` bytes (a small count: a header field, a chunk), fewer only at the end
    of the stream."""
    buffer = bytearray(size)
    return buffer[: _fill(path, stream, buffer)]


@dataclass(frozen=True)
class IdxHeader:
    """An IDX file's validated header: its dimensions and the body size they promise."""

    path: Path
    dims: tuple[int, ...]

    @property
    def header_size(self) -> int:
        """Bytes of magic number and dimensions."""
        return 4 + 4 * len(self.dims)

    @property
    def body_size(self) -> int:
        """Bytes of uint8 values the dimensions promise."""
        return math.prod(self.dims)


def read_header(path: Path, stream: BinaryIO, compressed: bool, magic: int) -> IdxHeader:
    """Read and check an IDX header (magic, 28x28 images, a plausible size); DataError if bad."""
    ndim = magic & 0xFF
    head = bytes(_read_up_to(path, stream, 4))
    if len(head) < 4 or int.from_bytes(head, "big") != magic:
        found = head.hex() or "nothing"
        raise DataError(f"{path} has magic number 0x{found}, expected 0x{magic:08x}; {FIX_HINT}")
    raw_dims = bytes(_read_up_to(path, stream, 4 * ndim))
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path} is truncated inside its header; {FIX_HINT}")
    dims = tuple(int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{path} holds {dims[1]}x{dims[2]} images, expected 28x28; {FIX_HINT}")
    if dims[0] > MAX_ITEMS:
        raise DataError(
            f"{path} claims {dims[0]:,} items, more than the {MAX_ITEMS:,} cnn-tui reads; "
            f"{FIX_HINT}"
        )
    header = IdxHeader(path, dims)
    _check_file_can_hold(header, compressed)
    return header


def _check_file_can_hold(header: IdxHeader, compressed: bool) -> None:
    """Refuse a file too small to hold what its header promises, before reading the body."""
    size = header.path.stat().st_size
    expected = header.header_size + header.body_size
    shape = list(header.dims)
    if not compressed and size != expected:
        raise DataError(
            f"{header.path} is {size} bytes, expected {expected} for shape {shape}; {FIX_HINT}"
        )
    if compressed and expected > size * MAX_GZIP_RATIO:
        raise DataError(
            f"{header.path} is {size} bytes of gzip, too small for the {expected} bytes its "
            f"header promises (shape {shape}); {FIX_HINT}"
        )


def _fill(path: Path, stream: BinaryIO, buffer: bytearray) -> int:
    """Read into ``buffer`` until it is full or the stream ends; the number of bytes read."""
    view, filled = memoryview(buffer), 0
    try:
        while filled < len(buffer):
            count = stream.readinto(view[filled : filled + CHUNK_BYTES])  # type: ignore[attr-defined]
            if not count:
                break
            filled += count
    except READ_ERRORS as exc:
        raise _unreadable(path, exc) from None
    return filled


def read_body(header: IdxHeader, stream: BinaryIO) -> np.ndarray:
    """The read-only uint8 array the header describes; DataError if the file holds fewer or
    more bytes. Memory: one buffer of the body's size, which the header check has bounded."""
    body = bytearray(header.body_size)
    filled = _fill(header.path, stream, body)
    expected = header.header_size + header.body_size
    shape = list(header.dims)
    if filled < header.body_size:
        size = header.header_size + filled
        raise DataError(
            f"{header.path} is {size} bytes, expected {expected} for shape {shape}; {FIX_HINT}"
        )
    if _read_up_to(header.path, stream, 1):
        raise DataError(
            f"{header.path} is over {expected} bytes, expected {expected} for shape {shape}; "
            f"{FIX_HINT}"
        )
    array = np.frombuffer(body, dtype=np.uint8).reshape(header.dims)
    array.flags.writeable = False
    return array


def read_idx(path: Path, magic: int) -> np.ndarray:
    """One IDX file (gzip or raw) as a uint8 array, header checked before the body is read."""
    with open_content(path) as (stream, compressed):
        return read_body(read_header(path, stream, compressed, magic), stream)


def _check_pair(split: str, images: IdxHeader, labels: IdxHeader) -> None:
    """Both headers read: refuse unequal counts and empty splits before reading any body."""
    count, label_count = images.dims[0], labels.dims[0]
    if count != label_count:
        raise DataError(
            f"{images.path} holds {count} images but {labels.path} holds "
            f"{label_count} labels; {FIX_HINT}"
        )
    if count == 0:
        raise DataError(f"{images.path} holds 0 images: the {split} split is empty; {FIX_HINT}")


@lru_cache(maxsize=8)  # MNIST and Fashion-MNIST, train and test
def _read_split_cached(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    image_stem, label_stem = SPLIT_FILES[split]
    image_path, label_path = locate_file(data_dir, image_stem), locate_file(data_dir, label_stem)
    with ExitStack() as stack:
        image_stream, image_gz = stack.enter_context(open_content(image_path))
        label_stream, label_gz = stack.enter_context(open_content(label_path))
        image_header = read_header(image_path, image_stream, image_gz, IMAGE_MAGIC)
        label_header = read_header(label_path, label_stream, label_gz, LABEL_MAGIC)
        _check_pair(split, image_header, label_header)
        labels = read_body(label_header, label_stream)
        if int(labels.max()) > 9:
            raise DataError(f"{label_path} has label {int(labels.max())}, outside 0-9; {FIX_HINT}")
        images = read_body(image_header, image_stream)
    return images, labels


def read_split(split: str, data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """'train' or 'test' as read-only uint8 arrays (N, 28, 28) and (N,), validated and cached.

    Raises DataError (one line) for a missing, truncated, oversized, mismatched or empty split.
    """
    if split not in SPLIT_FILES:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")
    return _read_split_cached(resolve_data_dir(data_dir).resolve(), split)


def content_sha256(path: Path) -> str:
    """SHA-256 of a file's decompressed content, hashed in chunks."""
    digest = hashlib.sha256()
    with open_content(path) as (stream, _):
        while chunk := _read_up_to(path, stream, CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksums(data_dir: str | Path) -> dict[str, bool]:
    """For each file in SHA256SUMS, whether its decompressed content has that SHA-256."""
    folder = Path(data_dir)
    results = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        results[name] = content_sha256(locate_file(folder, name)) == digest
    return results
