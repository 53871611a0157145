"""Any dataset as two uint8 splits with class names and the normalisation the model uses.

``load_dataset("mnist" | "fashion-mnist" | "folder:PATH" | "cifar10:PATH")`` (names:
``engine.data.dataset_ref``). The MNISTs keep their published mean/std; image folders and
CIFAR-10 use per-channel mean/std measured on their training split. Images are fitted to the
model's ``input_shape`` (channels by luma or repetition, bilinear resize). An image folder is
decoded in one streaming pass (``engine.data.folder_decode``) and refused beforehand when the
decoded tensors would pass MEMORY_BUDGET_BYTES; every other kind is checked against the same
budget before it is resized. The last folder or CIFAR-10 load is cached
(keyed by its files' names, sizes and times), so the app's second request costs nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.data.cifar10 import load_cifar10
from engine.data.dataset_ref import (
    CIFAR_FILES,
    FASHION_CLASSES,
    MNIST_CLASSES,
    DatasetRef,
    cifar_batches_dir,
    default_input_shape,
    parse_dataset,
)
from engine.data.folder_decode import Progress, decode_folder
from engine.data.idx import MNIST_MEAN, MNIST_STD, bundled_dir, resolve_data_dir
from engine.data.image_folder import FolderListing, scan_folder
from engine.data.image_tensors import channel_stats, fit_images
from engine.data.mnist import MnistSplit, load_split
from engine.errors import DataError

# Fashion-MNIST's training-set mean and std of pixels in [0, 1] (60,000 images; the values
# published with it and used by torchvision examples; test_fashion_mnist re-measures them).
FASHION_MEAN = 0.2860
FASHION_STD = 0.3530
MEMORY_BUDGET_BYTES = 4 << 30  # 4 GiB of decoded uint8 pixels, both splits together
SKIPPED_NAMED = 3  # unreadable files named in the warning line
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: ``name`` (canonical text, parse_dataset reads it back), ``classes``
    (a name per label), ``input_shape`` (C, H, W) the images are fitted to, per-channel
    ``mean``/``std`` (pixels in [0, 1]) for ``engine.data.mnist.normalize``, and the splits:
    uint8 (N, H, W) when C is 1, else (N, C, H, W). ``skipped``: unreadable files left out;
    ``warning``: the one line saying so ("" when none were)."""

    name: str
    classes: tuple[str, ...]
    input_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    train: MnistSplit
    test: MnistSplit
    skipped: tuple[str, ...] = ()
    warning: str = ""


