"""One 3x3 conv called three times (shared weights) at shrinking sizes, for 1x28x28 images."""

from __future__ import annotations

import torch
from torch import nn


class ReusedConv(nn.Module):
    """stem conv 1->8, then ``shared`` (8->8, 3x3) three times with max-pooling between
    (28x28, 14x14, 7x7), global average pool, and a linear layer to ``num_classes``.

    The layer table shows ``shared``, ``shared#2`` and ``shared#3``; its weights count once.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, 8, 3, padding=1)
        self.shared = nn.Conv2d(8, 8, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.stem(x))
        x = self.relu(self.shared(x))
        x = self.relu(self.shared(self.pool(x)))
        x = self.relu(self.shared(self.pool(x)))
        return self.fc(torch.flatten(self.gap(x), 1))
