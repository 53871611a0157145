"""One colour rule for the app (no-color.org's NO_COLOR), every painted segment styled (what
Textual's monochrome filter needs), marks for values that are not numbers, the note on an empty
Grad-CAM map, and a crash's exit code."""

from __future__ import annotations

import os

import numpy as np
import pytest
from rich.segment import Segment
from textual.widget import Widget

from engine.render.ascii_ramp import NEGATIVE_SHADES, POSITIVE_SHADES
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate import views
from tui.train.views import kernel_view
from tui.widgets.halfblock import NONFINITE, codes_from_values, mark_nonfinite
from tui.widgets.heatmap import HeatmapGrid


def unstyled_segments(app) -> list[tuple[str, Segment]]:
    """(widget, segment) for every segment without a style in the app's own widgets' lines."""
    found = []
    for widget in app.screen.walk_children(Widget):
        if not type(widget).__module__.startswith("tui.") or not widget.size.area:
            continue
        if type(widget).render_line is Widget.render_line:
            continue  # a widget drawn by Textual from render(): its styles are Textual's
        for y in range(widget.size.height):
            found += [(type(widget).__name__, s) for s in widget.render_line(y) if s.style is None]
    return found


@pytest.mark.parametrize("value", ["1", "true"])
async def test_no_color_greys_the_app_and_shades_every_heatmap(
    make_app, ready, app_size, monkeypatch, value
) -> None:
    monkeypatch.setenv("NO_COLOR", value)
    app, _ = make_app()  # asks for truecolor heatmaps: NO_COLOR wins
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        assert app.no_color and app.options.color_mode == "ascii"
        grids = list(app.main.query(HeatmapGrid))
        assert grids and all(grid.color_mode == "ascii" for grid in grids)
        await pilot.pause(0.3)  # frames painted through the monochrome filter
        assert unstyled_segments(app) == []
        await pilot.press("3")  # the Evaluate tab paints as well
        await pilot.pause(0.3)
        assert unstyled_segments(app) == []


def app_from_terminal(fake_engine_class, **options) -> CnnTuiApp:
    """The app over a fake engine, its colour mode decided from the terminal as cnn-tui's."""
    fake = fake_engine_class()
    config = make_config("fast", model="tiny", epochs=2)
    return CnnTuiApp(AppOptions(config=config, seed=7, **options), engine_factory=lambda *_: fake)


