"""engine.render.ascii_ramp and the CLI without colour: ten shades in order, the sign of a
diverging map kept, the aspect of a picture kept, legends with the ramp and its numbers."""

from __future__ import annotations

import numpy as np
import pytest

from engine.cli.main import main
from engine.render.ascii_ramp import (
    DIVERGING_SHADES,
    NEGATIVE_SHADES,
    POSITIVE_SHADES,
    SEQUENTIAL_SHADES,
    ZERO_INDEX,
    even_zoom,
    ramp_legend,
    shade_chars,
)
from engine.render.colormap import DIVERGING, SEQUENTIAL
from engine.render.maps import scale_maps
from engine.render.terminal import heatmap_lines, legend


def ranks(text: str, ramp: str) -> list[int]:
    return [ramp.index(ch) for ch in text]


def test_ten_distinct_shades_used_in_order() -> None:
    assert len(SEQUENTIAL_SHADES) == 10 == len(set(SEQUENTIAL_SHADES))
    row = np.linspace(0.0, 1.0, 100)[None].repeat(2, axis=0)
    (line,) = heatmap_lines(row, SEQUENTIAL, "ascii")
    order = ranks(line, SEQUENTIAL_SHADES)
    assert order == sorted(order)  # a larger value never draws a lighter shade
    assert set(line) == set(SEQUENTIAL_SHADES)  # all ten are used


def test_diverging_shades_grow_with_size_on_each_side() -> None:
    assert len(set(DIVERGING_SHADES)) == len(DIVERGING_SHADES) == 11
    assert DIVERGING_SHADES[ZERO_INDEX] == " "
    assert not set(NEGATIVE_SHADES) & set(POSITIVE_SHADES)
    row = np.linspace(0.0, 1.0, 110)[None].repeat(2, axis=0)
    (line,) = heatmap_lines(row, DIVERGING, "ascii")
    order = ranks(line, DIVERGING_SHADES)
    assert order == sorted(order) and set(line) == set(DIVERGING_SHADES)


@pytest.mark.parametrize("size", [0.3, 0.6, 1.0])
def test_a_map_and_its_negative_draw_different_characters(size: float) -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 1.0, size=(6, 6)) * size
    scaled = scale_maps(np.stack([-base, base, np.full((6, 6), 1.0)]), symmetric=True).values
    negative = set("".join(heatmap_lines(scaled[0], DIVERGING, "ascii"))) - {" "}
    positive = set("".join(heatmap_lines(scaled[1], DIVERGING, "ascii"))) - {" "}
    assert negative and positive and not negative & positive
    assert negative <= set(NEGATIVE_SHADES) and positive <= set(POSITIVE_SHADES)


def test_zero_is_blank_on_a_diverging_scale() -> None:
    assert shade_chars(np.array([0.5]), DIVERGING_SHADES)[0] == " "


def test_a_28x28_map_keeps_its_aspect() -> None:
    lines = heatmap_lines(np.random.default_rng(1).random((28, 28)), SEQUENTIAL, "ascii")
    columns, rows = len(lines[0]), len(lines)
    assert (columns, rows) == (28, 14)  # a character cell is about twice as tall as wide
    assert columns / rows == pytest.approx(2.0)


def test_an_enlarged_kernel_never_averages_two_rows() -> None:
    assert [even_zoom(z) for z in (1, 2, 3, 4, 5)] == [2, 2, 4, 4, 6]
    kernel = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.5, 0.5, 0.5]])
    zoom = even_zoom(3)
    big = np.kron(kernel, np.ones((zoom, zoom)))
    lines = heatmap_lines(big, DIVERGING, "ascii")
    assert len(lines) == 3 * zoom // 2 and len(lines[0]) == 3 * zoom
    top = "".join(shade_chars(kernel[0], DIVERGING_SHADES))
    assert lines[0] == "".join(ch * zoom for ch in top)


def test_legends_show_every_shade_and_the_numbers() -> None:
    assert ramp_legend("-0.39", "0.39", True) == "-0.39 [Xx=~-] 0 [.:+*#] 0.39"
    assert ramp_legend("0", "3", False) == "0 [ .:-=+*#%@] 3"
    bar, labels = legend(-0.5, 0.5, DIVERGING, "ascii", width=33)
    assert set(bar) == set(DIVERGING_SHADES)
    assert labels.split() == ["-0.5", "0", "0.5"]
    assert bar[labels.index("0", 2)] == " "  # 0 stands under the blank of 0


def test_cli_kernels_are_square_and_signed(capsys) -> None:
    import torch

    torch.manual_seed(0)  # the model's random kernels: the same every run
    code = main(["kernels", "--model", "c8-p-f10", "--layer", "conv1", "--ascii", "--max", "1"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    block = [line for line in out[2:] if line.strip()][:6]  # o0's 3x3 kernel
    # 12 columns x 6 rows (lines end where the last shade does: a blank 0 at the end is cut)
    assert len(block) == 6 and max(len(line) for line in block) == 12
    assert all(len(line) <= 12 for line in block)
    assert block[0::2] == block[1::2]  # each kernel row drawn twice, never mixed
    assert set("".join(block)) <= set(DIVERGING_SHADES)


def feature_maps(capsys, mnist_dir, layer: str) -> tuple[str, list[str]]:
    args = ["featuremaps", "--model", "c8-p-f10", "--layer", layer, "--ascii", "--max", "2"]
    assert main([*args, "--width", "80", "--data-dir", str(mnist_dir)]) == 0
    out = capsys.readouterr().out
    maps = out.partition("feature maps\n")[2].splitlines()
    return "".join(maps[1:15]), maps


def test_cli_feature_maps_keep_their_sign(capsys, mnist_dir) -> None:
    text, lines = feature_maps(capsys, mnist_dir, "conv1")  # before the ReLU: signed
    assert set(text) - {" "} <= set(DIVERGING_SHADES)
    assert set(text) & set(NEGATIVE_SHADES) and set(text) & set(POSITIVE_SHADES)
    scale = next(line for line in lines if line.startswith("shared scale"))
    lo, hi = (float(v) for v in scale.split()[2::2])
    assert lo == pytest.approx(-hi)  # centred on 0: blank is 0
    labels = lines[lines.index(scale) - 1].split()
    assert labels[1] == "0"
    text, lines = feature_maps(capsys, mnist_dir, "relu1")  # after it: one sign, sequential
    assert set(text) <= set(SEQUENTIAL_SHADES)
    scale = next(line for line in lines if line.startswith("shared scale"))
    assert float(scale.split()[2]) == 0
