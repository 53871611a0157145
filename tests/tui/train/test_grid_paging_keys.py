"""Each inspector grid pages with its own keys: . and , (page down/up) the feature maps,
> and < the kernels; both shown in the footer and in the help."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from tui.screens import HelpScreen
from tui.widgets.heatmap import HeatmapGrid


async def open_conv2(pilot, ready, wait_for):
    """conv2 (16 kernels, 16 maps) selected, its kernels and maps drawn."""
    app = pilot.app
    await ready(pilot)
    for _ in range(3):
        await pilot.press("j")
    inspector = app.main.train.inspector
    await wait_for(pilot, lambda: inspector.layer_name == "conv2", "conv2")
    kernels = inspector.query_one("#kernels", HeatmapGrid)
    maps = inspector.query_one("#activations", HeatmapGrid)
    await wait_for(pilot, lambda: kernels.count == 16 and maps.count == 16, "conv2's grids")
    await pilot.pause()
    return kernels, maps


async def test_full_stop_pages_the_maps_and_greater_than_the_kernels(make_app, ready, wait_for):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        kernels, maps = await open_conv2(pilot, ready, wait_for)
        assert kernels.page_count > 1 and maps.page_count > 1
        await pilot.press("full_stop")
        await pilot.pause()
        assert (kernels.page, maps.page) == (0, 1)  # the maps, although kernels have pages
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert (kernels.page, maps.page) == (1, 1)
        await pilot.press("comma")
        await pilot.pause()
        assert (kernels.page, maps.page) == (1, 0)
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert (kernels.page, maps.page) == (0, 0)
        await pilot.press("pagedown")
        await pilot.pause()
        assert (kernels.page, maps.page) == (0, 1)


async def test_paging_keys_are_in_the_footer_and_the_help(make_app, ready, wait_for):
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_conv2(pilot, ready, wait_for)
        shown = {key.key_display: key.description for key in app.screen.query(FooterKey)}
        assert shown.get(".") == "Next maps" and shown.get(">") == "Next kernels"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        listed = {key.display: key.help for key in app.screen.shown_keys}
        assert "feature maps" in listed[". / pagedown"]
        assert "kernels" in listed[">"] and "kernels" in listed["<"]
