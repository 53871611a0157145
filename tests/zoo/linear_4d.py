"""A Linear layer applied to a 4-D activation, mixing along its last axis, for 1x28x28 images."""

from __future__ import annotations

import torch
from torch import nn


class Linear4D(nn.Module):
    """conv 1->6 (3x3, padding 1) gives (N, 6, 28, 28); ``mix`` = Linear(28, 28) mixes each
    row of every map along the width (6 x 28 rows per image); then ReLU, 2x2 max-pool and a
    linear layer to ``num_classes``. The input must be 28 pixels wide.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 6, 3, padding=1)
        self.mix = nn.Linear(28, 28)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(6 * 14 * 14, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu(self.mix(self.conv(x))))
        return self.fc(torch.flatten(x, 1))
