"""A model whose modules are declared in another order than ``forward`` calls them, for 1x28x28
images; its stages live in a ModuleList that is never called itself."""

from __future__ import annotations

import torch
from torch import nn


def stage(c_in: int, c_out: int) -> nn.Sequential:
    """conv 3x3 (stride 2) -> batch norm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


class Reordered(nn.Module):
    """Declared head, pool, stages, stem; called stem, stages[1], stages[0], pool, head.

    stem 1->8 at 28x28; stages[1] 8->16 to 14x14; stages[0] 16->32 to 7x7; global average pool;
    linear to ``num_classes``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.head = nn.Linear(32, num_classes)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.stages = nn.ModuleList([stage(16, 32), stage(8, 16)])
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.stages[0](self.stages[1](x))
        return self.head(torch.flatten(self.pool(x), 1))
