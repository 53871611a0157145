"""The Evaluate tab uses the terminal it has (issue 13, points 9 and 10): the confusion matrix
grows by whole factors to fill the height at 100x30, 120x40 and 200x60 (and keeps its compact
form at 80x24) with the cell's text still beside it; the one-line texts (summary, legend, keys)
fit the width, whole words and parts only, with the full text in a tooltip."""

from __future__ import annotations

import pytest

from tui.evaluate.matrix import ConfusionMatrix, cell_width
from tui.evaluate.views import KEY_HELP

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
SCALES = {80: 1, 100: 2, 120: 3, 200: 5}


def shown(widget) -> str:
    content = widget.render()
    return (content.plain if hasattr(content, "plain") else str(content)).rstrip()


def whole_words(line: str, full: str) -> bool:
    """Whether every word of ``line`` (bar a final "…") is a whole word of ``full``."""
    words = set(full.replace("·", " ").split())
    return all(word in words for word in line.rstrip("…").replace("·", " ").split())


@pytest.mark.parametrize("size", SIZES)
async def test_the_matrix_fills_the_height_it_has(size, make_eval_app, open_tab) -> None:
    app, _ = make_eval_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        await pilot.pause()
        matrix = pane.query_one(ConfusionMatrix)
        body = pane.query_one("#eval-body").size
        assert matrix.scale == SCALES[size[0]]
        lines = matrix.render().plain.splitlines()
        assert len(lines) == 1 + 10 * matrix.scale == matrix.size.height <= body.height
        if size[0] >= 100:  # the matrix takes most of the height it has
            assert matrix.size.height >= 0.75 * body.height, (matrix.size, body)
        cell = pane.query_one("#eval-cell")
        assert all(len(line) <= matrix.size.width for line in lines)
        if size[0] == 80:  # too narrow for both side by side: the cell's text goes under it
            assert pane.query_one("#eval-body").has_class("-stacked")
            assert cell.region.y >= matrix.region.bottom
            assert cell.region.bottom <= pane.query_one("#eval-body").region.bottom
        else:
            assert matrix.size.width + cell.size.width <= body.width  # nothing cut at the right
            assert cell.region.x >= matrix.region.right
        assert cell.size.width >= len("true 0, predicted 0:")
        assert shown(cell).splitlines()[0].strip() == "true 0, predicted 0:"  # not wrapped


async def test_the_matrix_refits_on_resize_and_keeps_its_cursor(make_eval_app, open_tab):
    app, _ = make_eval_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot)
        matrix = pane.query_one(ConfusionMatrix)
        await pilot.press("down", "down", "down", "right", "right")
        assert matrix.cursor == (3, 2)
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert matrix.scale == 5
        lines = matrix.render().plain.splitlines()
        middle = lines[1 + 3 * 5 + 2]  # the middle line of class 3's row of cells
        assert middle.split()[0] == "3" and f"[{matrix.count}]" in middle
        start = 4 + 2 * cell_width(5)  # the cursor's cell: after the label and two cells
        assert f"[{matrix.count}]" in middle[start : start + cell_width(5)]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert matrix.scale == 1 and len(matrix.render().plain.splitlines()) == 11


@pytest.mark.parametrize("size", SIZES)
async def test_the_digit_legend_fits_at_word_boundaries(
    size, make_eval_app, open_tab, open_mistakes, wait_for
) -> None:
    app, _ = make_eval_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        await open_mistakes(pilot, pane)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.digit) == 3, "the digit's three explanations")
        await pilot.pause()
        status = pane.query_one("#eval-status")
        legend = shown(status)
        first = pane.digit["saliency"]
        full = pane.state.status
        assert f"true class {first['label']}" in full and f"predicted {first['pred']}" in full
        assert len(legend) <= status.content_size.width
        assert whole_words(legend, full)
        assert legend == full or status.tooltip == full  # the full legend stays reachable
        # how to read occlusion is wrapped whole, never cut, under its pictures
        how = pane.query_one("#overlay-occlusion .overlay-how")
        if how.display and how.parent.display:
            assert "the patch argued against K" in " ".join(str(how.render()).split())


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_keys_and_summary_lines_drop_whole_parts(size, make_eval_app, open_tab) -> None:
    app, _ = make_eval_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        await pilot.pause()
        for selector in ("#eval-keys", "#eval-summary"):
            widget = pane.query_one(selector)
            line = shown(widget)
            full = str(widget.tooltip or line)
            assert len(line) <= widget.content_size.width, selector
            assert whole_words(line, full), (selector, line)
            parts = full.split(" · ")
            assert all(part in parts for part in line.split(" · ")), (selector, line)
        keys = pane.query_one("#eval-keys")
        assert shown(keys).startswith("arrows move · enter images of the cell")
        if len(KEY_HELP["matrix"]) > keys.content_size.width:
            assert keys.tooltip == KEY_HELP["matrix"]
        assert "accuracy" in shown(pane.query_one("#eval-summary"))
