"""Real pixels where the terminal can show them (issue 14, point 10): with ``--graphics kitty``
the digit, feature maps and kernels are drawn through textual-image's Kitty renderable (the
pictures go out as Kitty graphics escapes, the grids' cells hold their placeholders), with
Sixel the digit is textual-image's Sixel widget, and with ``auto`` in a plain xterm-256color
terminal everything stays half blocks."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from tui.__main__ import build_parser, options_from_args
from tui.widgets.heatmap import HeatmapGrid
from tui.widgets.pixel_image import PixelImage, to_pil

PLACEHOLDER = chr(0x10EEEE)  # Kitty's Unicode placeholder for an image cell
SIZES = [(100, 30), (120, 40), (200, 60)]


@pytest.fixture
def terminal_out(monkeypatch):
    """textual-image writes its Kitty graphics escapes straight to sys.__stdout__: here."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", out)
    return out


def screen_text(app) -> str:
    return "".join(seg.text for strip in app.screen._compositor.render_strips() for seg in strip)


async def shown_pixels(pilot, wait_for) -> PixelImage:
    app = pilot.app
    await wait_for(pilot, lambda: bool(app.query(PixelImage)), "the picture widget")
    pixels = app.query_one(PixelImage)
    await wait_for(pilot, lambda: pixels.shown is not None, "the digit in pixels")
    await pilot.pause()
    return pixels


@pytest.mark.parametrize("size", SIZES)
async def test_kitty_draws_the_digit_with_kitty_graphics(
    size, make_app, wait_for, ready, terminal_out
):
    """The digit's grid draws its 28x28 pixels as one Kitty image (textual-image's TGP
    renderable): the escapes go to the terminal, the grid's cells hold its placeholders, and
    its caption stays text."""
    app, fake = make_app(graphics="kitty")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        digit = app.query_one("#digit", HeatmapGrid)
        assert digit.model.pixel_tiles.renderable.__module__ == "textual_image.renderable.tgp"
        await wait_for(pilot, lambda: PLACEHOLDER in grid_text(digit), "the digit in pixels")
        assert "\u2580" not in grid_text(digit) and "true" in grid_text(digit)  # caption
        assert "\x1b_G" in terminal_out.getvalue()  # the picture sent as Kitty graphics
        assert "f=100" in terminal_out.getvalue()  # as a PNG, at the terminal's resolution
        assert not app.query(PixelImage)


async def test_the_picture_widget_keeps_square_pixels(make_app, wait_for, terminal_out):
    app, _ = make_app(graphics="sixel")
    async with app.run_test(size=(120, 40)) as pilot:
        pixels = await shown_pixels(pilot, wait_for)
        assert not app.query_one("#digit", HeatmapGrid).display  # the half blocks give way
        region = pixels.picture.region
        assert region.height >= 5 and abs(region.width - 2 * region.height) <= 1  # square px
        assert pixels.shown.shape == (28, 28)  # the digit's own 28x28 pixels
        assert "true" in str(pixels.query_one("#pixel-caption").render())


async def test_sixel_draws_the_digit_as_sixel(make_app, wait_for, terminal_out):
    app, _ = make_app(graphics="sixel")
    async with app.run_test(size=(120, 40)) as pilot:
        pixels = await shown_pixels(pilot, wait_for)
        assert type(pixels.picture).__module__ == "textual_image.widget.sixel"
        await wait_for(pilot, lambda: "\x1bP" in screen_text(app), "the Sixel data")


async def test_auto_in_a_plain_256_colour_terminal_keeps_half_blocks(
    make_app, wait_for, ready, monkeypatch
):
    for name in ("TMUX", "KITTY_WINDOW_ID", "TERM_PROGRAM", "CNN_TUI_GRAPHICS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    options = options_from_args(build_parser().parse_args([]))
    assert options.graphics == "off"
    app, _ = make_app(graphics=options.graphics)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        digit = app.query_one("#digit", HeatmapGrid)
        await wait_for(pilot, lambda: digit.model.codes is not None, "the digit")
        assert not app.query(PixelImage) and digit.display
        assert "\u2580" in screen_text(app)  # half blocks


def test_pictures_are_enlarged_with_square_pixels():
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[3, 5] = 255
    picture = np.asarray(to_pil(digit))
    factor = picture.shape[0] // 28
    assert picture.shape == (28 * factor, 28 * factor, 3) and factor >= 8
    block = picture[3 * factor : 4 * factor, 5 * factor : 6 * factor]
    assert (block == 255).all() and picture.sum() == 255 * 3 * factor * factor  # no blur


def grid_text(grid) -> str:
    return "".join(seg.text for y in range(grid.size.height) for seg in grid.render_line(y))


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
async def test_kitty_draws_feature_maps_and_kernels_in_pixels(
    size, make_app, wait_for, ready, terminal_out
):
    """The grids keep their titles and pages; each map's cells are Kitty placeholders; the
    images a new layer no longer shows are deleted from the terminal."""
    app, _ = make_app(graphics="kitty")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        maps, kernels = app.query_one("#activations"), app.query_one("#kernels")
        for grid in (maps, kernels):
            await wait_for(pilot, lambda g=grid: PLACEHOLDER in grid_text(g), "pixels")
            assert "\u2580" not in grid_text(grid)  # no half blocks left in the maps
            assert "#0" in grid_text(grid)  # the titles stay text
        sent = terminal_out.getvalue().count("\x1b_G")
        assert sent >= len(maps.visible_indices)  # one image per map shown, at least
        shape = maps.model.codes.shape
        await pilot.press("j", "j")  # conv1 -> relu1 -> pool1: maps of another size
        await wait_for(pilot, lambda: maps.model.codes.shape != shape, "the pooled maps")
        await wait_for(pilot, lambda: "a=d" in terminal_out.getvalue(), "old images deleted")


async def test_without_graphics_the_grids_keep_half_blocks(make_app, wait_for, ready):
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        maps = app.query_one("#activations")
        await wait_for(pilot, lambda: "\u2580" in grid_text(maps), "half blocks")
        assert PLACEHOLDER not in grid_text(maps)
        assert getattr(maps.model, "pixel_tiles", None) is None
