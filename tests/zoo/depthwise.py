"""A depthwise-separable network for 1x28x28 images: grouped and dilated convolutions, a stride
larger than the kernel, convolutions without bias, batch norm, max and average pooling."""

from __future__ import annotations

import torch
from torch import nn


class SeparableBlock(nn.Module):
    """Depthwise 3x3 conv (groups = channels, optional stride and dilation, no bias) -> BN ->
    ReLU6 -> pointwise 1x1 conv (no bias) -> BN -> ReLU6."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(
            c_in, c_in, 3, stride, padding=dilation, dilation=dilation, groups=c_in, bias=False
        )
        self.bn1 = nn.BatchNorm2d(c_in)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.act = nn.ReLU6()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.bn1(self.depthwise(x)))
        return self.act(self.bn2(self.pointwise(x)))


class DepthwiseNet(nn.Module):
    """stem 3x3 conv 1->16 (bias) at 28x28; grouped conv 16->32 (groups 4, dilation 2); two
    separable blocks (the second strided 2 and dilated 2: 14x14); a 1x1 conv with stride 2
    (stride > kernel, no bias: 7x7); 3x3 max-pool (stride 1); 2x2 average pool (3x3); global
    average pool; linear to ``num_classes``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, 16, 3, padding=1)
        self.grouped = nn.Conv2d(16, 32, 3, padding=2, dilation=2, groups=4)
        self.blocks = nn.Sequential(
            SeparableBlock(32, 32), SeparableBlock(32, 64, stride=2, dilation=2)
        )
        self.strided = nn.Conv2d(64, 64, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(64)
        self.max_pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.avg_pool = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.grouped(torch.relu(self.stem(x))))
        x = torch.relu(self.bn(self.strided(self.blocks(x))))
        x = self.gap(self.avg_pool(self.max_pool(x)))
        return self.fc(torch.flatten(x, 1))
