"""Bad input to the headless commands gets one line and exit 2 (issue 15's last "Done when"):
a missing model file, a file without the name, a name that is not a module, an input shape
the model rejects (with the model's own message), an image folder with one class or with
unreadable images, a CIFAR path without the batches, a malformed --input-shape."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from engine.cli.main import main

MODELS = """
from torch import nn


class Other(nn.Module):
    def forward(self, x):
        return x


def not_a_module():
    return 3


class Flat(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1))
"""

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def models(tmp_path: Path) -> Path:
    (tmp_path / "models.py").write_text(MODELS)
    return tmp_path / "models.py"


def one_class_folder(root: Path) -> Path:
    (root / "cats").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(root / "cats" / f"{i}.png")
    return root


def unreadable_folder(root: Path) -> Path:
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            (root / name / f"{i}.png").write_bytes(b"not a picture")
    return root


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``python -m engine ARGV``; assert exit 2 and one line on stderr; return it."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own one line for a malformed option
        code = exc.code
    assert code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


Case = Callable[[Path, Path], tuple[list[str], str]]
CASES: dict[str, Case] = {
    "missing model file": lambda m, t: (
        ["--model", str(t / "nope.py") + ":Net"],
        "does not exist",
    ),
    "file without the name": lambda m, t: (
        ["--model", f"{m}:Net"],
        "defines no 'Net'; it defines nn.Module subclasses Other, Flat",
    ),
    "a name that is not a module": lambda m, t: (
        ["--model", f"{m}:not_a_module"],
        "not an nn.Module",
    ),
    "an input shape the model rejects": lambda m, t: (
        ["--model", f"{m}:Flat", "--input-shape", "3,32,32"],
        "mat1 and mat2 shapes cannot be multiplied",  # torch's own words from their forward
    ),
    "an image folder with one class": lambda m, t: (
        ["--model", "c4-p-f16", "--dataset", f"folder:{one_class_folder(t / 'one')}"],
        "one class",
    ),
    "a CIFAR path without the batches": lambda m, t: (
        ["--model", "c4-p-f16", "--dataset", f"cifar10:{t}"],
        "lacks data_batch_1",
    ),
    "a malformed input shape": lambda m, t: (
        ["--model", "c4-p-f16", "--input-shape", "3,32"],
        "is not C,H,W",
    ),
}


@pytest.mark.parametrize("command", ["train", "summary", "kernels"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_exit_2(
    case: str, command: str, models: Path, tmp_path: Path, capsys
) -> None:
    args, expected = CASES[case](models, tmp_path)
    extra = ["--run-dir", str(tmp_path / "run")] if command == "train" else []
    line = one_error_line(capsys, [command, *args, *extra])
    assert expected in line, line
    assert not (tmp_path / "run").exists()  # refused before a run folder was made


def test_a_folder_of_unreadable_images_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    root = unreadable_folder(tmp_path / "bad")
    argv = ["train", "--model", "c4-p-f16", "--dataset", f"folder:{root}", "--threads", "1"]
    line = one_error_line(capsys, [*argv, "--run-dir", str(tmp_path / "run")])
    assert "could be read" in line or "no readable" in line or "unreadable" in line, line


def test_eval_refuses_a_dataset_with_another_class_count(
    tiny_trained_run: Path, tmp_path: Path, capsys
) -> None:
    root = one_class_folder(tmp_path / "two")
    (root / "dogs").mkdir()
    Image.new("RGB", (8, 8)).save(root / "dogs" / "0.png")
    line = one_error_line(
        capsys, ["eval", "--checkpoint", str(tiny_trained_run), "--dataset", f"folder:{root}"]
    )
    assert "has 2 classes but the model has 10" in line
