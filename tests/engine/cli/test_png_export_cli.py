"""``--png`` on ``kernels`` and ``featuremaps`` and ``eval --confusion-png``: readable PNGs
(colour bars, caption; a labelled confusion matrix) and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli.main import main
from engine.cli.model_source import model_from_checkpoint
from engine.inspect.attribution import conv_layers
from engine.render.confusion_png import confusion_layout
from engine.render.figures import FigurePanel, picture_boxes

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kernels_png_holds_one_enlarged_panel_per_kernel(
    capsys, tiny_trained_run: Path, tmp_path: Path
) -> None:
    model, _ = model_from_checkpoint(tiny_trained_run)
    layer = conv_layers(model, torch.zeros(1, 1, 28, 28))[0]
    weights = dict(model.named_modules())[layer].weight.detach().numpy()
    png = tmp_path / "k.png"
    code, out, err = run(
        capsys, "kernels", "--checkpoint", str(tiny_trained_run), "--layer", layer, "--png",
        str(png), "--ascii",
    )  # fmt: skip
    assert code == 0, err and f"wrote {png}" in out
    panels = [FigurePanel(w[0], "diverging") for w in weights]
    boxes = picture_boxes(panels, "t")
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"))
    left, top, scale = boxes[0]
    assert scale * weights.shape[-1] >= 200  # a 3x3 or 5x5 kernel drawn ~224 px wide
    # the strongest weight of kernel 0 is drawn in a saturated end colour of the diverging map
    i, j = np.unravel_index(np.abs(weights[0, 0]).argmax(), weights.shape[-2:])
    peak = pixels[top + i * scale + scale // 2, left + j * scale + scale // 2].astype(int)
    assert peak.max() - peak.min() > 60  # not white, not grey: a saturated red or blue


def test_featuremaps_png_has_the_digit_and_the_maps(
    capsys, tiny_trained_run: Path, tmp_path: Path
) -> None:
    model, _ = model_from_checkpoint(tiny_trained_run)
    layer = conv_layers(model, torch.zeros(1, 1, 28, 28))[0]
    png = tmp_path / "f.png"
    code, out, err = run(
        capsys, "featuremaps", "--checkpoint", str(tiny_trained_run), "--layer", layer,
        "--sample", "0", "--png", str(png), "--ascii",
    )  # fmt: skip
    assert code == 0, err
    with Image.open(png) as image:
        assert image.width >= 5 * 224 and image.height >= 224  # the digit + 4 maps in a row


def test_eval_confusion_png_is_the_labelled_grid(
    capsys, tiny_trained_run: Path, tmp_path: Path
) -> None:
    png = tmp_path / "confusion.png"
    code, out, err = run(
        capsys, "eval", "--checkpoint", str(tiny_trained_run), "--confusion-png", str(png)
    )
    assert code == 0, err and f"wrote {png}" in out
    with Image.open(png) as image:
        width, height = image.size
    # a 10x10 grid with a one- or two-line title: the layout's size
    assert (width, height) in {
        (confusion_layout(10, t).width, confusion_layout(10, t).height) for t in ("x", "x " * 80)
    }


@pytest.mark.parametrize("command", ["kernels", "featuremaps", "eval"])
def test_png_into_a_missing_folder_is_one_line(
    capsys, tiny_trained_run: Path, command: str
) -> None:
    flag = "--confusion-png" if command == "eval" else "--png"
    extra = [] if command == "eval" else ["--layer", "x"]
    code, out, err = run(
        capsys, command, "--checkpoint", str(tiny_trained_run), *extra, flag, "/no/such/x.png"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err
