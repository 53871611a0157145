"""engine.render.figures: enlarged panels, colour bars with ticks, overlays, text, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import EngineError
from engine.render.colormap import DIVERGING, SEQUENTIAL
from engine.render.figure_text import drawable
from engine.render.figures import (
    ALPHA_MAX,
    BACKGROUND,
    BAR_GAP,
    BAR_WIDTH,
    UNDERLAY_LEVEL,
    FigurePanel,
    picture_boxes,
    save_figure,
)


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "RGB"
        return np.asarray(image).astype(int)


def ramp(height: int = 28, width: int = 28) -> np.ndarray:
    return np.linspace(-2.0, 6.0, height * width).reshape(height, width)


def test_panel_is_enlarged_to_about_224_px_and_coloured_by_its_range(tmp_path: Path) -> None:
    values = ramp()
    panel = FigurePanel(values, "sequential", label="map")
    path = save_figure(tmp_path / "f.png", [panel], title="T", caption="C")
    image = pixels(path)
    ((left, top, scale),) = picture_boxes([panel], "T", "C")
    assert scale == 8  # 28 x 8 = 224
    for i, j in ((0, 0), (27, 27), (10, 17)):
        block = image[top + i * 8 : top + i * 8 + 8, left + j * 8 : left + j * 8 + 8]
        expected = SEQUENTIAL[int(np.floor((values[i, j] + 2) / 8 * 255 + 0.5))]
        assert (np.abs(block - expected) <= 1).all(), (i, j)
    # a small kernel is enlarged too: 3 x 75 = 225
    assert picture_boxes([FigurePanel(np.ones((3, 3)))])[0][2] == 75


def test_colour_bar_runs_from_max_at_the_top_to_min_at_the_bottom(tmp_path: Path) -> None:
    panel = FigurePanel(ramp(), "diverging")
    image = pixels(save_figure(tmp_path / "f.png", [panel]))
    ((left, top, scale),) = picture_boxes([panel])
    bar_x = left + 28 * scale + BAR_GAP + BAR_WIDTH // 2
    assert (np.abs(image[top, bar_x] - DIVERGING[255]) <= 1).all()
    assert (np.abs(image[top + 28 * scale - 1, bar_x] - DIVERGING[0]) <= 1).all()
    # the diverging range is symmetric (-6..6): the white centre is half-way down the bar
    middle = image[top + 28 * scale // 2, bar_x]
    assert (middle >= 245).all()
    # tick numbers are drawn right of the bar: dark pixels at the top, middle (0) and bottom
    ticks = image[top : top + 28 * scale, bar_x + BAR_WIDTH : bar_x + BAR_WIDTH + 50]
    dark_rows = np.nonzero((ticks.sum(axis=2) < 300).any(axis=1))[0]
    assert dark_rows.min() < 12 and dark_rows.max() > 28 * scale - 14
    assert ((dark_rows > 28 * scale // 2 - 10) & (dark_rows < 28 * scale // 2 + 10)).any()


def test_underlay_shows_through_where_the_map_is_weak(tmp_path: Path) -> None:
    digit = np.zeros((28, 28))
    digit[5:20, 12:15] = 1.0
    values = np.zeros((28, 28))
    values[6, 13] = 4.0  # one strong pixel on the stroke
    values[10, 13] = 1.0  # a weaker one
    panel = FigurePanel(values, "sequential", underlay=digit, alpha_by_strength=True)
    image = pixels(save_figure(tmp_path / "f.png", [panel]))
    ((left, top, scale),) = picture_boxes([panel])

    def at(i: int, j: int) -> np.ndarray:
        return image[top + i * scale + scale // 2, left + j * scale + scale // 2]

    grey = 255 * UNDERLAY_LEVEL
    assert (np.abs(at(15, 13) - grey) <= 1).all()  # stroke, no attribution: grey
    assert (at(0, 0) == 0).all()  # background, no attribution: black
    strong = ALPHA_MAX * SEQUENTIAL[255] + (1 - ALPHA_MAX) * grey
    assert (np.abs(at(6, 13) - strong) <= 1).all()
    weak_alpha = ALPHA_MAX * 0.25
    weak = weak_alpha * SEQUENTIAL[64] + (1 - weak_alpha) * grey
    assert (np.abs(at(10, 13) - weak) <= 1).all()


def test_several_panels_share_a_row_and_a_title_pushes_them_down(tmp_path: Path) -> None:
    panels = [FigurePanel(ramp(), label=str(i)) for i in range(3)]
    plain, titled = picture_boxes(panels), picture_boxes(panels, title="a title")
    assert len({top for _, top, _ in plain}) == 1
    assert plain[0][0] < plain[1][0] < plain[2][0]
    assert titled[0][1] > plain[0][1]
    grid = picture_boxes([FigurePanel(ramp()) for _ in range(9)])
    assert len({top for _, top, _ in grid}) == 3  # nine panels: 3 x 3
    path = save_figure(tmp_path / "f.png", panels, title="a title", caption="the caption")
    with Image.open(path) as image:
        width, height = image.size
    assert width > 3 * 224 and height > 224
    # the title and caption are drawn: non-background pixels above and below the pictures
    image_px = pixels(path)
    assert (image_px[: titled[0][1] - 20] != BACKGROUND).any()
    assert (image_px[titled[0][1] + 224 :] != BACKGROUND).any()


def test_nonfinite_values_are_magenta_and_do_not_break_the_range(tmp_path: Path) -> None:
    values = ramp()
    values[0, 0] = np.nan
    panel = FigurePanel(values)
    image = pixels(save_figure(tmp_path / "f.png", [panel]))
    ((left, top, _),) = picture_boxes([panel])
    assert tuple(image[top + 1, left + 1]) == (255, 0, 255)


def test_text_without_glyphs_is_written_out() -> None:
    assert drawable("7 → 2 ✗") == "7 -> 2 x"
    assert "?" in drawable("σ")


def test_errors_are_one_line_engine_errors(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="cannot write"):
        save_figure(tmp_path / "missing" / "f.png", [FigurePanel(ramp())])
    with pytest.raises(EngineError, match="underlay"):
        save_figure(tmp_path / "f.png", [FigurePanel(ramp(), underlay=np.ones((3, 3)))])
    with pytest.raises(EngineError, match="at least one panel"):
        save_figure(tmp_path / "f.png", [])
    with pytest.raises(EngineError, match="colour map"):
        save_figure(tmp_path / "f.png", [FigurePanel(ramp(), "rainbow")])
