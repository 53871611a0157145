"""engine.data.dataset_ref: dataset names parsed, one-line problems, default input shapes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.data.dataset_ref import (
    CIFAR_FILES,
    FASHION_CLASSES,
    DatasetRef,
    dataset_classes,
    dataset_problem,
    default_input_shape,
    parse_dataset,
)
from engine.errors import DataError


def _classes(root: Path, *names: str, images: int = 1) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        for index in range(images):
            (root / name / f"{index}.png").write_bytes(b"not decoded by the listing")
    return root


@pytest.mark.parametrize(
    ("text", "kind"),
    [(None, "mnist"), ("", "mnist"), ("MNIST", "mnist"), ("fashion-mnist", "fashion-mnist"),
     ("Fashion_MNIST", "fashion-mnist"), ("fashionmnist", "fashion-mnist")],
)  # fmt: skip
def test_bundled_kinds_parse_without_a_path(text: str | None, kind: str) -> None:
    ref = parse_dataset(text)
    assert ref == DatasetRef(kind) and ref.text == kind and ref.label == kind


def test_path_kinds_are_absolute_and_read_back(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    ref = parse_dataset("folder:shapes")
    assert ref == DatasetRef("folder", tmp_path / "shapes")
    assert parse_dataset(ref.text) == ref and ref.label == "folder:shapes"
    assert parse_dataset("CIFAR-10:~/c").path == Path("~/c").expanduser()
    assert parse_dataset(ref) is ref


@pytest.mark.parametrize(
    ("text", "message"),
    [("imagenet", "unknown dataset 'imagenet'; use mnist, fashion-mnist, folder:PATH"),
     ("folder", "dataset folder needs a path: --dataset folder:PATH"),
     ("cifar10:", "dataset cifar10 needs a path: --dataset cifar10:PATH")],
)  # fmt: skip
def test_bad_names_are_one_line(text: str, message: str) -> None:
    with pytest.raises(DataError) as caught:
        parse_dataset(text)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert dataset_problem(text) == str(caught.value)


def test_default_input_shapes() -> None:
    assert default_input_shape("mnist") == (1, 28, 28)
    assert default_input_shape("fashion-mnist") == (1, 28, 28)
    assert default_input_shape("folder:/x") == (3, 32, 32)
    assert default_input_shape(DatasetRef("cifar10", Path("/x"))) == (3, 32, 32)


def test_bundled_datasets_have_no_problem() -> None:
    assert dataset_problem("mnist") is None and dataset_problem("fashion-mnist") is None


def test_idx_folder_without_the_files(tmp_path: Path) -> None:
    problem = dataset_problem(f"fashion-mnist:{tmp_path}")
    assert problem == (
        f"fashion-mnist:{tmp_path}: {tmp_path} lacks train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz or raw)"
    )
    assert "does not exist" in dataset_problem(f"mnist:{tmp_path / 'nope'}")


def test_folder_problems(tmp_path: Path) -> None:
    assert dataset_problem(f"folder:{tmp_path / 'nope'}") == (
        f"image folder {tmp_path / 'nope'} does not exist; pass a folder with one subfolder "
        "per class"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert dataset_problem(f"folder:{empty}").startswith(f"image folder {empty} has no class")
    one = _classes(tmp_path / "one", "cats")
    assert dataset_problem(f"folder:{one}").startswith(
        f"image folder {one} has one class subfolder (cats); a classifier needs at least two"
    )
    assert dataset_problem(f"folder:{_classes(tmp_path / 'two', 'cats', 'dogs')}") is None


def test_folder_without_images(tmp_path: Path) -> None:
    bare = _classes(tmp_path / "bare", "a", "b", images=0)
    (bare / "a" / "notes.txt").write_text("not a picture")
    assert dataset_problem(f"folder:{bare}").startswith(f"image folder {bare} holds no images")
    half = _classes(tmp_path / "half", "a", images=2)
    (half / "b").mkdir()
    assert dataset_problem(f"folder:{half}") == (
        f"class subfolder(s) b of {half} hold no images; add some or remove the subfolder"
    )


def test_cifar_path_without_batches(tmp_path: Path) -> None:
    problem = dataset_problem(f"cifar10:{tmp_path}")
    batches = tmp_path / "cifar-10-batches-py"
    assert problem == (
        f"cifar10:{tmp_path} lacks {', '.join(CIFAR_FILES)} in {batches}; pass the "
        "cifar-10-batches-py folder extracted from cifar-10-python.tar.gz, or its parent"
    )
    batches.mkdir()
    for name in CIFAR_FILES[:-2]:
        (batches / name).write_bytes(b"")
    assert dataset_problem(f"cifar10:{batches}").startswith(
        f"cifar10:{batches} lacks test_batch, batches.meta in {batches}"
    )
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"")
    assert dataset_problem(f"cifar10:{tmp_path}").endswith(
        f"extract {tmp_path / 'cifar-10-python.tar.gz'} there (tar -xzf)"
    )
    assert "extract it: tar -xzf FILE" in dataset_problem(
        f"cifar10:{tmp_path / 'cifar-10-python.tar.gz'}"
    )


def test_torch_free() -> None:
    code = (
        "import sys; from engine.data import dataset_ref; "
        "dataset_ref.dataset_problem('fashion-mnist'); "
        "print('torch' in sys.modules, 'torchvision' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_class_names_without_loading(tmp_path: Path) -> None:
    assert dataset_classes("mnist") == tuple("0123456789")
    assert dataset_classes("fashion-mnist")[-1] == "Ankle boot"
    assert dataset_classes(f"cifar10:{tmp_path}")[:2] == ("airplane", "automobile")
    root = _classes(tmp_path / "f", "zebra", "ant")  # unreadable "pictures": never decoded
    assert dataset_classes(f"folder:{root}") == ("ant", "zebra")


def test_fixed_names_are_torchvisions() -> None:
    from torchvision.datasets import FashionMNIST

    assert tuple(FashionMNIST.classes) == FASHION_CLASSES
