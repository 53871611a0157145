"""The Evaluate tab's lines that tell a person what to do and how to read: the key line keeps
"x export" at 80x24 in every view (the footer has no room for it), and Grad-CAM's how-to-read
says "upsampled" only when its layer's map is smaller than the input."""

from __future__ import annotations

import pytest

from tests.tui.evaluate.test_overlays import explain_a_mistake

SIZES = [(80, 24), (100, 30)]


def keys_line(pane) -> str:
    widget = pane.query_one("#eval-keys")
    line = str(widget.render()).strip()
    assert len(line) <= widget.content_size.width and widget.region.height == 1
    return line


@pytest.mark.parametrize("size", SIZES)
async def test_x_export_stays_on_the_key_line_in_every_view(
    size, make_eval_app, open_tab, open_mistakes, wait_for
) -> None:
    app, _ = make_eval_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        await pilot.pause()
        assert "x export" in keys_line(pane) and keys_line(pane).startswith("arrows move")
        await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        for _method in range(3):  # saliency, Grad-CAM, occlusion
            line = keys_line(pane)
            assert "x export" in line and line.startswith("m method"), line
            await pilot.press("m")
            await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert pane.view == "gallery" and "x export" in keys_line(pane)
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: pane.view == "actmax", "the act-max grid")
        assert "x export" in keys_line(pane)


async def test_grad_cam_says_upsampled_only_for_a_map_smaller_than_the_input(
    make_eval_app, open_tab, open_mistakes, wait_for
) -> None:
    app, _ = make_eval_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_tab(pilot)
        await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        await pilot.press("m")
        await pilot.pause()
        how = pane.query_one("#overlay-gradcam .overlay-how")
        assert "conv2" in str(how.render()) and "(coarse, upsampled)" in str(how.render())
        await pilot.press("g")  # conv1: 28x28 like the input
        await wait_for(pilot, lambda: "conv1" in str(how.render()), "conv1's overlays")
        assert "upsampled" not in str(how.render())
        assert "at the input's resolution" in str(how.render())
