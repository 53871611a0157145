"""The ``drawn`` op: a drawn canvas as the input, pre-processed exactly as ``--image`` is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data.mnist_style import centre_of_mass
from engine.inspect.activations import denormalize, load_image
from engine.process.protocol import OPS, Request
from engine.process.workbench import Workbench


def _canvas() -> np.ndarray:
    """A soft-edged 3 drawn small in the top left of a 28x28 canvas, floats in [0, 1]."""
    canvas = np.zeros((28, 28), dtype=np.float32)
    rows, cols = np.mgrid[0:28, 0:28]
    for y, x in [(2, 3), (2, 6), (3, 9), (5, 10), (7, 8), (8, 6), (9, 8), (11, 10), (13, 9)]:
        dab = np.clip(2.0 - np.hypot(rows - y, cols - x), 0.0, 1.0)
        canvas = np.maximum(canvas, dab * 0.93)
    canvas[14, 3:8] = 0.6
    return canvas


def test_the_drawn_digit_is_the_same_tensor_as_image_on_its_png(
    bench: Workbench, tmp_path: Path
) -> None:
    canvas = _canvas()
    reply = bench.handle(Request(1, "drawn", {"pixels": canvas.tolist()}))
    assert reply.ok, reply.error
    x_drawn, _, labels = bench.inputs([-1])
    assert labels == [None]
    # The CLI's --image on a PNG of the same canvas (8 bits, as the canvas is sent)
    png = tmp_path / "canvas.png"
    Image.fromarray(np.rint(canvas * 255).astype(np.uint8)).save(png)
    x_image = load_image(png, bench.info)
    assert torch.equal(x_drawn.cpu(), x_image)
    # ... and the image op on that file gives the same prediction as the drawing
    assert np.array_equal(bench.image(str(png))["probs"], reply.payload["probs"])


def test_the_reply_is_the_preprocessed_digit_and_its_prediction(bench: Workbench) -> None:
    payload = bench.drawn(_canvas())
    assert "drawn" in OPS
    image = payload["image"]
    assert payload["index"] == -1 and payload["label"] is None and not payload["blank"]
    assert image.dtype == np.uint8 and image.shape == (28, 28)
    # drawn small in a corner, it comes back fitted to 20 pixels and centred by its mass
    rows = np.flatnonzero((image >= 26).any(axis=1))
    assert rows[-1] - rows[0] + 1 == 20
    row, col = centre_of_mass(image.astype(np.float32))
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    assert payload["probs"].shape == (10,) and payload["pred"] == int(payload["probs"].argmax())
    x, _, _ = bench.inputs([-1])
    assert np.array_equal(np.rint(denormalize(x, bench.info)[0] * 255).astype(np.uint8), image)
    # the feature maps follow the drawing
    first = bench.activations("conv1", -1)["maps"]
    bench.drawn(np.fliplr(_canvas()))
    assert not np.array_equal(first, bench.activations("conv1", -1)["maps"])


def test_a_blank_canvas_stays_blank(bench: Workbench) -> None:
    payload = bench.drawn(np.zeros((28, 28)))
    assert payload["blank"] and not payload["image"].any()


def test_a_picture_file_replaces_the_drawing_and_back(bench: Workbench, tmp_path: Path) -> None:
    path = tmp_path / "bar.png"
    bar = np.zeros((40, 40), dtype=np.uint8)
    bar[5:35, 18:22] = 255
    Image.fromarray(bar).save(path)
    drawn = bench.drawn(_canvas())["image"]
    from_file = bench.image(str(path))["image"]
    assert not np.array_equal(drawn, from_file)
    assert np.array_equal(bench.sample(-1)["image"], from_file)
    assert np.array_equal(bench.drawn(_canvas())["image"], drawn)
    assert np.array_equal(bench.sample(-1)["image"], drawn)


@pytest.mark.parametrize("pixels", [[1, 2, 3], "not a grid", np.zeros((0, 5)), np.zeros((2000, 3))])
def test_bad_pixels_are_one_line_errors(bench: Workbench, pixels: object) -> None:
    before = bench.drawn(_canvas())["image"]
    reply = bench.handle(Request(2, "drawn", {"pixels": pixels}))
    assert not reply.ok and "drawn pixels" in reply.error and "\n" not in reply.error
    assert np.array_equal(bench.sample(-1)["image"], before)  # the drawing kept
