"""Every model by name: the tutorials' networks, spec networks, AlexNet for inspection and
the user's own (``path/to/model.py:Name``), built for an input shape and a list of classes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from engine.data.idx import MNIST_MEAN, MNIST_STD
from engine.errors import ConfigError, SpecError
from engine.models.catalog import (
    DESCRIPTIONS,
    MODEL_NAMES,
    input_shape_problem,
    is_model_source,
    shape_text,
    unknown_model,
)
from engine.models.spec import build_from_spec, looks_like_spec
from engine.models.spec_grammar import DEFAULT_INPUT
from engine.models.tutorial_nets import (  # noqa: F401  (re-exported: the registry's builders)
    TUTORIAL_BUILDERS,
    TwoBlockCNNConfig,
    lenet5,
    mlp,
    two_block_cnn,
)
from engine.models.user_model import build_user_model
from engine.models.weights import load_weights

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ALEXNET_WEIGHTS_FILE = "alexnet-owt-7be5be79.pth"
DIGITS = tuple(str(digit) for digit in range(10))  # MNIST's classes, the default


@dataclass(frozen=True)
class ModelInfo:
    """What the rest of the tool needs to know about a model besides its modules.

    ``classes`` names the model's output columns in order; ``source`` is
    "/abs/path/model.py:Name" or "package.module:Name" for the user's own model ("" for a
    registry name or spec: ``name`` rebuilds those); ``dataset`` is the data it is for (set by
    whoever loads it with a dataset: build_model does not know one)."""

    name: str
    description: str
    input_shape: tuple[int, int, int] = (1, 28, 28)
    mean: tuple[float, ...] = (MNIST_MEAN,)
    std: tuple[float, ...] = (MNIST_STD,)
    weights: str = "random init"
    trainable: bool = True  # False: inspection only (it cannot be trained on MNIST digits)
    classes: tuple[str, ...] = DIGITS
    source: str = ""
    dataset: str = "mnist"


def model_names() -> list[str]:
    """Every registry name, in display order."""
    return list(MODEL_NAMES)


def describe(name: str) -> str:
    """One line describing a registry model, spec or model source."""
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    return f"your model {name}" if is_model_source(name) else f"custom spec {name}"


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
        classes=tuple(imagenet_categories()),
        dataset="imagenet",
    )
    return model, info


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names torchvision ships with its weights' metadata."""
    from torchvision.models import AlexNet_Weights

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])


def build_model(
    name: str,
    weights_path: str | Path | None = None,
    *,
    input_shape: tuple[int, int, int] | None = None,
    classes: tuple[str, ...] | list[str] | None = None,
) -> tuple[nn.Module, ModelInfo]:
    """A fresh model and its info from a registry name, a spec string or a model source
    ("path/to/model.py:Name", "package.module:Name"), with weights from ``weights_path``.

    The model takes ``input_shape`` (C, H, W; None: 1x28x28) and outputs one column per name
    in ``classes`` (None: the digits 0-9). AlexNet keeps its 3x224x224 photos and ImageNet's
    1000 classes whatever is asked (it is for inspection only). Raises, each one line:
    SpecError (unknown name, bad spec), ConfigError (a tutorial network that cannot take that
    shape, a bad shape, no classes), ModelSourceError (the user's model cannot be imported,
    built or run on the input; with the user's own traceback after the line),
    CheckpointError (weights that cannot be read or do not fit)."""
    key = name.strip()
    if key == "alexnet":
        return alexnet(weights_path)
    shape = _checked_shape(input_shape)
    names = _checked_classes(classes)
    if is_model_source(key):
        built = build_user_model(key, shape, names)
        model = built.model
        info = ModelInfo(built.name, built.description, shape, classes=names, source=built.source)
    else:
        model = _build_named(key, shape, len(names))
        info = ModelInfo(key, describe(key), shape, classes=names)
    if weights_path:
        fix = f"pass weights saved from {info.name}, or a run's checkpoint with --checkpoint"
        load_weights(model, weights_path, info.name, fix)
        info = replace(info, weights=f"weights from {weights_path}")
    return model, info


def _checked_shape(input_shape: tuple[int, ...] | None) -> tuple[int, int, int]:
    if input_shape is None:
        return DEFAULT_INPUT
    shape = tuple(int(side) for side in input_shape)
    problem = input_shape_problem(shape)
    if problem:
        raise ConfigError(problem)
    return shape  # type: ignore[return-value]  (three sides: checked above)


def _checked_classes(classes: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if classes is None:
        return DIGITS
    names = tuple(str(name) for name in classes)
    if len(names) < 2:
        raise ConfigError(f"a classifier needs at least 2 classes, got {len(names)}")
    return names


def _build_named(key: str, shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    """A tutorial network or a spec for ``shape`` and ``num_classes`` outputs."""
    if key in TUTORIAL_BUILDERS:
        try:
            return TUTORIAL_BUILDERS[key](shape, num_classes)
        except (ConfigError, SpecError) as exc:
            # The reason only: the spec inside a registry network and its grammar are no help.
            why = str(exc).split("; grammar:")[0].split("': ", 1)[-1]
            raise ConfigError(
                f"{key} cannot be built for {shape_text(shape)} inputs: {why}; "
                "pass another --input-shape, or use a spec or your own model"
            ) from None
    if looks_like_spec(key.lower()):
        return build_from_spec(key, num_classes, shape)
    raise unknown_model(key)


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
