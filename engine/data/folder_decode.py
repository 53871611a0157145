"""An image folder decoded in one streaming pass into preallocated uint8 tensors.

Each picture is opened, decoded (JPEGs at a reduced scale when much larger than the target,
Pillow's ``draft``), seen as a person sees it (``engine.data.images.as_seen``: orientation,
transparency over white), converted to the model's channels (L or RGB), resized to (H, W)
and copied into the split's tensor; only a few decoded pictures exist at any time. Decoding
runs on a few threads (Pillow releases the GIL while decoding). Unreadable files are skipped
and returned by path.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from engine.data.image_folder import FolderListing
from engine.data.images import as_seen
from engine.data.mnist import MnistSplit

Progress = Callable[[int, int], None]
PROGRESS_EVERY_S = 0.25
BATCH = 64  # pictures handed to the threads at a time (and the most decoded at once)
THREADS = max(1, min(8, os.cpu_count() or 1))
MAX_PIXELS = 89_478_485  # Pillow's decompression-bomb threshold; larger pictures are skipped


def decode_picture(path: Path, shape: tuple[int, int, int]) -> np.ndarray | None:
    """One picture as uint8 (C, H, W) for ``shape`` = (C, H, W), or None if it cannot be read
    (not a picture, truncated, over MAX_PIXELS)."""
    from PIL import Image

    channels, height, width = shape
    mode = "L" if channels == 1 else "RGB"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's EXIF and bomb warnings: judged below
            with Image.open(path) as image:
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    return None
                image.draft(mode, (width * 2, height * 2))  # JPEG: decode at a smaller scale
                image.load()
                picture = as_seen(image).convert(mode)
        picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None
    pixels = np.array(picture, dtype=np.uint8)  # a writable copy for torch.from_numpy
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)


class _Ticker:
    """Calls progress(done, total) about every PROGRESS_EVERY_S seconds, and at the end."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.progress, self.done = total, progress, 0
        self.last = time.monotonic()
        if progress is not None:
            progress(0, total)

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.progress is not None and (now - self.last >= PROGRESS_EVERY_S):
            self.last = now
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)


def _decode_split(
    items: Sequence[tuple[Path, int]],
    shape: tuple[int, int, int],
    pool: ThreadPoolExecutor,
    ticker: _Ticker,
    skipped: list[Path],
) -> MnistSplit:
    images = torch.empty((len(items), *shape), dtype=torch.uint8)
    labels = torch.empty(len(items), dtype=torch.int64)
    filled = 0
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        for (path, label), pixels in zip(
            chunk, pool.map(lambda item: decode_picture(item[0], shape), chunk), strict=True
        ):
            if pixels is None:
                skipped.append(path)
                continue
            images[filled] = torch.from_numpy(pixels)
            labels[filled] = label
            filled += 1
        ticker.advance(len(chunk))
    if filled < len(items):  # skipped files: keep only what was decoded
        images, labels = images[:filled].clone(), labels[:filled].clone()
    return MnistSplit(images[:, 0] if shape[0] == 1 else images, labels)


def decode_folder(
    listing: FolderListing, shape: tuple[int, int, int], progress: Progress | None = None
) -> tuple[MnistSplit, MnistSplit, list[Path]]:
    """(train, test, skipped paths): each split uint8 (N, H, W) for one channel or
    (N, C, H, W), labels int64; ``progress(done, total)`` about every 0.25 s, at the start
    and at the end (total: the folder's picture count)."""
    ticker = _Ticker(len(listing), progress)
    skipped: list[Path] = []
    with ThreadPoolExecutor(THREADS, thread_name_prefix="decode") as pool:
        train = _decode_split(listing.train, shape, pool, ticker, skipped)
        test = _decode_split(listing.test, shape, pool, ticker, skipped)
    ticker.finish()
    return train, test, skipped
