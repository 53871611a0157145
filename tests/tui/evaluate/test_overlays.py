"""The Evaluate tab's digit view: attribution overlays for the true and the predicted class, each
with its colour bar and a line on how to read it; m (method), g (Grad-CAM layer), x (PNGs)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.render.figures import FigurePanel, panel_rgb
from engine.render.terminal import format_value
from tui.evaluate.overlays import (
    AttributionOverlays,
    MethodOverlays,
    OverlayPanel,
    colour_range,
    overlay_picture,
)
from tui.widgets.colorbar import ColorBar
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (200, 60)]


def shown_blocks(pane) -> list[str]:
    return [b.method for b in pane.query(MethodOverlays) if b.display]


def panels_of(pane, method: str) -> list[OverlayPanel]:
    block = pane.query_one(f"#overlay-{method}", MethodOverlays)
    return [p for p in block.query(OverlayPanel) if p.display]


def text_of(widget) -> str:
    return str(widget.render()).strip()


async def explain_a_mistake(pilot, pane, open_mistakes, wait_for) -> dict:
    await open_mistakes(pilot, pane)
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(pane.digit) == 3, "the three methods")
    await pilot.pause()
    return pane.digit["saliency"]


@pytest.mark.parametrize("size", SIZES)
async def test_true_and_predicted_overlays_side_by_side_with_colour_bars(
    size, make_eval_app, open_tab, open_mistakes, wait_for, sent
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        payload = await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        true, pred = payload["label"], payload["pred"]
        assert true != pred
        asked = sent(fake, "attribute")
        assert {kw["method"] for kw in asked} == {"saliency", "gradcam", "occlusion"}
        overlays = pane.query_one(AttributionOverlays)
        assert overlays.display and not pane.query_one("#eval-maps", HeatmapGrid).display
        wide = size[0] >= 200
        assert shown_blocks(pane) == (
            ["saliency", "gradcam", "occlusion"] if wide else ["saliency"]
        )
        for method in shown_blocks(pane):
            first, second = panels_of(pane, method)
            entries = pane.digit[method]["maps"]
            assert text_of(first.query_one(".overlay-title")).startswith(f"K={true} true")
            assert text_of(second.query_one(".overlay-title")).startswith(f"K={pred} predicted")
            for panel, entry in ((first, entries[0]), (second, entries[1])):
                bar = panel.query_one(ColorBar)
                lo, hi = colour_range(entry)
                assert bar.visible_scale and bar.texts()[0] == format_value(lo)
                assert bar.texts()[2] == format_value(hi) and bar.cmap == entry["cmap"]
                grid = panel.query_one(HeatmapGrid)
                assert grid.count == 1 and grid.model.rgb
                # the picture and its bar are on the screen, side by side, inside the pane
                assert grid.region.width >= 14 and grid.region.height >= 7
                assert bar.region.y == grid.region.bottom and bar.region.width > 10
                assert pane.region.contains_region(bar.region)
            assert first.region.right <= second.region.x  # side by side
            how = text_of(pane.query_one(f"#overlay-{method} .overlay-how"))
            words = {"saliency": "bright = pixels", "gradcam": "argue for K", "occlusion": "6x6"}
            assert words[method] in how
        assert f"true class {true}" in str(pane.state.status)


async def test_occlusion_is_signed_and_grad_cam_names_its_selectable_layer(
    make_eval_app, open_tab, open_mistakes, wait_for, sent
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_tab(pilot)
        await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        await pilot.press("m")
        await pilot.pause()
        assert shown_blocks(pane) == ["gradcam"]
        head = pane.query_one("#overlay-gradcam .overlay-head")
        assert "Grad-CAM conv2" in text_of(head)
        assert "conv2's features" in text_of(pane.query_one("#overlay-gradcam .overlay-how"))
        await pilot.press("g")
        await wait_for(
            pilot,
            lambda: (pane.digit.get("gradcam") or {}).get("layer") == "conv1",
            "Grad-CAM of conv1",
        )
        await pilot.pause()
        assert sent(fake, "attribute")[-1] == {
            "index": pane.digit_index, "method": "gradcam", "layer": "conv1"
        }  # fmt: skip
        assert "Grad-CAM conv1" in text_of(head)
        await pilot.press("m")
        await pilot.pause()
        assert shown_blocks(pane) == ["occlusion"]
        bar = panels_of(pane, "occlusion")[0].query_one(ColorBar)
        assert bar.cmap == "diverging" and bar.texts() == ("-0.5", "0", "0.5")


async def test_one_map_when_the_true_class_is_the_prediction(
    make_eval_app, open_tab, wait_for
) -> None:
    app, fake = make_eval_app()
    labels, preds = fake.predictions()
    index = 1
    assert labels[index] == preds[index]
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_tab(pilot)
        pane.explain(index, int(labels[index]))
        await wait_for(pilot, lambda: len(pane.digit) == 3, "the three methods")
        await pilot.pause()
        (only,) = panels_of(pane, "saliency")
        assert "true = predicted" in text_of(only.query_one(".overlay-title"))
        assert "one map" in text_of(pane.query_one("#overlay-saliency .overlay-head"))


async def test_x_exports_the_overlay_figures_and_says_where(
    make_eval_app, open_tab, open_mistakes, wait_for, sent
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_tab(pilot)
        payload = await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export")
        figures = sent(fake, "export")[-1]["figures"]
        assert set(figures) == {"saliency", "gradcam", "occlusion"}
        for figure in figures.values():
            labels = [panel["label"] for panel in figure["panels"]]
            assert labels[0] == "the digit" and len(labels) == 3
            assert f"class {payload['label']} (true)" in labels[1]
            assert f"class {payload['pred']} (predicted)" in labels[2]
            assert all(panel["alpha_by_strength"] for panel in figure["panels"][1:])
            assert f"#{payload['index']}" in figure["title"]
        assert "Exported" in str(pane.state.status) and "/exports" in str(pane.state.status)
        assert any("/exports" in n.message for n in app._notifications)


def test_the_overlay_is_the_exported_pictures_pixels() -> None:
    image = np.zeros((28, 28), np.uint8)
    image[5:20, 12:15] = 255
    values = np.zeros((28, 28), np.float32)
    values[6, 13], values[0, 0] = 2.0, -1.0
    entry = {"values": values, "cmap": "diverging", "range": (-1.0, 2.0)}
    rgb = overlay_picture(image, entry)
    expected = panel_rgb(
        FigurePanel(values, "diverging", -2.0, 2.0, underlay=image / 255, alpha_by_strength=True)
    )
    np.testing.assert_array_equal(rgb, expected)
    assert (rgb[15, 13] == rgb[15, 13][0]).all() and rgb[15, 13][0] > 100  # grey stroke
    assert rgb[6, 13][0] > rgb[6, 13][2] + 60  # strong positive: red over the stroke
    assert rgb[0, 0][2] > rgb[0, 0][0]  # negative: blue
