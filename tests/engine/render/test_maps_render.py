"""engine.render.maps, engine.render.colormap and engine.render.terminal: scaling,
quantisation, LUTs and ANSI heatmaps."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.render.colormap import (
    ASCII_RAMP,
    CENTER,
    DIVERGING,
    GRAY,
    SEQUENTIAL,
    apply,
    ascii_chars,
    lut_index,
    rgb_to_xterm256,
    xterm256_to_rgb,
)
from engine.render.maps import dequantize, downsample, quantize, scale_maps, upscale
from engine.render.terminal import (
    RESET,
    UPPER_HALF,
    color_mode,
    heatmap_lines,
    legend,
    render_grid,
    strip_ansi,
    visible_width,
)

SGR = re.compile(r"\x1b\[([0-9;]*)m")


# ---------------------------------------------------------------------------- maps


def test_shared_scaling_uses_one_range_for_all_maps() -> None:
    maps = np.stack([np.full((3, 3), 1.0), np.linspace(-2, 4, 9).reshape(3, 3)])
    scaled = scale_maps(maps)
    assert scaled.values.dtype == np.float32 and scaled.values.shape == maps.shape
    assert scaled.shared_range == (-2.0, 4.0)
    np.testing.assert_allclose(scaled.ranges, [[1, 1], [-2, 4]])
    np.testing.assert_allclose(scaled.values, (maps + 2) / 6, rtol=1e-6)
    assert scaled.values.min() == 0.0 and scaled.values.max() == 1.0


def test_per_map_scaling_stretches_each_map() -> None:
    maps = np.stack([np.arange(4.0).reshape(2, 2), 10 * np.arange(4.0).reshape(2, 2) + 5])
    scaled = scale_maps(maps, shared=False)
    for i in range(2):
        assert scaled.values[i].min() == 0.0 and scaled.values[i].max() == 1.0
    np.testing.assert_allclose(scaled.values[0], scaled.values[1])


def test_symmetric_scaling_puts_zero_in_the_middle() -> None:
    maps = np.array([[[-1.0, 0.0, 3.0]]])
    scaled = scale_maps(maps, symmetric=True)
    assert scaled.shared_range == (-3.0, 3.0)
    np.testing.assert_allclose(scaled.values[0, 0], [1 / 3, 0.5, 1.0], rtol=1e-6)
    assert lut_index(scaled.values[0, 0, 1]) == CENTER


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("symmetric", [True, False])
def test_constant_maps_do_not_divide_by_zero(shared: bool, symmetric: bool) -> None:
    maps = np.zeros((2, 4, 4))
    maps[1] = 7.0
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        scaled = scale_maps(maps, shared=shared, symmetric=symmetric)
        q, ranges = quantize(maps)
    assert np.isfinite(scaled.values).all()
    assert scaled.values.min() >= 0 and scaled.values.max() <= 1
    if not shared:
        flat = 0.5 if symmetric else 0.0
        assert (scaled.values[0] == flat).all()
    assert (q == 0).all()
    np.testing.assert_allclose(dequantize(q, ranges), maps)
    all_zero = scale_maps(np.zeros((1, 2, 2)), symmetric=True)
    assert (all_zero.values == 0.5).all() and all_zero.shared_range == (0.0, 0.0)


def test_non_finite_values_are_ignored_for_ranges() -> None:
    maps = np.array([[[np.nan, 1.0], [2.0, np.inf]]])
    scaled = scale_maps(maps)
    assert scaled.shared_range == (1.0, 2.0)
    # the finite values are scaled; the others stay not-a-number, for pictures to mark
    assert scaled.values[0, 0, 1] == 0.0 and scaled.values[0, 1, 0] == 1.0
    assert np.isnan(scaled.values[0, 0, 0]) and np.isnan(scaled.values[0, 1, 1])
    assert np.isfinite(quantize(maps)[0]).all()  # quantised maps stay plain uint8


def test_quantize_shapes_and_exact_ends() -> None:
    maps = np.random.default_rng(0).normal(size=(5, 6, 7)).astype(np.float32)
    q, ranges = quantize(maps)
    assert q.dtype == np.uint8 and q.shape == maps.shape and ranges.shape == (5, 2)
    assert (q.reshape(5, -1).min(axis=1) == 0).all() and (q.reshape(5, -1).max(axis=1) == 255).all()
    back = dequantize(q, ranges)
    assert back.dtype == np.float32
    step = (ranges[:, 1] - ranges[:, 0]) / 255
    err = np.abs(back - maps).reshape(5, -1).max(axis=1)
    assert (err <= step / 2 + 1e-5).all()
    with pytest.raises(ValueError):
        dequantize(q, ranges[:3])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    )
)
def test_quantize_round_trip_property(maps: np.ndarray) -> None:
    q, ranges = quantize(maps)
    back = dequantize(q, ranges)
    span = (ranges[:, 1].astype(np.float64) - ranges[:, 0]).reshape(-1, 1, 1)
    tolerance = span / 255 / 2 + 1e-6 * (1 + np.abs(maps)) + 1e-3
    assert (np.abs(back - maps) <= tolerance).all()
    scaled = scale_maps(maps, shared=False)
    assert (scaled.values >= 0).all() and (scaled.values <= 1).all()


def test_downsample_and_upscale() -> None:
    values = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(downsample(values, 2, 2), [[2.5, 4.5], [10.5, 12.5]])
    assert downsample(values, 8, 8).shape == (4, 4)
    assert downsample(np.ones((5, 7)), 2, 3).shape == (2, 3)
    assert upscale(np.eye(2), 3).shape == (6, 6)
    assert upscale(np.eye(2), 1).shape == (2, 2)


# ---------------------------------------------------------------------------- colour maps


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])


def test_lut_shapes_and_types() -> None:
    for lut in (SEQUENTIAL, DIVERGING, GRAY):
        assert lut.shape == (256, 3) and lut.dtype == np.uint8
    assert not SEQUENTIAL.flags.writeable


def test_sequential_is_perceptually_ordered() -> None:
    lum = luminance(SEQUENTIAL)
    assert (np.diff(lum) >= -0.5).all()  # lightness never goes back (viridis)
    assert lum[-1] - lum[0] > 150
    assert tuple(SEQUENTIAL[0]) == (68, 1, 84) and tuple(SEQUENTIAL[-1]) == (253, 231, 37)


def test_diverging_is_blue_white_red_centred_at_128() -> None:
    assert tuple(DIVERGING[CENTER]) == (255, 255, 255) and CENTER == 128
    r, g, b = DIVERGING[0].astype(int)
    assert b > r and b > g
    r, g, b = DIVERGING[255].astype(int)
    assert r > b and r > g
    lum = luminance(DIVERGING)
    assert (np.diff(lum[: CENTER + 1]) >= 0).all() and (np.diff(lum[CENTER:]) <= 0).all()
    assert lut_index(0.5) == 128 and lut_index(0.0) == 0 and lut_index(1.0) == 255


def test_rgb_to_xterm256_known_colours_and_shape() -> None:
    rgb = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [128, 128, 128], [0, 95, 135]])
    assert rgb_to_xterm256(rgb).tolist() == [16, 231, 196, 244, 16 + 6 + 2]
    grid = np.random.default_rng(1).integers(0, 256, size=(4, 5, 3))
    codes = rgb_to_xterm256(grid)
    assert codes.shape == (4, 5) and codes.dtype == np.uint8
    assert codes.min() >= 16
    with pytest.raises(ValueError):
        rgb_to_xterm256(np.zeros((3, 4)))


def test_xterm256_codes_round_trip_and_are_nearest() -> None:
    codes = np.arange(16, 256)
    assert (rgb_to_xterm256(xterm256_to_rgb(codes)) == codes).all()
    colours = np.random.default_rng(2).integers(0, 256, size=(300, 3))
    palette = xterm256_to_rgb(codes).astype(int)
    chosen = rgb_to_xterm256(colours).astype(int)
    best = ((colours[:, None, :] - palette[None]) ** 2).sum(-1).min(axis=1)
    got = ((colours - xterm256_to_rgb(chosen).astype(int)) ** 2).sum(-1)
    assert (got <= best * 1.5 + 300).all()  # cube-axis rounding is near the true nearest


def test_ascii_chars() -> None:
    chars = ascii_chars(np.array([0.0, 0.5, 1.0, np.nan, 2.0]))
    assert chars.tolist() == [
        ASCII_RAMP[0],
        ASCII_RAMP[5],
        ASCII_RAMP[-1],
        ASCII_RAMP[0],
        ASCII_RAMP[-1],
    ]


# ---------------------------------------------------------------------------- render


def test_color_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLORTERM", raising=False)
    assert color_mode() == "256"
    monkeypatch.setenv("COLORTERM", "truecolor")
    assert color_mode() == "truecolor"
    assert color_mode(force_ascii=True) == "ascii"
    monkeypatch.setenv("COLORTERM", "24bit")
    assert color_mode() == "truecolor"
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_mode() == "ascii"


def decode(line: str) -> list[tuple[str | None, str | None]]:
    """(fg, bg) SGR colour text for every '▀' cell of a rendered line."""
    fg = bg = None
    cells = []
    position = 0
    for match in SGR.finditer(line + "\x1b[m"):
        for char in line[position : match.start()]:
            assert char == UPPER_HALF
            cells.append((fg, bg))
        params = match.group(1).split(";") if match.group(1) else ["0"]
        i = 0
        while i < len(params):
            code = params[i]
            if code == "0":
                fg = bg = None
                i += 1
            elif code in ("38", "48"):
                width = 5 if params[i + 1] == "2" else 3
                colour = ";".join(params[i + 1 : i + width])
                fg, bg = (colour, bg) if code == "38" else (fg, colour)
                i += width
            else:
                raise AssertionError(f"unexpected SGR {code}")
        position = match.end()
    return cells


def test_truecolor_half_blocks_encode_top_and_bottom_pixels() -> None:
    values = np.random.default_rng(3).random((4, 6))
    lines = heatmap_lines(values, SEQUENTIAL, "truecolor")
    assert len(lines) == 2
    rgb = apply(values, SEQUENTIAL)
    for row, line in enumerate(lines):
        assert strip_ansi(line) == UPPER_HALF * 6 and line.endswith(RESET)
        for col, (fg, bg) in enumerate(decode(line)):
            top, bottom = rgb[2 * row, col], rgb[2 * row + 1, col]
            assert fg == "2;{};{};{}".format(*top) and bg == "2;{};{};{}".format(*bottom)


def test_256_colour_mode_uses_xterm_codes() -> None:
    values = np.linspace(0, 1, 10).reshape(2, 5)
    (line,) = heatmap_lines(values, DIVERGING, "256")
    codes = rgb_to_xterm256(apply(values, DIVERGING))
    cells = decode(line)
    assert [fg for fg, _ in cells] == [f"5;{c}" for c in codes[0]]
    assert [bg for _, bg in cells] == [f"5;{c}" for c in codes[1]]
    assert "38;2;" not in line


def test_odd_heights_leave_the_last_lower_half_default() -> None:
    lines = heatmap_lines(np.random.default_rng(4).random((5, 3)), SEQUENTIAL, "truecolor")
    assert len(lines) == 3
    assert "48;" not in lines[-1] and all(bg is None for _, bg in decode(lines[-1]))
    assert all(visible_width(line) == 3 for line in lines)


def test_runs_of_equal_colours_share_one_escape() -> None:
    lines = heatmap_lines(np.full((2, 50), 0.3), SEQUENTIAL, "truecolor")
    assert lines[0].count("\x1b[") == 2  # one colour pair, one reset
    stripes = np.zeros((2, 40))
    stripes[:, 20:] = 1.0
    line = heatmap_lines(stripes, SEQUENTIAL, "256")[0]
    assert line.count("\x1b[") == 3
    random_line = heatmap_lines(np.random.default_rng(5).random((2, 40)), SEQUENTIAL, "256")[0]
    assert len(line.encode()) < len(random_line.encode()) / 3


def test_ascii_mode_averages_row_pairs() -> None:
    values = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.2, 0.2, 0.2]])
    lines = heatmap_lines(values, SEQUENTIAL, "ascii")
    assert lines[0] == "".join(ascii_chars(np.array([0.5, 1.0, 0.0])))
    assert lines[1] == "".join(ascii_chars(np.array([0.2, 0.2, 0.2])))
    assert "\x1b" not in "".join(lines)
    with pytest.raises(ValueError):
        heatmap_lines(values, SEQUENTIAL, "sixel")


def test_render_grid_wraps_to_width_with_titles() -> None:
    maps = [np.full((8, 8), i / 10) for i in range(10)]
    titles = [f"m{i}" for i in range(10)]
    lines = render_grid(maps, titles, SEQUENTIAL, "truecolor", width=40)
    assert all(visible_width(line) <= 40 for line in lines)
    blocks = "\n".join(lines).split("\n\n")
    assert len(blocks) == 3  # 4 + 4 + 2 maps of 8 columns with 2-column gaps
    assert strip_ansi(blocks[0].splitlines()[0]).split() == ["m0", "m1", "m2", "m3"]
    assert strip_ansi(blocks[2].splitlines()[0]).split() == ["m8", "m9"]
    assert len(blocks[0].splitlines()) == 1 + 4
    long_title = render_grid([np.zeros((2, 3))], ["a very long title"], GRAY, "ascii", 80)
    assert strip_ansi(long_title[0]).startswith("a very \u2026")
    with pytest.raises(ValueError):
        render_grid(maps, titles[:2], SEQUENTIAL, "ascii", 40)


def test_render_grid_pads_maps_of_different_heights() -> None:
    lines = render_grid([np.zeros((4, 4)), np.ones((8, 6))], ["a", "b"], GRAY, "ascii", 80)
    assert len(lines) == 1 + 4
    assert lines[1].startswith("    " + "  ")  # the short map's column is padded


def test_legend_shows_range_and_zero() -> None:
    bar, labels = legend(-0.5, 0.5, DIVERGING, "truecolor", width=30)
    assert visible_width(bar) == 30
    assert labels.startswith("-0.5") and labels.endswith("0.5")
    assert labels.split() == ["-0.5", "0", "0.5"]
    bar, labels = legend(0, 12.5, SEQUENTIAL, "ascii", width=20)
    assert bar == "".join(ascii_chars(np.linspace(0, 1, 20)))
    assert labels.split() == ["0", "12.5"]


def test_numpy_only_modules_do_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, engine.render.maps, engine.render.colormap, engine.render.terminal; "
        "print('torch' in sys.modules, 'textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
