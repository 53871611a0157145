"""uint8 image tensors fitted to a model's (C, H, W), and per-channel statistics of a split."""

from __future__ import annotations

import torch
import torch.nn.functional as F

CHUNK_BYTES = 64 << 20  # the float copy of the images converted at a time stays under this
# ITU-R 601-2 luma, the weights Pillow's convert("L") uses for RGB to grey
LUMA = (0.299, 0.587, 0.114)


def with_channels(images: torch.Tensor) -> torch.Tensor:
    """(N, H, W) as (N, 1, H, W); (N, C, H, W) as is (a view, no copy)."""
    return images.unsqueeze(1) if images.dim() == 3 else images


def chunk_size(*shapes: tuple[int, ...]) -> int:
    """How many images to convert at a time so that their float32 copy at the largest of
    ``shapes`` (C, H, W) stays under CHUNK_BYTES (at least one)."""
    largest = max(shape[0] * shape[1] * shape[2] for shape in shapes)
    return max(1, CHUNK_BYTES // (4 * largest))


def _fit_chunk(chunk: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    channels, height, width = shape
    x = chunk.to(torch.float32)
    if x.shape[1] == 3 and channels == 1:
        x = (x * torch.tensor(LUMA).reshape(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    elif x.shape[1] == 1 and channels == 3:
        x = x.expand(-1, 3, -1, -1)
    if tuple(x.shape[2:]) != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True)
    return x.round_().clamp_(0, 255).to(torch.uint8)


def fit_images(images: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """uint8 images (N, H, W) or (N, C, H, W) converted to ``shape`` = (C', H', W'): grey to
    RGB by repeating, RGB to grey by luma, resized bilinearly with antialiasing (aspect not
    kept, as torchvision's ``Resize((H, W))``). Returns uint8 (N, H', W') when C' is 1, else
    (N, C', H', W'); the input itself when nothing changes. Raises ValueError for channel
    counts other than 1 and 3."""
    channels = shape[0]
    source = with_channels(images)
    if channels not in (1, 3) or source.shape[1] not in (1, 3):
        raise ValueError(
            f"images have {source.shape[1]} channels, the model {channels}: use 1 or 3"
        )
    if tuple(source.shape[1:]) == tuple(shape):
        return images
    out = torch.empty((source.shape[0], *shape), dtype=torch.uint8)
    step = chunk_size(tuple(source.shape[1:]), shape)
    for start in range(0, source.shape[0], step):
        out[start : start + step] = _fit_chunk(source[start : start + step], shape)
    return out[:, 0] if channels == 1 else out


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation (population, i.e. over all N x H x W values)
    of uint8 images scaled to [0, 1]: ((m_1, ...), (s_1, ...)), one value per channel.
    Computed from each channel's histogram of the 256 values (exact, bounded memory, and
    faster than summing floats); a constant channel gets std 1 (normalising only shifts it)."""
    source = with_channels(images)
    counts = torch.zeros(source.shape[1], 256, dtype=torch.float64)
    step = chunk_size(tuple(source.shape[1:]))
    for start in range(0, source.shape[0], step):
        chunk = source[start : start + step]
        for channel in range(source.shape[1]):
            values = chunk[:, channel].reshape(-1)  # uint8: bincount takes it as is
            counts[channel] += torch.bincount(values, minlength=256).to(torch.float64)
    levels = torch.arange(256, dtype=torch.float64) / 255.0
    total = counts.sum(dim=1).clamp_(min=1)
    mean = (counts * levels).sum(dim=1) / total
    std = ((counts * levels.square()).sum(dim=1) / total - mean.square()).clamp_(min=0).sqrt()
    std = torch.where(std > 0, std, torch.ones_like(std))
    return tuple(mean.tolist()), tuple(std.tolist())