async def test_an_empty_no_color_means_nothing(
    fake_engine_class, ready, app_size, monkeypatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    app = app_from_terminal(fake_engine_class)
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        assert not app.no_color  # Textual alone would grey the app for an empty NO_COLOR
        assert all(grid.color_mode != "ascii" for grid in app.main.query(HeatmapGrid))
    assert "NO_COLOR" not in os.environ


async def test_without_no_color_every_segment_is_styled_too(
    fake_engine_class, ready, app_size
) -> None:
    app = app_from_terminal(fake_engine_class, ascii=True)  # --ascii: shading, no NO_COLOR
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.pause(0.3)
        assert all(grid.color_mode == "ascii" for grid in app.main.query(HeatmapGrid))
        assert unstyled_segments(app) == []


def test_ascii_shading_keeps_the_sign_of_a_diverging_map() -> None:
    from tui.widgets.palette import get_palette

    palette = get_palette("ascii", "diverging")
    negative, zero, positive = (palette.cell(k * palette.n_keys + k)[0] for k in (10, 128, 245))
    assert zero == " " and negative != positive
    assert negative in NEGATIVE_SHADES and positive in POSITIVE_SHADES


# ------------------------------------------------------------------ not a number


def test_a_nan_kernel_is_marked_and_named_in_the_caption() -> None:
    weights = np.random.default_rng(0).normal(size=(4, 1, 3, 3)).astype(np.float32)
    weights[1] = np.nan
    weights[2, 0, 0, 0] = np.inf
    view = kernel_view({"weights": weights}, 0, mean=False, shared=True)
    codes = codes_from_values(view.maps)
    assert (codes[1] == NONFINITE).all() and codes[2, 0, 0] == NONFINITE
    assert (codes[0] >= 0).all() and (codes[3] >= 0).all()  # the others keep their values
    assert "! = NaN/inf" in view.caption and "10 of 36" in view.caption
    clean = kernel_view({"weights": np.ones((2, 1, 3, 3), np.float32)}, 0, False, True)
    assert "NaN/inf" not in clean.caption


@pytest.mark.parametrize("shared", [True, False])
def test_feature_maps_that_are_not_numbers_are_marked(shared: bool) -> None:
    import torch

    from engine.process.payloads import quantized_maps
    from tui.train.views import activation_view

    output = torch.rand(3, 4, 4)
    output[1] = float("nan")  # the channel of a NaN kernel
    payload = quantized_maps("conv1", output)
    view = activation_view(payload, shared)
    codes = codes_from_values(view.maps)
    assert (codes[1] == NONFINITE).all() and (codes[[0, 2]] >= 0).all()
    assert "! = NaN/inf: 16 of 48" in view.caption
    clean = quantized_maps("conv1", torch.rand(3, 4, 4))
    assert "nonfinite" not in clean and "NaN/inf" not in activation_view(clean, shared).caption


@pytest.mark.parametrize("mode", ["truecolor", "256", "ascii"])
def test_the_mark_is_drawn_in_every_mode(mode: str) -> None:
    from tui.widgets.halfblock import map_rows
    from tui.widgets.palette import get_palette

    values = np.full((2, 3), 0.5, np.float32)
    values[:, 1] = np.nan  # as scale_maps gives a non-finite value
    palette = get_palette(mode, "diverging")
    (row,) = map_rows(palette.keys(codes_from_values(mark_nonfinite(values))), palette)
    text = "".join(segment.text for segment in row)
    assert text[1] == "!" and text[0] != "!" and text[2] != "!"
    assert all(segment.style is not None for segment in row)


# ------------------------------------------------------------------ an empty Grad-CAM


def test_an_empty_grad_cam_is_said_in_the_title_and_the_status_line() -> None:
    empty = {"layer": "relu2", "target": 4, "empty": True, "cam": np.zeros((28, 28))}
    assert views.gradcam_title(empty) == "Grad-CAM relu2 empty"
    assert "Grad-CAM of relu2 is empty" in views.gradcam_note(empty)
    shown = {**empty, "empty": False}
    assert views.gradcam_title(shown) == "Grad-CAM relu2" and views.gradcam_note(shown) == ""


async def test_the_evaluate_tab_notes_an_empty_grad_cam(
    app_size, make_eval_app, open_tab, open_mistakes, wait_for, text, monkeypatch
) -> None:
    app, fake = make_eval_app()
    answer = type(fake).op_attribute

    def empty_gradcam(self, index, method, layer=None, target=None, split="test") -> dict:
        payload = answer(self, index, method, layer, target, split)
        if method != "gradcam":
            return payload
        maps = [{**m, "values": np.zeros((28, 28)), "range": (0.0, 0.0)} for m in payload["maps"]]
        return {**payload, "maps": maps, "empty": True}

    monkeypatch.setattr(type(fake), "op_attribute", empty_gradcam)
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        await open_mistakes(pilot, pane)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.digit) == 3, "the digit views")
        await pilot.pause()
        title = pane.query_one("#overlay-gradcam .overlay-title")
        assert "empty" in str(title.render())
        assert "Grad-CAM of conv2 is empty" in text(pane, "#eval-status")


# ------------------------------------------------------------------ a crash's exit code


def test_a_crash_in_the_app_exits_non_zero(monkeypatch, tmp_path, capsys) -> None:
    import tui.__main__ as entry
    import tui.app

    run = tui.app.CnnTuiApp.run
    monkeypatch.setattr(tui.app.CnnTuiApp, "run", lambda self: run(self, headless=True))

    def crash(self) -> None:
        raise RuntimeError("a bug in the app")

    monkeypatch.setattr(tui.app.CnnTuiApp, "on_mount", crash, raising=False)
    assert entry.main(["--run-dir", str(tmp_path / "run")]) == 1
    captured = capsys.readouterr()
    assert "a bug in the app" in captured.err + captured.out


@pytest.mark.parametrize("narrow", [True, False])
def test_a_probability_that_is_not_a_number_is_marked(narrow: bool) -> None:
    from tui.train.probabilities import format_percent

    shown = format_percent(float("nan"), narrow)
    assert "!" in shown and "nan%" not in shown
    assert len(shown) == len(format_percent(0.5, narrow))


def test_the_evaluate_tab_says_why_a_loss_is_not_a_number() -> None:
    from tui.evaluate.matrix import summary_text

    payload = {"split": "test", "count": 10, "loss": float("nan"), "accuracy": 0.1, "wrong": 9}
    assert "NaN/inf" not in summary_text(payload)
    assert "! 10 weights are NaN/inf" in summary_text({**payload, "nonfinite_weights": 10})
    title = views.digit_title({"index": 0, "label": 7, "pred": 0, "confidence": float("nan")})
    assert title == "#0 7→0✗ !NaN"
    cam = {"layer": "relu2", "target": 0, "empty": False, "nonfinite": True}
    assert "not a number" in views.gradcam_note(cam) and views.gradcam_title(cam).endswith("!NaN")


@pytest.mark.parametrize(("value", "mode"), [("1", "ascii"), ("0", "ascii"), ("", "256")])
def test_the_cli_follows_the_same_rule(monkeypatch, value: str, mode: str) -> None:
    from engine.render.terminal import color_mode

    monkeypatch.setenv("NO_COLOR", value)
    monkeypatch.delenv("COLORTERM", raising=False)
    assert color_mode() == mode
