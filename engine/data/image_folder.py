"""Torch-free listing of an image folder in torchvision's ``ImageFolder`` layout, and its split.

``PATH/<class>/**/<image>`` (one subfolder per class, files found recursively, extensions as
torchvision's ``IMG_EXTENSIONS``, case-insensitive). When ``PATH/train/`` and ``PATH/test/``
(or ``val/``, ``valid/``, ``validation/``) both exist, they are the two splits and must hold the
same class subfolders; otherwise a seeded, stratified hold-out of ``HOLDOUT_FRACTION`` of each
class becomes the test split. Hidden folders and files (a leading dot, e.g.
``.ipynb_checkpoints``) are ignored, unlike torchvision, which would make them a class.

The hold-out is chosen per class by ranking each file's SHA-256 of ``seed`` and its path
relative to the class folder: deterministic on every machine and numpy version, and
independent of the order the file system lists files in.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import DataError

# torchvision.datasets.folder.IMG_EXTENSIONS (copied: this module must not import torch)
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
TEST_NAMES = ("test", "val", "valid", "validation")
HOLDOUT_FRACTION = 0.2
HOLDOUT_SEED = 0
LAYOUT_HINT = "put each class's images in a subfolder named for the class (PATH/cat/1.png)"


@dataclass(frozen=True)
class FolderListing:
    """An image folder's classes and its image files per split, labels indexing ``classes``.

    ``split`` is "folders" (train/ and test/ on disk) or "holdout" (HOLDOUT_FRACTION per class,
    seeded). Files are sorted; the listing reads no image.
    """

    root: Path
    classes: tuple[str, ...]
    train: tuple[tuple[Path, int], ...]
    test: tuple[tuple[Path, int], ...]
    split: str

    def __len__(self) -> int:
        return len(self.train) + len(self.test)


def _visible_dirs(folder: Path) -> list[str]:
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))


def _images_under(folder: Path) -> list[Path]:
    """Image files anywhere under ``folder`` (symlinks followed, as torchvision does), sorted."""
    found = []
    for top, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            Path(top) / name
            for name in files
            if not name.startswith(".") and name.lower().endswith(IMG_EXTENSIONS)
        ]
    return sorted(found)


def _split_folders(root: Path) -> tuple[Path, Path] | None:
    """(train, test) subfolders when the folder is split on disk, else None."""
    if not (root / "train").is_dir():
        return None
    for name in TEST_NAMES:
        if (root / name).is_dir():
            return root / "train", root / name
    return None


def _class_files(folder: Path, what: str) -> dict[str, list[Path]]:
    """Each class subfolder's images; DataError (one line) when there are under two classes."""
    classes = _visible_dirs(folder)
    if not classes:
        raise DataError(f"{what} {folder} has no class subfolders; {LAYOUT_HINT}")
    if len(classes) == 1:
        raise DataError(
            f"{what} {folder} has one class subfolder ({classes[0]}); a classifier needs at "
            f"least two: {LAYOUT_HINT}"
        )
    return {name: _images_under(folder / name) for name in classes}


def _labelled(files: dict[str, list[Path]], classes: tuple[str, ...]) -> list[tuple[Path, int]]:
    return [(path, label) for label, name in enumerate(classes) for path in files.get(name, [])]


def _no_images(folder: Path, files: dict[str, list[Path]]) -> str | None:
    empty = [name for name, paths in files.items() if not paths]
    if len(empty) == len(files):
        kinds = ", ".join(IMG_EXTENSIONS)
        return f"image folder {folder} holds no images ({kinds}) in its class subfolders"
    if empty:
        return (
            f"class subfolder(s) {', '.join(empty)} of {folder} hold no images; add some or "
            "remove the subfolder"
        )
    return None


def holdout_rank(path: Path, class_folder: Path, seed: int) -> str:
    """The key a file is ranked by in the seeded hold-out (lowest keys are held out)."""
    relative = path.relative_to(class_folder).as_posix()
    return hashlib.sha256(f"{seed}:{relative}".encode()).hexdigest()


def holdout_count(count: int, fraction: float = HOLDOUT_FRACTION) -> int:
    """How many of a class's ``count`` images are held out: ``round(fraction * count)``, at
    least one when the class has two or more images, none when it has one."""
    return 0 if count < 2 else max(1, min(count - 1, round(fraction * count)))


def _holdout(root: Path, files: dict[str, list[Path]], seed: int) -> FolderListing:
    classes = tuple(files)
    train: list[tuple[Path, int]] = []
    test: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        ranked = sorted(files[name], key=lambda p, n=name: holdout_rank(p, root / n, seed))
        held = set(ranked[: holdout_count(len(ranked))])
        train += [(p, label) for p in files[name] if p not in held]
        test += [(p, label) for p in files[name] if p in held]
    return FolderListing(root, classes, tuple(train), tuple(test), "holdout")


def scan_folder(root: str | Path, seed: int = HOLDOUT_SEED) -> FolderListing:
    """List an image folder (see the module docstring); reads no image.

    Raises DataError (one line with the fix) when the folder is missing or unreadable, has
    fewer than two class subfolders, a class without images, or train/ and test/ with
    different classes.
    """
    try:
        return _scan(Path(root).expanduser(), seed)
    except OSError as exc:  # a subfolder without read permission, a broken link
        reason = exc.strerror or type(exc).__name__
        raise DataError(f"image folder {root} cannot be read ({reason}: {exc.filename})") from None


def _scan(root: Path, seed: int) -> FolderListing:
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise DataError(f"image folder {root} {what}; pass a folder with one subfolder per class")
    pair = _split_folders(root)
    if pair is None:
        files = _class_files(root, "image folder")
        if problem := _no_images(root, files):
            raise DataError(problem)
        return _holdout(root, files, seed)
    train_files, test_files = (_class_files(folder, "split folder") for folder in pair)
    if set(train_files) != set(test_files):
        raise DataError(
            f"{pair[0]} has classes {', '.join(train_files)} but {pair[1]} has "
            f"{', '.join(test_files)}; give both splits the same class subfolders"
        )
    if problem := _no_images(pair[0], train_files):
        raise DataError(problem)
    if not any(test_files.values()):
        raise DataError(f"split folder {pair[1]} holds no images; add test images or remove it")
    classes = tuple(train_files)
    train, test = _labelled(train_files, classes), _labelled(test_files, classes)
    return FolderListing(root, classes, tuple(train), tuple(test), "folders")


def folder_problem(root: str | Path) -> str | None:
    """scan_folder's one-line complaint about ``root``, or None when it can be loaded."""
    try:
        scan_folder(root)
    except DataError as exc:
        return str(exc)
    return None
