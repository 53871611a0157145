"""The Evaluate tab (tui.evaluate.pane.EvaluatePane) in the real app with Pilot: every key, the
requests it sends, the replies it draws, the inspector hand-off; and the torch-free import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import TabbedContent

from engine.inspect.evaluation import confusion_matrix
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate.matrix import ConfusionMatrix, matrix_text
from tui.evaluate.pane import EvaluatePane
from tui.evaluate.views import thumbnails_per_page
from tui.widgets.heatmap import HeatmapGrid


async def test_tab_shows_accuracy_and_confusion_matrix(
    app_size, make_eval_app, text, open_tab
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        assert app.main.query_one(TabbedContent).active == "evaluate"
        assert app.focused is pane
        labels, preds = fake.predictions()
        accuracy = 100 * (labels == preds).mean()
        assert f"accuracy {accuracy:.2f}%" in text(pane, "#eval-summary")
        assert f"{int((labels != preds).sum()):,} wrong" in text(pane, "#eval-summary")
        matrix = pane.query_one(ConfusionMatrix)
        np.testing.assert_array_equal(matrix.confusion, confusion_matrix(labels, preds))
        drawn = matrix.render().plain.splitlines()
        scale = matrix.scale  # rows per class, fitted to the room
        assert len(drawn) == 1 + 10 * scale  # a header and ten classes
        row3 = drawn[1 + 3 * scale + scale // 2].split()
        assert row3[0] == "3" and int(row3[5]) == int(((labels == 3) & (preds == 4)).sum())
        assert row3[-1].endswith("%")


async def test_cursor_enter_opens_the_cell_gallery_and_pages(
    app_size, make_eval_app, wait_for, sent, text, open_tab
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("down", "down", "right", "right", "right", "j", "l", "left")
        assert pane.query_one(ConfusionMatrix).cursor == (3, 3)
        await pilot.press("right")
        assert pane.query_one(ConfusionMatrix).cursor == (3, 4)
        assert "true 3, predicted 4" in text(pane, "#eval-cell")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.gallery is not None, "the gallery")
        request = sent(fake, "gallery")[-1]
        assert (request["true"], request["pred"], request["page"]) == (3, 4, 0)
        assert pane.view == "gallery" and pane.has_class("-pictures")
        grid = pane.query_one(HeatmapGrid)
        assert (
            grid.count
            == len(pane.gallery["items"])
            == min(pane.gallery["total"], request["per_page"])
        )
        assert all("3→4✗" in title for title in grid.titles)
        assert grid.model.highlight[0] == 0
        await pilot.press("right")
        assert pane.selected == 1 and grid.model.highlight[0] == 1
        await pilot.press("escape")
        assert pane.view == "matrix" and not pane.has_class("-pictures")


async def test_mistakes_gallery_pages_with_keys(
    app_size, make_eval_app, wait_for, sent, open_tab, open_mistakes
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        await open_mistakes(pilot, pane)
        first = pane.gallery
        assert sent(fake, "gallery")[-1]["true"] is None and first["pages"] > 1
        await pilot.press("n")
        await wait_for(pilot, lambda: pane.gallery["page"] == 1, "page 2")
        assert pane.gallery["items"][0]["index"] != first["items"][0]["index"]
        assert "page 2/" in pane.query_one(HeatmapGrid).model.caption
        await pilot.press("p", "p")
        await wait_for(pilot, lambda: pane.gallery["page"] == 0, "page 1")
        assert [kw["page"] for kw in sent(fake, "gallery")] == [0, 1, 0]


async def test_explaining_a_digit_and_sending_it_to_the_inspector(
    app_size, make_eval_app, wait_for, sent, open_tab, open_mistakes
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        await open_mistakes(pilot, pane)
        await pilot.press("right", "enter")
        index = pane.gallery["items"][1]["index"]
        await wait_for(pilot, lambda: len(pane.digit) == 3, "saliency, Grad-CAM, occlusion")
        assert pane.view == "digit" and pane.digit_index == index
        asked = sent(fake, "attribute")
        assert {kw["method"] for kw in asked} == {"saliency", "gradcam", "occlusion"}
        assert all(kw["index"] == index for kw in asked)
        label = int(fake.predictions()[0][index])
        assert [m["target"] for m in pane.digit["saliency"]["maps"]][0] == label  # true first
        await pilot.press("g")
        await wait_for(
            pilot,
            lambda: pane.gradcam_layer == "conv1" and "gradcam" in pane.digit,
            "Grad-CAM of conv1",
        )
        assert sent(fake, "attribute")[-1]["layer"] == "conv1"
        await pilot.press("escape")
        assert pane.view == "gallery"
        await pilot.press("enter")
        await pilot.press("i")
        await wait_for(pilot, lambda: app.main.active_tab == "train", "the inspector tab")
        assert app.main.train.sample_index == index
        await wait_for(
            pilot,
            lambda: ("sample", {"index": index}) in fake.sent,
            "the inspector's sample request",
        )


async def test_activation_maximisation_view_keys(
    app_size, make_eval_app, wait_for, sent, open_tab
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.actmax_payload is not None, "act-max")
        assert pane.view == "actmax" and sent(fake, "actmax")[0] == {"target_class": 0}
        await pilot.press("g")  # the grid's keys: tests/tui/evaluate/test_actmax_view.py
        await wait_for(pilot, lambda: pane.actmax_payload["layer"] == "conv1", "conv1")
        assert {"layer": "conv1", "channel": 0} in sent(fake, "actmax")
        await pilot.press("escape")
        assert pane.view == "matrix"


async def test_export_key_sends_the_view_and_reports_where(
    tmp_path: Path, app_size, make_eval_app, wait_for, sent, open_tab
) -> None:
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"x")
    app, fake = make_eval_app(checkpoint=str(checkpoint))
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export")
        request = sent(fake, "export")[-1]
        assert request["name"] == "confusion" and request["fallback_dir"] == str(tmp_path / "run")
        confusion = request["confusion"]["matrix"]
        assert confusion["matrix"].shape == (10, 10) and "accuracy 85.71%" in confusion["title"]
        assert "tiny" in confusion["title"]  # the model, for the picture's title
        rows = request["tables"]["matrix"]["rows"]
        assert [row[0] for row in rows] == list(range(10)) and len(rows[0]) == 12
        assert f"to {tmp_path / 'run' / 'exports'}" in pane.status
        assert any("Exported" in n.message for n in app._notifications)


async def test_engine_errors_show_in_the_tab(
    app_size, make_eval_app, wait_for, text, open_tab
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        pane = await open_tab(pilot)
        pane.gradcam_layer = "pool1"  # as if the model had changed under the tab
        pane.digit_index = 5
        pane.explain(5, None)
        await wait_for(pilot, lambda: "not a conv layer" in pane.status, "the error")
        assert "not a conv layer" in text(pane, "#eval-status")
        assert app.main.train.state == "idle"  # the rest of the app is untouched


async def test_update_key_evaluates_again_and_global_keys_still_work(
    app_size, make_eval_app, wait_for, sent, open_tab
) -> None:
    app, fake = make_eval_app()
    async with app.run_test(size=app_size) as pilot:
        await open_tab(pilot)
        count = len(sent(fake, "evaluate"))
        await pilot.press("u")
        await wait_for(pilot, lambda: len(sent(fake, "evaluate")) == count + 1, "re-evaluation")
        await pilot.press("1")
        assert app.main.active_tab == "train"


def test_matrix_text_marks_the_cursor_and_zeros() -> None:
    confusion = np.diag(np.arange(1, 11)) + np.eye(10, k=1, dtype=np.int64)
    drawn = matrix_text(confusion, [1.0] * 10, (2, 3), "ascii").plain.splitlines()
    assert drawn[3].split()[:4] == ["2", "·", "·", "3"] and "[  1]" in drawn[3]
    assert drawn[1].split()[:4] == ["0", "1", "1", "·"]  # zeros are dots
    assert thumbnails_per_page(80, 17) == 10


def test_importing_the_tab_leaves_torch_out() -> None:
    code = "import sys; import tui.evaluate.pane, tui.compare.runs; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


@pytest.mark.parametrize("mode", ["truecolor", "256", "ascii"])
def test_every_colour_mode_draws_the_matrix(mode: str) -> None:
    confusion = np.arange(100).reshape(10, 10)
    drawn = matrix_text(confusion, np.linspace(0, 1, 10), (0, 0), mode)
    assert drawn.plain.splitlines()[10].split()[1:11] == [str(v) for v in range(90, 100)]


async def test_real_engine_child_answers_the_tab(
    tmp_path: Path, app_size, wait_for, open_mistakes
) -> None:
    """The same keys against the real child process and a tiny checkpoint (a few seconds)."""
    from engine.training.loop import train_events

    config = make_config(
        "seed-lenet5",
        epochs=1,
        train_subset=256,
        test_subset=50,
        batch_size=64,
        device="cpu",
        threads=1,
        run_dir=str(tmp_path / "run"),
    )
    assert list(train_events(config))[-1].kind == "finished"
    checkpoint = str(tmp_path / "run" / "checkpoint.pt")
    app = CnnTuiApp(
        AppOptions(
            config=config,
            checkpoint=checkpoint,
            color_mode="256",
            log_file=str(tmp_path / "engine.log"),
        )
    )
    async with app.run_test(size=app_size) as pilot:
        await wait_for(
            pilot,
            lambda: app.main.train.state == "idle" and app.main.train.layer_name,
            "the checkpoint",
            timeout=60,
        )
        await pilot.press("3")
        pane = app.main.query_one(EvaluatePane)
        await wait_for(pilot, lambda: pane.evaluation is not None, "evaluation", timeout=60)
        assert pane.evaluation["count"] == 10_000
        assert pane.evaluation["confusion"].sum() == 10_000
        await open_mistakes(pilot, pane, timeout=30)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.digit) == 3, "the digit views", timeout=30)
        assert pane.digit["gradcam"]["layers"] == ["relu1", "relu2"]
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export", timeout=30)
        assert all(
            Path(p).is_file() and Path(p).parent == tmp_path / "run" / "exports"
            for p in pane.exported
        )
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.actmax_payload is not None, "act-max", timeout=30)
        assert pane.actmax_payload["end"] > pane.actmax_payload["start"]
