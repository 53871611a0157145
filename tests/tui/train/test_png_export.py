"""X on the Train tab: the inspector's kernels and feature maps exported as PNG figures with
colour bars and a caption (model, layer, digit, scale); the app says where it wrote them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.render.export import export_view
from engine.render.figures import FigurePanel, picture_boxes

SIZES = [(80, 24), (200, 60)]


@pytest.mark.parametrize("size", SIZES)
async def test_x_exports_kernels_and_feature_maps_and_says_where(
    size, tmp_path: Path, make_eval_app, ready, sent, wait_for
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        tab = app.main.train
        layer, index = tab.layer_name, tab.sample_index
        await pilot.press("X")
        await wait_for(pilot, lambda: tab.exported, "the PNG export")
        request = sent(fake, "export")[-1]
        assert request["name"] == f"{layer}-{index}"
        figures = request["figures"]
        kernels = fake.op_kernels(layer)["weights"]
        assert len(figures["kernels"]["panels"]) == kernels.shape[0]  # one per kernel
        first = figures["kernels"]["panels"][0]
        np.testing.assert_array_equal(first["values"], kernels[0, 0])  # input channel 0
        assert first["cmap"] == "diverging" and first["lo"] == -first["hi"]
        maps = figures["featuremaps"]
        assert maps["panels"][0]["label"] == "input"  # the digit first, then each map
        assert len(maps["panels"]) == 1 + fake.op_activations(layer, index)["maps"].shape[0]
        for figure in figures.values():
            caption = figure["caption"]
            assert "model tiny" in caption and f"layer {layer}" in caption
            assert "scale" in caption
        assert f"digit #{index}" in maps["caption"]
        # the app says where: the full path of each file
        notes = [n for n in app._notifications if n.title.startswith("Wrote")]
        assert notes and all(path in notes[-1].message for path in tab.exported)
        assert all(path.endswith(".png") and "/exports/" in path for path in tab.exported)
    # the engine side draws what was sent: enlarged panels with colour bars
    written = export_view(tmp_path, "x", figures=figures)
    assert len(written) == 2
    with Image.open(written[0]) as image:
        width, height = image.size
    panels = [FigurePanel(p["values"], p["cmap"]) for p in figures["kernels"]["panels"]]
    left, top, scale = picture_boxes(panels, figures["kernels"]["title"])[0]
    assert scale * kernels.shape[-1] >= 200 and width > left + 200 and height > top + 200
