"""Unit tests of the HeatmapGrid's plain state (GridView): caches, geometry, kept height."""

from __future__ import annotations

import numpy as np

from tui.widgets.grid_paint import GridStyles
from tui.widgets.grid_view import GridView


def view_with(n: int, size: int = 8) -> GridView:
    view = GridView()
    rng = np.random.default_rng(0)
    view.model.set_maps(rng.random((n, size, size)), titles=[f"m{i}" for i in range(n)])
    return view


def test_layout_is_cached_until_the_data_changes():
    view = view_with(40)
    first = view.layout(60, 20, 0)
    assert view.layout(60, 20, 0) is first
    assert view.layout(60, 20, 1) is not first
    view.invalidate()
    assert view.layout(60, 20, 1) is not first and view.version == 1


def test_lines_are_built_once_per_data_and_height():
    view = view_with(4)
    strips = view.strips(40, 10, 0, "256", GridStyles)
    assert len(strips) == 10 and view.builds == 1
    assert view.strips(40, 10, 0, "256", GridStyles) is strips and view.builds == 1
    view.strips(40, 12, 0, "256", GridStyles)
    assert view.builds == 2
    view.invalidate()
    view.strips(40, 12, 0, "256", GridStyles)
    assert view.builds == 3


def test_shape_changes_but_new_values_of_the_same_shape_do_not():
    view = view_with(4)
    assert view.shape_changed()
    view.model.set_maps(np.zeros((4, 8, 8)))
    assert not view.shape_changed()
    view.model.set_maps(np.zeros((5, 8, 8)))
    assert view.shape_changed()
    view.model.clear("no weights")
    assert view.shape_changed()


def test_page_label_and_visible_titles():
    view = view_with(40)
    grid = view.layout(60, 20, 1)
    assert view.page_label(60, 20, 1) == f"page 2/{grid.page_count}"
    shown = view.visible_titles(grid)
    assert shown[0] == f"m{grid.placements[0][0]}" and len(shown) == len(grid.placements)


def test_highlight_reports_changes():
    view = view_with(2)
    assert view.set_highlight((0, (1, 1, 2, 2)))
    assert not view.set_highlight((0, (1, 1, 2, 2)))
    assert view.set_highlight(None) and view.model.highlight is None


def test_kept_height_grows_but_does_not_shrink_until_released():
    view = view_with(4, size=8)
    natural = view.content_height(80, 40, 0)
    view.keep_height = True
    assert view.content_height(80, 40, 30) == 30  # keeps the lines it has
    assert view.fits(80, 30)
    view.release_height()
    assert not view.fits(80, 30)  # released: only its natural height fits
    assert view.fits(80, natural)  # so a layout is spared when the lines are already that
    assert view.content_height(80, 40, 30) == natural  # shrinks once
    assert view.content_height(80, 40, 30) == 30
