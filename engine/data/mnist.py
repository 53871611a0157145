"""MNIST from IDX files into uint8 tensors, normalised and batched by slicing on the device."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from engine.data.idx import MNIST_MEAN, MNIST_STD, read_split, resolve_data_dir


@dataclass(frozen=True)
class MnistSplit:
    """One split held in memory: uint8 images, (N, H, W) for one channel (MNIST: 28x28) or
    (N, C, H, W) for colour, and labels (N,) int64 (class indices). Any dataset's split is
    one (``ImageSplit`` is the same class under a name that says so)."""

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


ImageSplit = MnistSplit


def load_split(split: str, data_dir: str | Path | None = None) -> MnistSplit:
    """Load 'train' or 'test' from data_dir (or the bundled copy), validated, as uint8 tensors."""
    return _split_tensors(resolve_data_dir(data_dir).resolve(), split)


@lru_cache(maxsize=4)
def _split_tensors(data_dir: Path, split: str) -> MnistSplit:
    images, labels = read_split(split, data_dir)
    return MnistSplit(torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)))


Stat = float | tuple[float, ...]


def normalize(
    images: torch.Tensor,
    mean: Stat = MNIST_MEAN,
    std: Stat = MNIST_STD,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> torch.Tensor:
    """uint8 (N, H, W) to float32 (N, 1, H, W), or (N, C, H, W) to float32 (N, C, H, W),
    scaled to [0, 1] then standardised: ``mean`` and ``std`` are one value for every channel
    or one per channel (a tuple of length 1 or C)."""
    x = (images.unsqueeze(1) if images.dim() == 3 else images).to(torch.float32).div_(255.0)
    mean, std = _scalar_if_same(mean), _scalar_if_same(std)
    if isinstance(mean, float) and isinstance(std, float):
        x = x.sub_(mean).div_(std)  # scalars: no device tensor, no host-device copy per batch
    else:
        x = x.sub_(_channel_tensor(mean, x.device)).div_(_channel_tensor(std, x.device))
    return x.contiguous(memory_format=memory_format)


def _scalar_if_same(value: Stat) -> Stat:
    """A float for a float or a tuple of equal values; the tuple (of floats) otherwise."""
    if isinstance(value, (int, float)):
        return float(value)
    values = tuple(float(v) for v in value)
    return values[0] if len(set(values)) == 1 else values


@lru_cache(maxsize=32)
def _channel_tensor(values: Stat, device: torch.device) -> torch.Tensor:
    """Per-channel values as a (1, C, 1, 1) float32 tensor on ``device``, made once."""
    return torch.tensor(values, dtype=torch.float32, device=device).reshape(1, -1, 1, 1)


def batches(
    split: MnistSplit, batch_size: int, *, shuffle: bool, seed: int = 0, epoch: int = 0
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """uint8 image and label batches sliced from the split (``batch_spans``: a last batch of
    one sample joins the one before); the order depends on seed and epoch."""
    count = len(split)
    if shuffle:
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = torch.randperm(count, generator=generator).to(split.images.device)
        images, labels = split.images[order], split.labels[order]
    else:
        images, labels = split.images, split.labels
    for start, end in batch_spans(count, batch_size):
        yield images[start:end], labels[start:end]


def batch_spans(count: int, batch_size: int) -> list[tuple[int, int]]:
    """(start, end) of each batch over ``count`` samples: full batches, then the rest.

    A rest of a single sample joins the batch before it (one batch of batch_size + 1): batch
    norm cannot train on one sample, and this way every sample is still trained on.
    """
    ends = list(range(batch_size, count, batch_size)) + ([count] if count else [])
    if batch_size > 1 and len(ends) > 1 and ends[-1] - ends[-2] == 1:
        del ends[-2]
    return list(zip([0, *ends], ends, strict=False))
