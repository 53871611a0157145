"""The tutorials' networks (two-block CNNs, LeNet-5, the dense baseline), built for any input
shape (C, H, W) and number of classes; 1x28x28 and 10 give the tutorials' own networks."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from engine.errors import ConfigError
from engine.models.spec import MAX_PARAMS, build_from_spec
from engine.models.spec_grammar import DEFAULT_INPUT

Shape = tuple[int, int, int]
Builder = Callable[[Shape, int], nn.Module]  # (input_shape, num_classes) -> model


@dataclass(frozen=True)
class TwoBlockCNNConfig:
    """Two conv/ReLU/max-pool blocks then a hidden dense layer, as in the first tutorials."""

    channels: tuple[int, int] = (16, 32)
    kernel: int = 3
    padding: int = 1
    hidden: int = 128


def _fitted(sides: tuple[int, int], shrink: Callable[[int], int], shape: Shape) -> int:
    """The flattened size after ``shrink`` maps each side; ConfigError (the reason, which
    the registry completes) when a side vanishes."""
    height, width = (shrink(side) for side in sides)
    if min(height, width) < 1:
        raise ConfigError(f"its maps of a {shape[1]}x{shape[2]} input shrink to nothing")
    return height * width


def _dense(features: int, units: int, shape: Shape) -> nn.Linear:
    """nn.Linear(features, units), refused in one line before allocating over MAX_PARAMS."""
    if features * units > MAX_PARAMS:
        raise ConfigError(
            f"its first dense layer would have {features * units:,} weights, over {MAX_PARAMS:,}"
        )
    return nn.Linear(features, units)


def two_block_cnn(
    cfg: TwoBlockCNNConfig, input_shape: Shape = DEFAULT_INPUT, num_classes: int = 10
) -> nn.Sequential:
    """conv1-relu1-pool1-conv2-relu2-pool2-flatten-fc1-relu3-fc2; ConfigError (one line) for
    an input whose maps shrink to nothing."""
    c1, c2 = cfg.channels
    k, pad = cfg.kernel, cfg.padding

    def shrink(side: int) -> int:
        return ((side + 2 * pad - k + 1) // 2 + 2 * pad - k + 1) // 2

    area = _fitted(input_shape[1:], shrink, input_shape)
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(input_shape[0], c1, k, padding=pad)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(c1, c2, k, padding=pad)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", _dense(c2 * area, cfg.hidden, input_shape)),
                ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(cfg.hidden, num_classes)),
            ]
        )
    )


def lenet5(input_shape: Shape = DEFAULT_INPUT, num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 style: 6@5x5 pad 2, pool, 16@5x5, pool, 400-120-84-10 (at 1x28x28)."""
    area = _fitted(input_shape[1:], lambda side: (side // 2 - 4) // 2, input_shape)
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(input_shape[0], 6, 5, padding=2)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(6, 16, 5)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", _dense(16 * area, 120, input_shape)),
                ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(120, 84)),
                ("relu4", nn.ReLU()),
                ("fc3", nn.Linear(84, num_classes)),
            ]
        )
    )


def mlp(
    input_shape: Shape = DEFAULT_INPUT,
    num_classes: int = 10,
    hidden: int = 512,
    dropout: float = 0.2,
) -> nn.Sequential:
    """The dense baseline 784-512-512-10 (at 1x28x28) with dropout after each hidden layer."""
    features = input_shape[0] * input_shape[1] * input_shape[2]
    return nn.Sequential(
        OrderedDict(
            [
                ("flatten", nn.Flatten()),
                ("fc1", _dense(features, hidden, input_shape)),
                ("relu1", nn.ReLU()),
                ("drop1", nn.Dropout(dropout)),
                ("fc2", nn.Linear(hidden, hidden)),
                ("relu2", nn.ReLU()),
                ("drop2", nn.Dropout(dropout)),
                ("fc3", nn.Linear(hidden, num_classes)),
            ]
        )
    )


def _two_block(channels: tuple[int, int], kernel: int = 3, padding: int = 1) -> Builder:
    cfg = TwoBlockCNNConfig(channels, kernel, padding)
    return lambda shape, classes: two_block_cnn(cfg, shape, classes)


def _spec(spec: str) -> Builder:
    return lambda shape, classes: build_from_spec(spec, classes, shape)


# name -> builder(input_shape, num_classes); the descriptions and the display order are
# torch-free (engine.models.catalog)
TUTORIAL_BUILDERS: dict[str, Builder] = {
    "basic-cnn": _two_block((16, 32)),
    "convnet": _two_block((32, 64)),
    "lenet5": lenet5,
    "mlp": lambda shape, classes: mlp(shape, classes),
    "convnet-3block": _spec("c32-p-c64-p-c128-p-f128"),
    "convnet-k5": _two_block((32, 64), kernel=5, padding=2),
    "convnet-dropout": _spec("c32-p-d0.25-c64-p-d0.25-f128-d0.5"),
    # Chosen by measurement on the 2-core CPU (engine bench): 8 channels at 28x28 without batch
    # norm (BN over 8 channels there costs more than it gives), BN where the maps are smaller.
    # No pool after the third conv: its 7x7 maps feed the dense layer whole, which is what
    # lifts one epoch from about 98.9 % to 99.1 % for the same time per step.
    "fast-net": _spec("c8-p-c16b-p-c32b-f128b"),
}
