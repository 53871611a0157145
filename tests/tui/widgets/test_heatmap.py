"""Half-block heatmap line building and grid layout, without a running app."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rich.color import ColorType
from textual.app import App, ComposeResult

from engine.render.colormap import ASCII_RAMP, DIVERGING, SEQUENTIAL, rgb_to_xterm256
from tui.widgets.grid import GridModel
from tui.widgets.grid_paint import fit_caption
from tui.widgets.halfblock import (
    EMPTY,
    LOWER_HALF,
    UPPER_HALF,
    codes_from_values,
    map_rows,
    outline,
)
from tui.widgets.heatmap import HeatmapGrid
from tui.widgets.heatmap_bench import build_time_benchmark
from tui.widgets.palette import MAX_CELL_STYLES, MAX_SEGMENTS, get_palette


def rows_for(values: np.ndarray, mode: str, cmap: str = "sequential", levels: int | None = 256):
    palette = get_palette(mode, cmap, levels)
    return map_rows(palette.keys(codes_from_values(values)), palette), palette


def rgb(color) -> tuple[int, int, int]:
    triplet = color.get_truecolor()
    return triplet.red, triplet.green, triplet.blue


def test_top_pixel_is_foreground_bottom_pixel_is_background():
    rows, _ = rows_for(np.array([[0.0], [1.0]]), "truecolor")
    assert len(rows) == 1 and len(rows[0]) == 1
    text, style, _ = rows[0][0]
    assert text == UPPER_HALF
    assert rgb(style.color) == tuple(SEQUENTIAL[0])
    assert rgb(style.bgcolor) == tuple(SEQUENTIAL[255])


def test_equal_pixels_are_a_space_with_background_only():
    rows, _ = rows_for(np.full((2, 5), 0.5), "truecolor")
    ((text, style, _),) = rows[0]
    assert text == " " * 5
    assert style.color is None and style.bgcolor is not None


def test_constant_map_gives_one_segment_per_row():
    rows, _ = rows_for(np.full((28, 28), 0.3), "truecolor")
    assert len(rows) == 14
    assert all(len(row) == 1 for row in rows)
    assert all(sum(len(seg.text) for seg in row) == 28 for row in rows)


def test_runs_of_equal_pairs_are_merged():
    values = np.zeros((2, 10))
    values[:, 4:7] = 1.0
    rows, _ = rows_for(values, "truecolor")
    assert [len(seg.text) for seg in rows[0]] == [4, 3, 3]


def test_odd_height_and_nan_leave_empty_pixels():
    rows, _ = rows_for(np.array([[1.0, np.nan], [np.nan, np.nan], [0.0, 1.0]]), "truecolor")
    first, second = rows
    assert first[0].text == UPPER_HALF and first[0].style.bgcolor is None
    assert first[1].text == " " and not first[1].style  # both pixels empty: a plain style
    assert all(seg.text in (UPPER_HALF * 2, UPPER_HALF) for seg in second)
    assert all(seg.style.bgcolor is None for seg in second)  # no bottom pixel on the odd row
    lower, _ = rows_for(np.array([[np.nan], [1.0]]), "truecolor")
    assert lower[0][0].text == LOWER_HALF


def test_256_mode_uses_xterm_numbers_of_the_colour_map():
    rows, _ = rows_for(np.array([[0.0], [1.0]]), "256", cmap="diverging")
    style = rows[0][0].style
    assert style.color.type == ColorType.EIGHT_BIT
    assert style.color.number == int(rgb_to_xterm256(DIVERGING[0]))
    assert style.bgcolor.number == int(rgb_to_xterm256(DIVERGING[255]))


def test_ascii_mode_has_no_colour_and_uses_the_ramp():
    ramp = np.linspace(0, 1, 20)[None].repeat(4, axis=0)
    rows, _ = rows_for(ramp, "ascii")
    for row in rows:
        for seg in row:
            assert seg.style is None or (seg.style.color is None and seg.style.bgcolor is None)
    text = "".join(seg.text for seg in rows[0])
    assert text[0] == ASCII_RAMP[0] and text[-1] == ASCII_RAMP[-1]
    assert set(text) <= set(ASCII_RAMP)


def test_styles_are_cached_per_pair_and_bounded():
    palette = get_palette("truecolor", "sequential", 256)
    rng = np.random.default_rng(1)
    keys = palette.keys(codes_from_values(rng.random((64, 64))))
    first = map_rows(keys, palette)
    again = map_rows(keys, palette)
    assert all(
        a.style is b.style
        for ra, rb in zip(first, again, strict=True)
        for a, b in zip(ra, rb, strict=True)
    )
    for _ in range(30):
        map_rows(palette.keys(codes_from_values(rng.random((64, 64)))), palette)
    assert palette.cached_cells <= MAX_CELL_STYLES
    assert len(palette._segments) <= MAX_SEGMENTS + 64 * 64


def test_quantised_levels_limit_distinct_styles():
    palette = get_palette("truecolor", "sequential", 16)
    rows = map_rows(
        palette.keys(codes_from_values(np.linspace(0, 1, 256)[None].repeat(2, 0))), palette
    )
    assert len(rows[0]) == 16  # 256 values, 16 levels, 16 runs


def test_outline_surrounds_the_box_and_clips_to_the_map():
    mask = outline((8, 8), (2, 2, 5, 5))
    assert mask[1, 1:6].all() and mask[5, 1:6].all() and mask[1:6, 1].all()
    assert not mask[2:5, 2:5].any()
    corner = outline((8, 8), (0, 0, 3, 3))
    assert corner[0, 0:4].all() and corner[3, 0:4].all()


def model_with(n: int, size: int, **kwargs) -> GridModel:
    model = GridModel()
    rng = np.random.default_rng(0)
    model.set_maps(rng.random((n, size, size)), titles=[f"m{i}" for i in range(n)], **kwargs)
    return model


def test_flow_layout_pages_and_every_line_has_the_width():
    model = model_with(32, 28)
    grid = model.layout(100, 30, 0)
    assert grid.page_count > 1 and len(grid.placements) == grid.per_page
    last = model.layout(100, 30, grid.page_count - 1)
    assert last.placements[-1][0] == 31
    strips = model.build(100, 30, 1, "truecolor")
    assert len(strips) == 30 and all(s.cell_length == 100 for s in strips)
    assert f"page 2/{grid.page_count}" in strips[0].text


def test_tiny_kernels_are_enlarged_and_big_maps_shrink_to_fit():
    kernels = model_with(8, 3)
    grid = kernels.layout(120, 40, 0)
    assert grid.zoom >= 2 and grid.map_w == 3 * grid.zoom
    big = model_with(1, 200)
    grid = big.layout(40, 12, 0)
    assert grid.map_w <= 40 and grid.map_h <= 2 * 11 and grid.page_count == 1
    strips = big.build(40, 12, 0, "256")
    assert all(s.cell_length == 40 for s in strips)


def test_forced_zoom_and_natural_height():
    model = model_with(4, 3)
    model.zoom = 1
    assert model.layout(80, 20, 0).map_w == 3
    model.zoom = 0
    assert model.natural_height(80) >= 1 + 1 + 2


def test_vector_wraps_to_the_width():
    model = GridModel()
    model.set_maps(np.linspace(0, 1, 100)[None, None], vector=True, caption="fc")
    grid = model.layout(30, 10, 0)
    assert grid.kind == "vector" and grid.map_w == 30 and grid.map_h == 2 * 4
    strips = model.build(30, 10, 0, "truecolor")
    assert strips[0].text.startswith("fc")


def test_table_layout_has_row_labels_and_column_titles():
    model = GridModel()
    maps = np.random.default_rng(0).random((3, 5, 6, 6))
    model.set_maps(maps, titles=[f"c{i}" for i in range(5)], row_labels=["7→7", "2→2", "1→4✗"])
    strips = model.build(60, 20, 0, "256")
    text = "\n".join(s.text for s in strips)
    assert "c0" in strips[1].text and "7→7" in text and "1→4✗" in text


def test_highlight_draws_the_outline_colour():
    model = model_with(1, 10)
    model.highlight = (0, (3, 3, 6, 6))
    grid = model.layout(40, 10, 0)
    palette = model.palette("truecolor", None)
    keys = model.map_keys(grid, 0, palette)
    assert (keys == palette.highlight).sum() > 0


def test_uint8_codes_and_rgb_images():
    codes = codes_from_values(np.array([[0, 255]], dtype=np.uint8))
    assert codes.tolist() == [[0, 255]]
    assert codes_from_values(np.array([[np.nan]])).tolist() == [[EMPTY]]
    model = GridModel()
    image = np.zeros((4, 4, 3), np.uint8)
    image[..., 0] = 255
    model.set_maps(image, rgb=True)
    strips = model.build(10, 4, 0, "truecolor")
    cells = [seg for seg in strips[2] if seg.style is not None and seg.style.bgcolor]
    assert cells[0].text == "    " and rgb(cells[0].style.bgcolor) == (255, 0, 0)
    assert model.build(10, 4, 0, "256")[2].text.startswith("    ")


def test_build_time_benchmark_reports_ms_and_bytes():
    result = build_time_benchmark(repeats=1)
    assert result["maps_shown"] == 32 and result["cells"] == 32 * 28 * 14
    assert all(result[f"build_ms_{mode}"] > 0 for mode in ("truecolor", "256", "ascii"))
    assert result["bytes_truecolor_merged"] < result["bytes_truecolor_naive"]
    assert result["segments_truecolor"] < result["segments_naive"] == 32 * 14 * 29 + 32


def test_widgets_import_no_torch():
    code = (
        "import sys, tui.widgets; "
        "sys.exit(1 if any(m == 'torch' or m.startswith('torch.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("mode", ["truecolor", "256", "ascii"])
def test_empty_grid_shows_message(mode):
    model = GridModel()
    model.clear("no weights")
    strips = model.build(30, 5, 0, mode)
    assert any("no weights" in s.text for s in strips)


def colours_in(strips) -> set:
    return {
        colour
        for strip in strips
        for seg in strip
        if seg.style is not None
        for colour in (seg.style.color, seg.style.bgcolor)
        if colour is not None
    }


class GridApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.pages: list[tuple[int, int]] = []

    def compose(self) -> ComposeResult:
        yield HeatmapGrid(color_mode="truecolor")

    def on_heatmap_grid_page_changed(self, message: HeatmapGrid.PageChanged) -> None:
        self.pages.append((message.page, message.page_count))


async def test_grid_widget_merges_constant_rows_and_highlights():
    app = GridApp()
    async with app.run_test(size=(60, 20)) as pilot:
        grid = app.query_one(HeatmapGrid)
        grid.set_maps(np.full((3, 10, 10), 0.4), titles=["a", "b", "c"])
        await pilot.pause()
        placements = grid.layout_info.placements
        assert len(placements) == 3 and grid.layout_info.zoom == 1
        y = placements[0][2] + 1  # first map line, under the titles
        map_segments = [
            seg
            for seg in grid.render_line(y)
            if seg.style and seg.style.bgcolor and seg.style.bgcolor != grid.rich_style.bgcolor
        ]
        assert len(map_segments) == 3 and all(len(seg.text) == 10 for seg in map_segments)
        grid.set_highlight(1, (2, 2, 5, 5))
        await pilot.pause()
        outlined = colours_in(grid.render_line(y) for y in range(grid.size.height))
        assert any(c.triplet is not None and tuple(c.triplet) == (255, 0, 255) for c in outlined)
        grid.set_maps(np.random.default_rng(0).random((40, 10, 10)))
        await pilot.pause()
        assert grid.next_page()
        await pilot.pause()
        assert grid.page == 1 and grid.page_label.startswith("page 2/")
        assert app.pages == [(1, grid.page_count)]


def test_a_long_caption_drops_whole_details_before_cutting() -> None:
    caption = "feature maps 8×28×28 · sample #0"
    assert fit_caption(caption, 40) == caption
    assert fit_caption(caption, 28) == "feature maps 8×28×28"
    assert fit_caption(caption, 10) == "feature…"  # whole words only
    assert fit_caption("", 5) == "" and fit_caption("abc", 0) == ""
