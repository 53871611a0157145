"""The registry's model names and one-line descriptions, without torch.

The UI process lists and checks them (the run form); ``engine.models.registry`` builds them.
"""

from __future__ import annotations

from engine.errors import SpecError
from engine.models.spec_grammar import GRAMMAR, looks_like_spec, plan_spec

# Display order: the MNIST networks, then AlexNet (inspection only).
DESCRIPTIONS: dict[str, str] = {
    "basic-cnn": "16/32-channel CNN, 3x3 kernels, fc 128",
    "convnet": "32/64-channel CNN, 3x3 kernels, fc 128",
    "lenet5": "LeNet-5 style: 6@5x5, 16@5x5, 120-84-10",
    "mlp": "dense baseline 784-512-512-10 with dropout 0.2",
    "convnet-3block": "tutorial variant: a third conv block of 128 filters",
    "convnet-k5": "tutorial variant: 5x5 kernels",
    "convnet-dropout": "tutorial variant: dropout 0.25 after each block and 0.5 before output",
    "fast-net": "small batch-norm CNN used by the fast recipe: 8/16/32 channels, fc 128",
    "alexnet": "torchvision AlexNet for 3x224x224 images (inspection)",
}
MODEL_NAMES = list(DESCRIPTIONS)
INSPECTION_ONLY = ("alexnet",)  # models that take photos, not MNIST digits: never trained here


def unknown_model(name: str) -> SpecError:
    """The error for a name that is neither a registry model nor a spec."""
    return SpecError(
        f"unknown model {name!r}; use one of {', '.join(MODEL_NAMES)} or a spec ({GRAMMAR})"
    )


def check_model_name(name: str) -> None:
    """Raise SpecError (one line) unless ``name`` is a registry name or a spec that builds;
    torch-free, so the UI can check what is typed before the engine builds it."""
    key = name.strip()
    if key in DESCRIPTIONS:
        return
    if looks_like_spec(key.lower()):
        plan_spec(key)
        return
    raise unknown_model(name)
