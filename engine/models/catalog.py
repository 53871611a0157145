"""The registry's model names and one-line descriptions, model sources and input shapes,
without torch.

The UI process lists and checks them (the run form, --model and --input-shape);
``engine.models.registry`` builds them and ``engine.models.user_model`` imports model sources.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path

from engine.errors import ConfigError, ModelSourceError, SpecError
from engine.models.spec_grammar import DEFAULT_INPUT, GRAMMAR, looks_like_spec, plan_spec

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
        f"unknown model {name!r}; use one of {', '.join(MODEL_NAMES)}, a spec ({GRAMMAR}) "
        "or your own model as path/to/model.py:Name"
    )


def check_model_name(
    name: str, input_shape: tuple[int, int, int] = DEFAULT_INPUT, num_classes: int = 10
) -> None:
    """Raise SpecError (one line) unless ``name`` is a registry name or a spec that builds for
    ``input_shape`` (C, H, W) and ``num_classes``, or ModelSourceError for a model source
    whose file or module is not there (its code is not run here); torch-free, so the UI can
    check what is typed before the engine builds it."""
    key = name.strip()
    if key in DESCRIPTIONS:
        return
    if is_model_source(key):
        problem = model_source_problem(key)
        if problem:
            raise ModelSourceError(problem)
        return
    if looks_like_spec(key.lower()):
        plan_spec(key, num_classes, input_shape)
        return
    raise unknown_model(name)


# ---------------------------------------------------------------------------- model sources


def is_model_source(text: str) -> bool:
    """Whether ``text`` names the user's own model ("path/to/model.py:Name",
    "package.module:Name", or such a text without its ":Name") rather than a registry name or
    a spec: neither of those holds ":" or "/" or ends in ".py"."""
    key = text.strip()
    return ":" in key or "/" in key or "\\" in key or key.endswith(".py")


def split_model_source(text: str) -> tuple[str, str]:
    """("path/to/model.py" or "package.module", "Name") of a model source; the name is ""
    when the text has no ":"."""
    location, colon, name = text.strip().rpartition(":")
    return (location.strip(), name.strip()) if colon else (text.strip(), "")


def is_file_location(location: str) -> bool:
    """Whether the part before ":" is a file path (else a dotted module name)."""
    return (
        location.endswith(".py")
        or "/" in location
        or "\\" in location
        or (location.startswith(("~", ".")))
    )


def model_source_problem(text: str) -> str | None:
    """What keeps a model source from being imported, in one line with the fix, or None.

    Checked without running the user's code: the ":Name" part is a Python name, a file exists
    and is a .py file, a module's top-level package is on the Python path. An error inside the
    user's code shows only when the engine imports it (``engine.models.user_model``)."""
    location, name = split_model_source(text)
    if not name:
        return (
            f"model {text.strip()!r} needs ':Name' after the file or module: the class or "
            f"function to build, e.g. {location or 'model.py'}:Net"
        )
    if not location:
        return f"model {text.strip()!r} names no file or module; write path/to/model.py:{name}"
    if not name.isidentifier() or keyword.iskeyword(name):
        return f"{name!r} after ':' is not a Python name; write {location}:ClassName"
    if is_file_location(location):
        return _file_problem(location, name)
    return _module_problem(location, name)


def _file_problem(location: str, name: str) -> str | None:
    path = Path(location).expanduser()
    if not path.exists():
        return f"model file {location} does not exist; check the path"
    if path.is_dir():
        return f"model file {location} is a folder; pass the .py file in it ({location}/FILE.py)"
    if path.suffix != ".py":
        return (
            f"model file {location} is not a .py file; pass a Python file such as model.py:{name}"
        )
    return None


def _module_problem(location: str, name: str) -> str | None:
    parts = location.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        return (
            f"{location!r} is neither a .py file nor a module name; write path/to/model.py:{name} "
            f"or package.module:{name}"
        )
    try:  # a top-level name is only looked up on sys.path: nothing is imported or run
        found = importlib.util.find_spec(parts[0]) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return (
            f"no module named {parts[0]!r} on the Python path; pass its file as "
            f"path/to/{parts[-1]}.py:{name} or run from the folder that holds it"
        )
    return None


# ---------------------------------------------------------------------------- input shapes

MAX_INPUT_CHANNELS = 64  # grey, RGB, RGBA and multispectral images; more is a typo
MAX_INPUT_SIDE = 1024  # 3x1024x1024 floats are 12 MB per image: larger is a typo too
INPUT_SHAPE_FORM = "C,H,W such as 1,28,28 or 3x32x32"


def parse_input_shape(text: str) -> tuple[int, int, int]:
    """(channels, height, width) from "1,28,28" or "3x32x32" (spaces allowed).

    Raises ConfigError (one line) for another form, or channels outside 1 to
    MAX_INPUT_CHANNELS, or sides outside 1 to MAX_INPUT_SIDE."""
    parts = [part.strip() for part in re.split(r"[,xX]", text.strip())]
    if len(parts) != 3 or not all(part.isdigit() and len(part) < 8 for part in parts):
        raise ConfigError(f"input shape {text.strip()!r} is not {INPUT_SHAPE_FORM}")
    shape = (int(parts[0]), int(parts[1]), int(parts[2]))
    problem = input_shape_problem(shape)
    if problem:
        raise ConfigError(problem)
    return shape


def input_shape_problem(shape: tuple[int, ...]) -> str | None:
    """Why ``shape`` is not a usable (C, H, W) input, in one line, or None."""
    if len(shape) != 3:
        return f"input shape {shape} is not {INPUT_SHAPE_FORM}"
    channels, height, width = shape
    if not 1 <= channels <= MAX_INPUT_CHANNELS:
        return f"input shape has {channels} channels; use 1 to {MAX_INPUT_CHANNELS}"
    if not (1 <= height <= MAX_INPUT_SIDE and 1 <= width <= MAX_INPUT_SIDE):
        return f"input shape {height}x{width} is out of range; use sides of 1 to {MAX_INPUT_SIDE}"
    return None


def shape_text(shape: tuple[int, ...]) -> str:
    """ "1x28x28" for (1, 28, 28)."""
    return "x".join(str(side) for side in shape)
