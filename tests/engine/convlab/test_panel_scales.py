"""Each kind of Conv lab panel has its own colour scale (issue 14, point 6): inputs grey over
their own range, kernels and outputs diverging and symmetric about 0; ``python -m engine
conv`` draws each kind with its own legend."""

from __future__ import annotations

import numpy as np
import pytest

from engine.cli import conv_figures
from engine.convlab import display, lab
from engine.render.colormap import CENTER, COLORMAPS, lut_index


def test_an_input_is_grey_over_its_own_range():
    scale = display.panel_scale("input", [np.array([[-11.0, 0.0], [3.0, 11.0]])])
    assert (scale.lo, scale.hi, scale.cmap) == (-11.0, 11.0, "gray")
    digit = display.panel_scale("input", [np.array([[0.0, 0.25]])])
    assert (digit.lo, digit.hi) == (0.0, 0.25)  # not stretched to the outputs' range
    lut = COLORMAPS[digit.cmap]
    assert np.all(lut[:, 0] == lut[:, 1]) and np.all(lut[:, 1] == lut[:, 2])
    assert np.all(np.diff(lut[:, 0].astype(int)) >= 0)  # brighter for larger values


@pytest.mark.parametrize("kind", ["kernel", "output"])
def test_kernels_and_outputs_are_diverging_about_zero(kind):
    scale = display.panel_scale(kind, [np.array([[0.0, 1.0], [2.0, 5.0]])])  # none negative
    assert (scale.lo, scale.hi, scale.cmap) == (-5.0, 5.0, "diverging")
    unit = display.to_unit(np.array([0.0]), scale.lo, scale.hi)
    assert lut_index(unit)[0] == CENTER  # 0 is the diverging map's white centre
    flat = display.panel_scale(kind, [np.zeros((3, 3))])
    assert (flat.lo, flat.hi) == (-1.0, 1.0)  # zeros are white, not a division by zero


def test_non_finite_values_do_not_set_a_scale():
    scale = display.panel_scale("output", [np.array([np.inf, -2.0, np.nan])])
    assert (scale.lo, scale.hi) == (-2.0, 2.0)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="panel kind"):
        display.panel_scale("bias", [np.ones(2)])


def test_the_cli_draws_each_kind_with_its_own_legend():
    result = lab.run_lab("volume", ["vertical"], "valid", 1)
    lines = conv_figures.heatmap_figure(result, "ascii", 200)
    text = "\n".join(lines)
    for label in ("input scale:", "kernels scale:", "outputs scale:"):
        assert text.count(label) == 1
    row = next(i for i, line in enumerate(lines) if "kernels scale:" in line)
    column = lines[row].index("kernels scale:")
    assert lines[row + 2][column:].split()[:3] == ["-1", "0", "1"]  # the kernel's own range
    assert "input c0" in lines[1] and "vertical" in lines[1]  # side by side when they fit
