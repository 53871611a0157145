"""Torch-free dataset names: ``mnist``, ``fashion-mnist``, ``folder:PATH``, ``cifar10:PATH``.

``parse_dataset`` turns the text a user typed (``--dataset``) into a DatasetRef,
``dataset_problem`` says in one line what is wrong with it before anything is loaded (the UI
process checks with it), ``default_input_shape`` is the (C, H, W) a model gets when nothing
else says, ``dataset_classes`` the class names (a folder listing at most). ``mnist:DIR``
and ``fashion-mnist:DIR`` read the four IDX files from DIR instead of the bundled copies.
The torch side is ``engine.data.datasets.load_dataset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.data.idx import bundled_dir, data_folder_problem, missing_files
from engine.data.image_folder import folder_problem, scan_folder
from engine.errors import DataError

KINDS = ("mnist", "fashion-mnist", "folder", "cifar10")
ALIASES = {"fashion": "fashion-mnist", "fashionmnist": "fashion-mnist", "cifar-10": "cifar10"}
IDX_KINDS = ("mnist", "fashion-mnist")
PATH_KINDS = ("folder", "cifar10")
USAGE = "use mnist, fashion-mnist, folder:PATH (one subfolder per class) or cifar10:PATH"
CIFAR_FOLDER = "cifar-10-batches-py"
# torchvision.datasets.CIFAR10's files (train_list, test_list, meta), in that order
CIFAR_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR_HINT = f"pass the {CIFAR_FOLDER} folder extracted from {CIFAR_ARCHIVE}, or its parent"
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
# torchvision.datasets.FashionMNIST.classes
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
# The label_names of CIFAR-10's batches.meta; a copy that loads passed its MD5, so it has these
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


@dataclass(frozen=True)
class DatasetRef:
    """A parsed dataset name: ``kind`` (one of KINDS) and ``path`` (absolute; None for the
    bundled MNIST and Fashion-MNIST)."""

    kind: str
    path: Path | None = None

    @property
    def text(self) -> str:
        """The canonical text, which parse_dataset reads back: ``mnist``, ``folder:/abs/x``."""
        return self.kind if self.path is None else f"{self.kind}:{self.path}"

    @property
    def label(self) -> str:
        """A short name for headers and titles: ``fashion-mnist``, ``folder:shapes``."""
        return self.kind if self.path is None else f"{self.kind}:{self.path.name}"

    def __str__(self) -> str:
        return self.text


def parse_dataset(text: str | DatasetRef | None) -> DatasetRef:
    """``mnist`` (also None or ""), ``fashion-mnist``, ``folder:PATH``, ``cifar10:PATH``
    (kind names case-insensitive; ``~`` expanded; relative paths made absolute).

    Raises DataError (one line) for an unknown kind, or folder/cifar10 without a PATH.
    """
    if isinstance(text, DatasetRef):
        return text
    raw = (text or "mnist").strip()
    kind, sep, path_text = raw.partition(":")
    kind = kind.strip().lower().replace("_", "-")
    kind = ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise DataError(f"unknown dataset {raw!r}; {USAGE}")
    path_text = path_text.strip()
    if not path_text:
        if kind in PATH_KINDS:
            raise DataError(f"dataset {kind} needs a path: --dataset {kind}:PATH")
        return DatasetRef(kind)
    return DatasetRef(kind, Path(path_text).expanduser().absolute())


def cifar_batches_dir(path: Path) -> Path:
    """The folder holding the CIFAR-10 batch files: ``path`` itself when they are in it, else
    ``path/cifar-10-batches-py`` (it may not exist: see cifar_problem)."""
    if (path / CIFAR_FILES[0]).is_file() or path.name == CIFAR_FOLDER:
        return path
    return path / CIFAR_FOLDER


def cifar_problem(path: Path) -> str | None:
    """Why ``path`` holds no CIFAR-10 python batches (missing files named), or None."""
    if path.is_file():
        extract = " (extract it: tar -xzf FILE)" if path.name.endswith(".tar.gz") else ""
        return f"cifar10:{path} is a file, not a folder{extract}; {CIFAR_HINT}"
    if not path.is_dir():
        return f"cifar10:{path} does not exist; {CIFAR_HINT}"
    folder = cifar_batches_dir(path)
    missing = [name for name in CIFAR_FILES if not (folder / name).is_file()]
    if not missing:
        return None
    archive = next((p for p in (path / CIFAR_ARCHIVE, folder / CIFAR_ARCHIVE) if p.is_file()), None)
    fix = f"extract {archive} there (tar -xzf)" if archive else CIFAR_HINT
    return f"cifar10:{path} lacks {', '.join(missing)} in {folder}; {fix}"


def _idx_problem(ref: DatasetRef) -> str | None:
    if ref.path is None:
        if ref.kind == "fashion-mnist" and bundled_dir("fashion-mnist") is None:
            return (
                "the bundled Fashion-MNIST files were not found; reinstall cnn-tui or pass "
                "--dataset fashion-mnist:DIR (a folder with its four IDX files)"
            )
        return None
    problem = data_folder_problem(ref.path)
    if problem is None and (missing := missing_files(ref.path)):
        problem = f"{ref.path} lacks {', '.join(missing)} (.gz or raw)"
    return f"{ref.kind}:{ref.path}: {problem}" if problem else None


def dataset_problem(text: str | DatasetRef | None) -> str | None:
    """What is wrong with a dataset name, as one line with the fix, or None when it can be
    loaded: an unknown kind, a missing path, a folder with under two classes or without
    images, a CIFAR path without its batches. Reads folder listings only, never an image."""
    try:
        ref = parse_dataset(text)
    except DataError as exc:
        return str(exc)
    if ref.kind in IDX_KINDS:
        return _idx_problem(ref)
    if ref.kind == "cifar10":
        return cifar_problem(ref.path)  # type: ignore[arg-type]
    return folder_problem(ref.path)  # type: ignore[arg-type]


def default_input_shape(ref: str | DatasetRef | None) -> tuple[int, int, int]:
    """The (C, H, W) a model gets for this dataset when nothing else says: (1, 28, 28) for
    the MNISTs, (3, 32, 32) for CIFAR-10 and image folders."""
    kind = parse_dataset(ref).kind
    return (1, 28, 28) if kind in IDX_KINDS else (3, 32, 32)


def dataset_classes(ref: str | DatasetRef | None) -> tuple[str, ...]:
    """The class names, label order, without loading an image: the MNISTs' and CIFAR-10's
    fixed names, an image folder's sorted subfolder names (a listing only). Raises DataError
    (one line) for a bad name or an image folder that cannot be listed."""
    parsed = parse_dataset(ref)
    if parsed.kind == "folder":
        return scan_folder(parsed.path).classes  # type: ignore[arg-type]
    fixed = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_CLASSES}
    return fixed.get(parsed.kind, CIFAR10_CLASSES)