def _check_shape(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    channels, height, width = (int(v) for v in shape)
    if channels not in (1, 3) or height < 1 or width < 1:
        raise DataError(
            f"input shape {channels},{height},{width}: images have 1 or 3 channels and a "
            "height and width of at least 1"
        )
    return channels, height, width


def _fit_split(split: MnistSplit, shape: tuple[int, int, int]) -> MnistSplit:
    return MnistSplit(fit_images(split.images, shape), split.labels)


def _idx_folder(ref: DatasetRef, data_dir: str | Path | None) -> str | Path | None:
    """Where the IDX files are: the ref's path; for MNIST ``data_dir`` (or $CNN_TUI_DATA or
    the bundled copy: load_split decides); for Fashion-MNIST the bundled copy."""
    if ref.path is not None or ref.kind == "mnist":
        return ref.path or data_dir
    found = bundled_dir("fashion-mnist")
    if found is None:
        raise DataError(
            "the bundled Fashion-MNIST files were not found; reinstall cnn-tui or pass "
            "--dataset fashion-mnist:DIR (a folder with its four IDX files)"
        )
    return found


def _load_idx(ref: DatasetRef, shape: tuple[int, int, int], data_dir: Any) -> Dataset:
    return _load_idx_from(ref, shape, resolve_data_dir(_idx_folder(ref, data_dir)).resolve())


def _check_fitted_budget(name: str, count: int, shape: tuple[int, int, int]) -> None:
    """DataError (one line with the fix) when ``count`` images fitted to ``shape`` would pass
    MEMORY_BUDGET_BYTES of uint8 pixels: checked before resizing, so nothing is allocated."""
    needed = count * shape[0] * shape[1] * shape[2]
    if needed > MEMORY_BUDGET_BYTES:
        raise DataError(
            f"{name}: {count:,} images at {shape[0]}x{shape[1]}x{shape[2]} need "
            f"{needed / 2**30:.1f} GiB decoded, more than the "
            f"{MEMORY_BUDGET_BYTES / 2**30:.0f} GiB cnn-tui holds; pass a smaller "
            "--input-shape (e.g. 3,64,64)"
        )


@lru_cache(maxsize=2)  # a fitted copy (say MNIST at 3x32x32) is made once
def _load_idx_from(ref: DatasetRef, shape: tuple[int, int, int], folder: Path) -> Dataset:
    train, test = load_split("train", folder), load_split("test", folder)
    _check_fitted_budget(ref.text, len(train) + len(test), shape)
    fashion = ref.kind == "fashion-mnist"
    mean, std = (FASHION_MEAN, FASHION_STD) if fashion else (MNIST_MEAN, MNIST_STD)
    return Dataset(
        name=ref.text,
        classes=FASHION_CLASSES if fashion else MNIST_CLASSES,
        input_shape=shape,
        mean=(mean,) * shape[0],
        std=(std,) * shape[0],
        train=_fit_split(train, shape),
        test=_fit_split(test, shape),
    )


def _check_budget(listing: FolderListing, shape: tuple[int, int, int]) -> None:
    needed = len(listing) * shape[0] * shape[1] * shape[2]
    if needed > MEMORY_BUDGET_BYTES:
        raise DataError(
            f"image folder {listing.root}: {len(listing):,} images at "
            f"{shape[0]}x{shape[1]}x{shape[2]} need {needed / 2**30:.1f} GiB decoded, more than "
            f"the {MEMORY_BUDGET_BYTES / 2**30:.0f} GiB cnn-tui holds; pass a smaller "
            "--input-shape (e.g. 3,64,64) or a folder with fewer images"
        )


def _skipped_line(root: Path, skipped: list[Path]) -> str:
    if not skipped:
        return ""
    named = ", ".join(str(p.relative_to(root)) for p in skipped[:SKIPPED_NAMED])
    more = f" and {len(skipped) - SKIPPED_NAMED} more" if len(skipped) > SKIPPED_NAMED else ""
    return f"skipped {len(skipped)} unreadable image(s) in {root}: {named}{more}"


def _empty_classes(listing: FolderListing, train: MnistSplit) -> list[str]:
    present = set(train.labels.unique().tolist())
    return [name for label, name in enumerate(listing.classes) if label not in present]


def _load_folder(
    ref: DatasetRef, shape: tuple[int, int, int], progress: Progress | None
) -> Dataset:
    listing = scan_folder(ref.path)  # type: ignore[arg-type]
    _check_budget(listing, shape)
    train, test, skipped = decode_folder(listing, shape, progress)
    if not len(train) and not len(test):
        raise DataError(
            f"none of the {len(listing)} images in {listing.root} could be read; "
            "pass a folder of PNG, JPEG or BMP pictures"
        )
    if empty := _empty_classes(listing, train):
        raise DataError(
            f"class(es) {', '.join(empty)} of {listing.root} have no readable training "
            "images; add some or remove the subfolder"
        )
    warning = _skipped_line(listing.root, skipped)
    if warning:
        logger.warning(warning)
    mean, std = channel_stats(train.images)
    return Dataset(
        ref.text, listing.classes, shape, mean, std, train, test,
        tuple(str(p) for p in skipped), warning,
    )  # fmt: skip


_cache: dict[tuple[Any, ...], Dataset] = {}
_cache_lock = threading.Lock()


def _signature(ref: DatasetRef) -> tuple[Any, ...]:
    """The files a folder or CIFAR-10 load reads: (name, size, mtime) of each, sorted."""
    root = ref.path
    assert root is not None
    try:
        if ref.kind == "cifar10":
            files = [cifar_batches_dir(root) / name for name in CIFAR_FILES]
            files = [p for p in files if p.is_file()]
        else:
            files = sorted(p for p in root.rglob("*") if p.is_file())
        return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    except OSError:  # unreadable: the load that follows says so in one line
        return ("unreadable",)


def load_dataset(
    text: str | DatasetRef | None,
    input_shape: tuple[int, int, int] | None = None,
    data_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load a dataset by name (see the module docstring) fitted to ``input_shape`` (C, H, W;
    None: ``default_input_shape``). ``data_dir`` is the MNIST folder (``--data-dir``; other
    kinds ignore it). ``progress(done, total)`` is called about every 0.25 s while an image
    folder is decoded (once, with (total, total), when the folder comes from the cache).
    Raises DataError (one line with the fix) for anything unloadable."""
    ref = parse_dataset(text)
    shape = _check_shape(input_shape or default_input_shape(ref))
    if ref.kind in ("mnist", "fashion-mnist"):
        return _load_idx(ref, shape, data_dir)
    with _cache_lock:
        key = (ref, shape, _signature(ref))
        if key not in _cache:
            _cache.clear()  # one folder or CIFAR-10 held at a time
            if ref.kind == "cifar10":
                train, test, classes = load_cifar10(ref.path)  # type: ignore[arg-type]
                _check_fitted_budget(ref.text, len(train) + len(test), shape)
                train, test = _fit_split(train, shape), _fit_split(test, shape)
                mean, std = channel_stats(train.images)
                _cache[key] = Dataset(ref.text, classes, shape, mean, std, train, test)
            else:
                _cache[key] = _load_folder(ref, shape, progress)
        elif progress is not None and ref.kind == "folder":  # cached: already all done
            found = _cache[key]
            total = len(found.train) + len(found.test) + len(found.skipped)
            progress(total, total)
        return _cache[key]
