"""The Evaluate tab's act-max export (a, then x): one figure like ``actmax --png``: each panel
labelled with its class and p, its colour bar, a title and a caption on how to read it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.render.export import export_view
from engine.render.figures import BACKGROUND, BAR_GAP, BAR_WIDTH, FigurePanel, picture_boxes
from tests.tui.evaluate.test_actmax_view import actmax_parts, class_reply, make_app
from tui.evaluate.actmax_state import ActMaxState, actmax_export


def finished_classes() -> ActMaxState:
    state = ActMaxState()
    state.restart(object())
    for k in range(10):
        state.got(class_reply(k, 0.9 + k / 100), {"target_class": k}, asking=True)
    return state


def test_the_export_is_one_labelled_figure_with_colour_bars_title_and_caption(
    tmp_path: Path,
) -> None:
    name, parts = actmax_export(finished_classes(), "tiny · runs/x")
    figure = parts["figures"]["panels"]
    assert [p["label"] for p in figure["panels"]][:2] == [
        "class 0  p = 0.900",
        "class 1  p = 0.910",
    ]
    assert figure["title"] == "tiny · runs/x · activation maximisation"
    assert "p(K) 0.90 to 0.99" in figure["caption"] and "uniform noise" in figure["caption"]
    assert "bright:" in figure["caption"] and "–" not in figure["caption"]  # not in the font
    paths = export_view(tmp_path, name, **parts)
    assert [Path(p).name for p in paths] == [
        "actmax-classes-panels.png",
        "actmax-classes-actmax.csv",
    ]
    picture = np.asarray(Image.open(paths[0]).convert("RGB"))
    panels = [FigurePanel(**p) for p in figure["panels"]]
    boxes = picture_boxes(panels, figure["title"], figure["caption"], columns=5)
    assert len({x for x, _, _ in boxes}) == 5 and len({y for _, y, _ in boxes}) == 2
    for x, y, scale in boxes:
        drawn = picture[y : y + 28 * scale, x : x + 28 * scale]
        assert (drawn == 255).any() and (drawn == 0).any()  # the panel's own strokes
        bar = picture[y : y + 28 * scale, x + 28 * scale + BAR_GAP + BAR_WIDTH // 2]
        assert len({tuple(c) for c in bar}) >= 10  # a colour bar beside each panel
        label = picture[y - 14 : y, x : x + 28 * scale]
        assert (label != BACKGROUND).any(axis=-1).any()  # its label above it
    title_band = picture[: min(y for _, y, _ in boxes) - 16]
    assert (title_band != BACKGROUND).any(axis=-1).sum() > 100  # the title's letters
    caption_band = picture[max(y for _, y, _ in boxes) + 28 * boxes[0][2] :]
    assert (caption_band != BACKGROUND).any(axis=-1).sum() > 100


async def test_x_on_the_act_max_grid_asks_for_the_figure_and_names_the_png(
    eval_engine_class, open_tab, wait_for, sent
) -> None:
    app, fake, _ = make_app(eval_engine_class)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.state.actmax.done, "all ten classes")
        await pilot.press("x")
        await wait_for(pilot, lambda: "Exported" in str(pane.state.status), "the reply")
        figure = sent(fake, "export")[-1]["figures"]["panels"]
        assert len(figure["panels"]) == 10 and "activation maximisation" in figure["title"]
        assert "actmax-classes-panels.png" in str(pane.state.status)
        assert actmax_parts(pane)[0].region.height > 0
