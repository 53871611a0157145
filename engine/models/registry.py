"""The tutorials' networks by name, custom spec networks, and AlexNet for inspection."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from engine.data.idx import MNIST_MEAN, MNIST_STD
from engine.models.catalog import DESCRIPTIONS, MODEL_NAMES, unknown_model
from engine.models.spec import build_from_spec, looks_like_spec
from engine.models.weights import load_weights

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ALEXNET_WEIGHTS_FILE = "alexnet-owt-7be5be79.pth"


@dataclass(frozen=True)
class ModelInfo:
    """What the rest of the tool needs to know about a model besides its modules."""

    name: str
    description: str
    input_shape: tuple[int, int, int] = (1, 28, 28)
    mean: tuple[float, ...] = (MNIST_MEAN,)
    std: tuple[float, ...] = (MNIST_STD,)
    weights: str = "random init"
    trainable: bool = True  # False: inspection only (it cannot be trained on MNIST digits)


@dataclass(frozen=True)
class TwoBlockCNNConfig:
    """Two conv/ReLU/max-pool blocks then a hidden dense layer, as in the first tutorials."""

    channels: tuple[int, int] = (16, 32)
    kernel: int = 3
    padding: int = 1
    hidden: int = 128


def two_block_cnn(cfg: TwoBlockCNNConfig) -> nn.Sequential:
    """conv1-relu1-pool1-conv2-relu2-pool2-flatten-fc1-relu3-fc2."""
    c1, c2 = cfg.channels
    side = ((28 + 2 * cfg.padding - cfg.kernel + 1) // 2 + 2 * cfg.padding - cfg.kernel + 1) // 2
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(1, c1, cfg.kernel, padding=cfg.padding)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(c1, c2, cfg.kernel, padding=cfg.padding)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(c2 * side * side, cfg.hidden)),
                ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(cfg.hidden, 10)),
            ]
        )
    )


def lenet5() -> nn.Sequential:
    """LeNet-5 style: 6@5x5 pad 2, pool, 16@5x5, pool, 400-120-84-10."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(1, 6, 5, padding=2)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(6, 16, 5)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(400, 120)),
                ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(120, 84)),
                ("relu4", nn.ReLU()),
                ("fc3", nn.Linear(84, 10)),
            ]
        )
    )


def mlp(hidden: int = 512, dropout: float = 0.2) -> nn.Sequential:
    """The dense baseline 784-512-512-10 with dropout after each hidden layer."""
    return nn.Sequential(
        OrderedDict(
            [
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(784, hidden)),
                ("relu1", nn.ReLU()),
                ("drop1", nn.Dropout(dropout)),
                ("fc2", nn.Linear(hidden, hidden)),
                ("relu2", nn.ReLU()),
                ("drop2", nn.Dropout(dropout)),
                ("fc3", nn.Linear(hidden, 10)),
            ]
        )
    )


# name -> builder; the descriptions and the display order are torch-free (engine.models.catalog)
MNIST_BUILDERS = {
    "basic-cnn": lambda: two_block_cnn(TwoBlockCNNConfig((16, 32))),
    "convnet": lambda: two_block_cnn(TwoBlockCNNConfig((32, 64))),
    "lenet5": lenet5,
    "mlp": mlp,
    "convnet-3block": lambda: build_from_spec("c32-p-c64-p-c128-p-f128"),
    "convnet-k5": lambda: two_block_cnn(TwoBlockCNNConfig((32, 64), kernel=5, padding=2)),
    "convnet-dropout": lambda: build_from_spec("c32-p-d0.25-c64-p-d0.25-f128-d0.5"),
    # Chosen by measurement on the 2-core CPU (engine bench): 8 channels at 28x28 without batch
    # norm (BN over 8 channels there costs more than it gives), BN where the maps are smaller.
    # No pool after the third conv: its 7x7 maps feed the dense layer whole, which is what
    # lifts one epoch from about 98.9 % to 99.1 % for the same time per step.
    "fast-net": lambda: build_from_spec("c8-p-c16b-p-c32b-f128b"),
}
MNIST_MODELS = {name: (DESCRIPTIONS[name], build) for name, build in MNIST_BUILDERS.items()}


def model_names() -> list[str]:
    """Every registry name, in display order."""
    return list(MODEL_NAMES)


def describe(name: str) -> str:
    """One line describing a registry model or spec."""
    return DESCRIPTIONS.get(name, f"custom spec {name}")


def alexnet(weights_path: str | Path | None = None) -> tuple[nn.Module, ModelInfo]:
    """torchvision's AlexNet with weights from a file, the torch hub cache, or random init."""
    from torchvision.models import alexnet as tv_alexnet

    model = tv_alexnet(weights=None)
    candidates = (
        [Path(weights_path)]
        if weights_path
        else [Path(torch.hub.get_dir()) / "checkpoints" / ALEXNET_WEIGHTS_FILE]
    )
    source = "random init (no pretrained weights found: pass --weights FILE)"
    for path in candidates:
        if path.is_file() or weights_path:
            load_weights(model, path, "alexnet", "pass a torchvision AlexNet state dict")
            source = f"pretrained weights from {path}"
    model.eval()
    info = ModelInfo(
        "alexnet",
        describe("alexnet"),
        (3, 224, 224),
        IMAGENET_MEAN,
        IMAGENET_STD,
        source,
        trainable=False,
    )
    return model, info


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names torchvision ships with its weights' metadata."""
    from torchvision.models import AlexNet_Weights

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])


def build_model(name: str, weights_path: str | Path | None = None) -> tuple[nn.Module, ModelInfo]:
    """A fresh model and its info from a registry name or a spec string."""
    key = name.strip()
    if key == "alexnet":
        return alexnet(weights_path)
    if key in MNIST_MODELS:
        model, info = MNIST_MODELS[key][1](), ModelInfo(key, MNIST_MODELS[key][0])
    elif looks_like_spec(key.lower()):
        model, info = build_from_spec(key), ModelInfo(key, describe(key))
    else:
        raise unknown_model(name)
    if weights_path:
        fix = f"pass weights saved from {key}, or a run's checkpoint with --checkpoint"
        load_weights(model, weights_path, key, fix)
        info = replace(info, weights=f"weights from {weights_path}")
    return model, info


def count_params(model: nn.Module) -> int:
    """Number of parameters, trainable or not."""
    return sum(p.numel() for p in model.parameters())


def named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf modules in forward order with their dotted names (conv1, features.0, ...)."""
    return [
        (name, module)
        for name, module in model.named_modules()
        if name and not list(module.children())
    ]


def kernel_layers(model: nn.Module) -> list[str]:
    """Names of the layers with kernels: conv and dense layers (weights of 4 or 2 dimensions)."""
    names = []
    for name, module in named_layers(model):
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() in (2, 4):
            names.append(name)
    return names
