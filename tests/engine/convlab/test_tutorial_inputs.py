"""The lab's ``squares8``/``squares6`` are the tutorials' images (two whole quadrants of ones), so
``python -m engine conv --values`` prints the numbers the tutorials print for them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.cli.main import main
from engine.convlab import inputs, lab


def tutorial_image(side: int) -> np.ndarray:
    """The tutorials' construction: zeros, then the top-left and bottom-right quadrants set."""
    image = np.zeros((side, side))
    image[0 : side // 2, 0 : side // 2] = 1
    image[side // 2 : side, side // 2 : side] = 1
    return image


# The tutorials' printed outputs, worked out by hand: each output row sums three input rows of
# [x[j] - x[j + 2]], which is +1 at the left square's right edge and -1 at the right square's
# left edge.
VERTICAL_ON_8X8 = """\
 0  0  3  3  0  0
 0  0  3  3  0  0
 0  0  1  1  0  0
 0  0 -1 -1  0  0
 0  0 -3 -3  0  0
 0  0 -3 -3  0  0"""
VERTICAL_ON_6X6 = """\
 0  3  3  0
 0  1  1  0
 0 -1 -1  0
 0 -3 -3  0"""
# The fixed-filter network's first filter, 4x4 rows [-1, -1, 1, 1], on the 8x8 image.
FIXED_V_ON_8X8 = [
    [0, -4, -8, -4, 0],
    [0, -2, -4, -2, 0],
    [0, 0, 0, 0, 0],
    [0, 2, 4, 2, 0],
    [0, 4, 8, 4, 0],
]


@pytest.mark.parametrize("side", [8, 6])
def test_the_squares_are_the_tutorials_images(side) -> None:
    values = inputs.load_input(f"squares{side}").values
    assert values.shape == (1, side, side)
    np.testing.assert_array_equal(values[0], tutorial_image(side))


def _printed_output(capsys, name: str) -> str:
    assert main(["conv", "--input", name, "--filter", "vertical", "--values"]) == 0
    out = capsys.readouterr().out
    block = out.split("output 0 (vertical), ")[1].split("\n\n")[0]
    return block.split("\n", 1)[1]  # the grid under its "6x6:" title


@pytest.mark.parametrize(
    ("name", "printed"), [("squares8", VERTICAL_ON_8X8), ("squares6", VERTICAL_ON_6X6)]
)
def test_the_cli_prints_the_tutorials_vertical_edge_output(capsys, name, printed) -> None:
    assert _printed_output(capsys, name) == printed
    side = int(name[-1])
    image = torch.tensor(tutorial_image(side))[None, None]
    kernel = torch.tensor([[1.0, 0.0, -1.0]] * 3, dtype=torch.float64)[None, None]
    by_torch = F.conv2d(image, kernel)[0, 0].numpy()
    np.testing.assert_array_equal(
        by_torch, np.array([r.split() for r in printed.splitlines()], float)
    )


def test_the_fixed_filter_on_the_tutorials_image() -> None:
    result = lab.run_lab("squares8", ["fixed-v"])
    np.testing.assert_array_equal(result.output[0], np.array(FIXED_V_ON_8X8, dtype=float))
