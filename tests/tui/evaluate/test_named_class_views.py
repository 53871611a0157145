"""Issue 15, after a fresh try: a model with named classes (Fashion-MNIST) is explained, exported
and drawn with its class names: the digit view's hint and panel titles, the overlay figures and
their CSV, the Train tab's feature-map export, whole row labels in a wide confusion matrix,
act-max titles that keep their probability, and the dataset's skipped-images warning said once."""

from __future__ import annotations

from typing import Any

import pytest

from tui.app import AppOptions, CnnTuiApp
from tui.evaluate.actmax_view import ActMaxView
from tui.evaluate.matrix import ConfusionMatrix
from tui.evaluate.overlays import MethodOverlays, OverlayPanel
from tui.widgets.heatmap import HeatmapGrid

FASHION = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
WARNING = "skipped 2 unreadable image(s) in /data/shapes: a/bad1.png, b/trunc.png"


@pytest.fixture
def fashion_app(eval_engine_class: type) -> Any:
    """``fashion_app() -> (app, fake)``: the app over an EvalFakeEngine whose model names
    Fashion-MNIST's classes (in ``load`` and ``attribute``, as the engine does) and whose
    dataset skipped two unreadable images."""

    class FashionFake(eval_engine_class):  # type: ignore[misc, valid-type]
        def op_load(self, model: str | None = None, **kwargs: Any) -> dict[str, Any]:
            payload = super().op_load(model=model, **kwargs)
            payload["info"]["classes"] = list(FASHION)
            return {**payload, "classes": list(FASHION), "data_warning": WARNING}

        def op_attribute(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return {**super().op_attribute(*args, **kwargs), "classes": FASHION}

    def build() -> tuple[CnnTuiApp, Any]:
        from engine.training.config import make_config

        fake = FashionFake()
        config = make_config("fast", model="tiny", epochs=1)
        options = AppOptions(config=config, seed=7, color_mode="truecolor")
        return CnnTuiApp(options, engine_factory=lambda data_dir, log_file: fake), fake

    return build


def text_of(widget: Any) -> str:
    return str(widget.render()).strip()


async def explain_a_mistake(pilot: Any, pane: Any, open_mistakes: Any, wait_for: Any) -> dict:
    await open_mistakes(pilot, pane)
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(pane.digit) == 3, "the three methods")
    await pilot.pause()
    return pane.digit["saliency"]


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_explained_image_names_its_classes_on_screen(
    size, fashion_app, open_tab, open_mistakes, wait_for
) -> None:
    app, _ = fashion_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        payload = await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        true, pred = FASHION[payload["label"]], FASHION[payload["pred"]]
        status = pane.state.status
        assert f"left: true class {true} · right: predicted {pred}" in status
        block = pane.query_one("#overlay-saliency", MethodOverlays)
        first, second = list(block.query(OverlayPanel))[:2]
        first_title = text_of(first.query_one(".overlay-title"))
        second_title = text_of(second.query_one(".overlay-title"))
        assert first_title.startswith(f"K={true[:7]}") and "p=0.15" in first_title
        assert second_title.startswith(f"K={pred[:7]}") and "p=0.80" in second_title


async def test_the_overlay_export_names_the_classes_and_says_image(
    fashion_app, open_tab, open_mistakes, wait_for, sent
) -> None:
    app, fake = fashion_app()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_tab(pilot)
        payload = await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export")
        export = sent(fake, "export")[-1]
        true, pred = FASHION[payload["label"]], FASHION[payload["pred"]]
        assert export["name"] == f"image-{payload['index']}"
        title = export["figures"]["gradcam"]["title"]
        assert f"test image #{payload['index']}: true {true}, predicted {pred}" in title
        assert export["figures"]["saliency"]["panels"][0]["label"] == "the image"
        (row,) = export["tables"]["image"]
        assert (row["true_name"], row["pred_name"]) == (true, pred)


async def test_digits_keep_today_s_export_words(
    make_eval_app, open_tab, open_mistakes, wait_for, sent
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_tab(pilot)
        payload = await explain_a_mistake(pilot, pane, open_mistakes, wait_for)
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export")
        export = sent(fake, "export")[-1]
        assert export["name"] == f"digit-{payload['index']}" and "digit" in export["tables"]
        assert (
            f"true {payload['label']}, predicted {payload['pred']}"
            in (export["figures"]["saliency"]["title"])
        )


async def test_the_feature_map_export_names_the_classes(fashion_app, ready, wait_for) -> None:
    app, _ = fashion_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tab = app.main.train
        await wait_for(pilot, lambda: tab.inspector.state.sample, "the sample")
        sample = tab.inspector.state.sample
        words, tag = tab.png_export.input_words(0, sample)
        true, pred = FASHION[sample["label"]], FASHION[sample["pred"]]
        assert words == f"image #0 (true {true}, predicted {pred})" and tag == "0"


async def test_a_wide_matrix_shows_whole_class_names(fashion_app, open_tab, wait_for) -> None:
    app, _ = fashion_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await open_tab(pilot)
        matrix = app.main.query_one(ConfusionMatrix)
        await wait_for(pilot, lambda: "T-shirt/top" in str(matrix.render()), "whole names")
        rows = str(matrix.render()).splitlines()[1:]
        assert any(line.lstrip().startswith("T-shirt/top ") for line in rows)


async def test_act_max_titles_keep_the_probability_at_80x24(
    fashion_app, open_tab, wait_for
) -> None:
    app, _ = fashion_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        grid = pane.query_one(ActMaxView).query_one(HeatmapGrid)
        await wait_for(pilot, lambda: len(pane.state.actmax.panels) >= 2, "two panels")
        await pilot.pause()
        titles = grid.visible_titles
        width = grid.layout_info.map_w
        assert titles and width < len("T-shirt/top p=0.90")
        first = titles[0][:width]
        assert first.endswith("p=0.90") and first.startswith("T-sh"), first


async def test_skipped_images_are_said_once_in_the_app(fashion_app, ready, wait_for) -> None:
    app, _ = fashion_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        said = [n for n in app._notifications if WARNING in n.message]
        assert len(said) == 1 and said[0].severity == "warning"
        await pilot.press("3")  # other tabs and replies do not repeat it
        await pilot.pause()
        assert len([n for n in app._notifications if WARNING in n.message]) == 1
