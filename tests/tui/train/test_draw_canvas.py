"""Issue 14 point 1: draw a digit on the Train tab (p) with the mouse or the keyboard, every
stroke sent to the engine (``drawn``) and the prediction, probabilities and feature maps
following it; and open a picture file from inside the app (o)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.geometry import Region
from textual.widgets import Static

from tui.screens import HelpScreen
from tui.train.draw_canvas import DrawCanvas
from tui.train.draw_panel import DRAW_A_DIGIT, DrawPanel
from tui.train.drawing import CURSOR_RGB, Drawing, grey_strips
from tui.train.picture_picker import PicturePicker, PictureTree
from tui.train.probabilities import Probabilities

SIZES = [(80, 24), (200, 60)]


def drawn_sent(fake: Any) -> list[np.ndarray]:
    return [np.asarray(kwargs["pixels"]) for op, kwargs in fake.sent if op == "drawn"]


def result_line(app: Any) -> str:
    return str(app.main.query_one("#draw-result", Static).render())


async def open_canvas(pilot: Any, ready: Any, wait_for: Any) -> DrawCanvas:
    await ready(pilot)
    await pilot.press("p")
    await wait_for(pilot, lambda: pilot.app.main.query(DrawCanvas), "the canvas")
    canvas = pilot.app.main.query_one(DrawCanvas)
    await wait_for(pilot, lambda: canvas.has_focus, "the canvas to take the focus")
    return canvas


def inside_screen(widget: Any, size: tuple[int, int]) -> bool:
    region = widget.region
    return (
        region.x >= 0 and region.y >= 0 and region.right <= size[0] and (region.bottom <= size[1])
    )


@pytest.mark.parametrize("size", SIZES)
async def test_keys_paint_erase_and_clear_and_every_stroke_is_sent(
    make_app, ready, wait_for, size
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        panel = app.main.query_one(DrawPanel)
        assert panel.display and inside_screen(canvas, size) and canvas.region.height >= 14
        assert not app.main.query_one("#training").display  # the canvas took its place
        assert canvas.drawing.blank and result_line(app) == DRAW_A_DIGIT
        await pilot.press("space")  # paint under the cursor, in the middle
        await wait_for(pilot, lambda: len(drawn_sent(fake)) == 1, "the stroke sent")
        row, col = canvas.drawing.cursor
        assert canvas.drawing.pixels[row, col] == 1.0
        assert np.array_equal(drawn_sent(fake)[-1], canvas.drawing.pixels)
        await pilot.press("enter", "up", "up", "up", "right", "right", "right")  # pen down
        # a stroke per key that changed the drawing (the pen put down where it had painted
        # changes nothing)
        await wait_for(pilot, lambda: len(drawn_sent(fake)) == 7, "a stroke per key")
        assert canvas.drawing.cursor == (row - 3, col + 3)
        assert canvas.drawing.pixels[row - 3, col + 3] == 1.0
        assert canvas.drawing.pixels[row - 2, col] == 1.0  # the way painted
        await pilot.press("enter", "shift+down", "shift+down", "shift+down")  # erase moving
        await wait_for(pilot, lambda: len(drawn_sent(fake)) == 10, "the erasing strokes")
        assert canvas.drawing.pixels[row, col + 3] == 0.0
        assert canvas.drawing.pixels[row - 2, col] == 1.0  # three columns away: kept
        await pilot.press("delete")
        await wait_for(pilot, lambda: len(drawn_sent(fake)) == 11, "the cleared canvas sent")
        assert canvas.drawing.blank and not drawn_sent(fake)[-1].any()
        # blank: what the model still says for it (as the inspector) and "draw a digit"
        await wait_for(pilot, lambda: result_line(app).endswith(DRAW_A_DIGIT), "draw a digit")
        assert result_line(app).startswith("blank · the model still says")


@pytest.mark.parametrize("size", SIZES)
async def test_a_mouse_drag_paints_the_cells_under_it(make_app, ready, wait_for, size) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        scale = canvas.scale
        assert scale == (2 if size == (200, 60) else 1)  # square pixels where there is room
        await pilot.mouse_down(canvas, offset=(4 * scale, 2))
        await pilot.hover(canvas, offset=(12 * scale, 2))
        await pilot.hover(canvas, offset=(12 * scale, 10))
        await pilot.mouse_up(canvas, offset=(12 * scale, 10))
        await wait_for(
            pilot,
            lambda: drawn_sent(fake) and np.array_equal(drawn_sent(fake)[-1], canvas.pixels),
            "the drag's strokes sent",
        )
        pixels = canvas.drawing.pixels
        top = 2 * 2 if scale == 1 else 2  # pixel row of terminal line 2
        bottom = 2 * 10 if scale == 1 else 10
        assert pixels[top, 4:13].min() > 0.9  # along the first leg
        assert pixels[top:bottom, 12].min() > 0.9  # down the second
        assert pixels[bottom + 4 :, :].max() == 0.0 and pixels[:, 16:].max() == 0.0
        assert len(drawn_sent(fake)) <= 4  # debounced while dragging, sent on release
        await pilot.mouse_down(canvas, offset=(12 * scale, 6), shift=True)  # shift erases
        await pilot.mouse_up(canvas, offset=(12 * scale, 6), shift=True)
        row = 12 if scale == 1 else 6
        assert canvas.drawing.pixels[row, 12] == 0.0


@pytest.mark.parametrize("size", SIZES)
async def test_the_prediction_probabilities_and_maps_follow_the_drawing(
    make_app, ready, wait_for, size
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        tab = app.main.train
        probs = app.main.query_one(Probabilities)
        maps_before = len([op for op, kw in fake.sent if op == "activations"])
        await pilot.press("space")
        inked = int((canvas.drawing.pixels > 0.5).sum())  # the fake predicts this % 10
        expected = inked % 10
        await wait_for(pilot, lambda: f"{expected} P" in probs.as_text().plain, "the bars")
        assert tab.sample_index == -1
        assert result_line(app) == f"looks like a {expected} · {min(0.91, inked / 10):.0%}"
        activations = [kw for op, kw in fake.sent if op == "activations"]
        assert len(activations) > maps_before and activations[-1]["index"] == -1
        # a second stroke: a new prediction
        await pilot.press("right", "right", "right", "space")
        inked2 = int((canvas.drawing.pixels > 0.5).sum())
        assert inked2 != inked
        await wait_for(pilot, lambda: f"{inked2 % 10} P" in probs.as_text().plain, "new bars")


async def test_j_and_k_walk_the_layers_while_the_arrows_move_the_cursor(
    make_app, ready, wait_for
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        tab = app.main.train
        first = tab.layer_name
        cursor = canvas.drawing.cursor
        await pilot.press("down", "down")
        assert tab.layer_name == first and canvas.drawing.cursor == (cursor[0] + 2, cursor[1])
        await pilot.press("j")
        await wait_for(pilot, lambda: tab.layer_name != first, "the next layer")
        await wait_for(
            pilot,
            lambda: any(
                op == "activations" and kw["layer"] == tab.layer_name for op, kw in fake.sent
            ),  # fmt: skip
            "the new layer's maps asked",
        )
        assert canvas.has_focus
        await pilot.press("escape")
        assert not app.main.query_one(DrawPanel).display
        assert app.main.query_one("#training").display and tab.table.has_focus
        await pilot.press("p")  # again: the drawing is still there
        await wait_for(pilot, lambda: canvas.has_focus, "the canvas again")


async def test_help_lists_the_drawing_keys(make_app, ready, wait_for) -> None:
    app, _ = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_canvas(pilot, ready, wait_for)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        keys = {(key.display, key.label) for key in app.screen.shown_keys}
        assert {("p", "Draw"), ("o", "Open picture"), ("space", "Paint")} <= keys
        assert ("delete", "Clear") in keys and ("escape", "Close") in keys


@pytest.fixture
def picture_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from PIL import Image

    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "seven.png")
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "broken.png").write_bytes(b"not a picture either")
    (tmp_path / "more").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def pick(pilot: Any, wait_for: Any, name: str) -> None:
    """Open the picker (o), move to ``name`` and press enter."""
    await pilot.press("o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PicturePicker), "the picker")
    tree = pilot.app.screen.query_one(PictureTree)
    await wait_for(pilot, lambda: len(tree.root.children) == 3, "the folder listed")
    names = [str(node.label) for node in tree.root.children]
    assert sorted(names) == ["broken.png", "more", "seven.png"]  # pictures and folders only
    target = next(node for node in tree.root.children if str(node.label) == name)
    tree.move_cursor(target)
    await pilot.press("enter")


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_o_opens_a_picture_file_through_the_image_op(
    make_app, ready, wait_for, picture_folder, size
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pick(pilot, wait_for, "seven.png")
        await wait_for(pilot, lambda: not isinstance(app.screen, PicturePicker), "closed")
        await wait_for(pilot, lambda: app.main.train.sample_index == -1, "the picture shown")
        sent = [kw for op, kw in fake.sent if op == "image"]
        assert sent == [{"path": str(picture_folder / "seven.png")}]


async def test_a_file_that_is_no_picture_is_one_line_in_the_app(
    make_app, ready, wait_for, fake_engine_class, picture_folder
) -> None:
    class Refusing(fake_engine_class):  # type: ignore[misc, valid-type]
        def op_image(self, path: str) -> dict[str, Any]:  # as engine.data.images says it
            raise ValueError(f"cannot read image {path} (cannot identify image file); "
                             "pass a readable PNG, JPEG or BMP picture")  # fmt: skip

    app, _ = make_app(Refusing())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.main.train.sample_index
        await pick(pilot, wait_for, "broken.png")
        await wait_for(pilot, lambda: app._notifications, "the error")
        message = list(app._notifications)[-1].message
        assert "broken.png" in message and "\n" not in message
        assert app.main.train.sample_index == before  # the input in view kept


async def test_a_photo_model_says_drawing_needs_a_digit_model(
    make_app, ready, wait_for, fake_engine_class
) -> None:
    class PhotoModel(fake_engine_class):  # type: ignore[misc, valid-type]
        def op_load(self, **kwargs: Any) -> dict[str, Any]:
            payload = super().op_load(**kwargs)
            payload["info"].update(name="alexnet", input_shape=(3, 224, 224))
            return payload

    app, fake = make_app(PhotoModel())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: app._notifications, "the note")
        assert "takes photos" in list(app._notifications)[-1].message
        assert not app.main.query(DrawCanvas) and "drawn" not in [op for op, _ in fake.sent]


def test_the_brush_is_soft_and_about_three_pixels_wide() -> None:
    drawing = Drawing()
    drawing.dab(10, 10)
    row = drawing.pixels[10]
    assert row[10] == 1.0 and 0.5 < row[9] < 1.0 and 0.0 < row[8] < 0.5 and row[7] == 0.0
    assert (drawing.pixels >= 0.5).sum() in range(5, 14)  # a round dab ~3 px across
    drawing.dab(10, 10, erase=True)
    assert drawing.blank


def test_the_canvas_lines_in_colour_and_in_ascii() -> None:
    drawing = Drawing()
    drawing.dab(4, 4)
    half = grey_strips(drawing.pixels, "truecolor", cursor=(0, 0))
    assert len(half) == 14 and all(strip.cell_length == 28 for strip in half)
    first = list(half[0])[0]  # the cursor pixel (row 0) is the upper half of cell (0, 0)
    assert first.text == "▀" and first.style.color.triplet == CURSOR_RGB
    square = grey_strips(drawing.pixels, "truecolor", scale=2)
    assert len(square) == 28 and all(strip.cell_length == 56 for strip in square)
    ascii_lines = [strip.text for strip in grey_strips(drawing.pixels, "ascii", cursor=(27, 27))]
    assert ascii_lines[2][4] == "@" and ascii_lines[0][0] == " " and ascii_lines[13][27] == "X"


# -- issue 14 point 1, a fresh tester's findings --------------------------------------------


async def paint_two_right(pilot: Any, fake: Any, wait_for: Any, canvas: DrawCanvas) -> None:
    """Right, right, space paints there and sends the stroke."""
    before = len(drawn_sent(fake))
    row, col = canvas.drawing.cursor
    await pilot.press("right", "right", "space")
    await wait_for(pilot, lambda: canvas.drawing.pixels[row, col + 2] == 1.0, "the paint")
    await wait_for(pilot, lambda: len(drawn_sent(fake)) > before, "the stroke sent")


async def test_the_canvas_takes_keys_again_after_a_too_small_screen_and_tab(
    make_app, ready, wait_for
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        await pilot.resize_terminal(70, 20)  # the "needs 80x24" notice
        await wait_for(pilot, lambda: not canvas.has_focus, "the notice took the focus")
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: canvas.has_focus, "the canvas focused again")
        await paint_two_right(pilot, fake, wait_for, canvas)
        await pilot.press("tab")
        await wait_for(pilot, lambda: not canvas.has_focus, "the focus moved on")
        await pilot.press("shift+tab")
        await wait_for(pilot, lambda: canvas.has_focus, "the canvas focused again")
        await paint_two_right(pilot, fake, wait_for, canvas)


@pytest.mark.parametrize("size", [(200, 60), (200, 50), (120, 40), (80, 24)])
async def test_the_draw_panel_is_framed_with_the_canvas_inside(
    make_app, ready, wait_for, size
) -> None:
    app, _fake = make_app()
    async with app.run_test(size=size) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        panel = app.main.query_one(DrawPanel)
        await pilot.pause()
        edges = panel.styles.border
        assert all(
            edge[0] == "round" for edge in (edges.top, edges.right, edges.bottom, edges.left)
        )
        inner, box = panel.content_region, canvas.region
        assert inside_screen(panel, size)
        assert inner.x <= box.x and box.right <= inner.right  # the frame's sides around it
        assert box.y == inner.y  # the canvas first, right under the top border
        if size == (200, 60):  # the big canvas: square pixels, framed
            assert canvas.scale == 2 and box.height == 28
        width, height = panel.outer_size
        lines = [strip.text for strip in panel.render_lines(Region(0, 0, width, height))]
        assert lines[0].startswith("╭") and lines[0].endswith("╮")  # the corners
        assert all(line[0] == "│" == line[-1] for line in lines[1:-1])  # the sides


async def test_x_on_the_drawing_names_it_as_a_drawing(make_app, ready, wait_for, sent) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_canvas(pilot, ready, wait_for)
        tab = app.main.train
        await pilot.press("space")
        await wait_for(pilot, lambda: tab.sample_index == -1, "the drawing in the inspector")
        await wait_for(pilot, lambda: tab.inspector.state.activations, "the maps")
        tab.png_export.export()
        await wait_for(pilot, lambda: sent(fake, "export"), "the export asked")
        request = sent(fake, "export")[-1]
        assert request["name"] == f"{tab.layer_name}-drawn"
        maps = request["figures"]["featuremaps"]
        pred = tab.inspector.state.sample["pred"]
        assert f"your drawing (predicted {pred})" in maps["title"]
        assert "#-1" not in maps["title"] + maps["caption"] and "None" not in maps["title"]


async def test_x_on_a_picture_names_the_file(
    make_app, ready, wait_for, sent, picture_folder
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tab = app.main.train
        await pick(pilot, wait_for, "seven.png")
        await wait_for(pilot, lambda: tab.sample_index == -1, "the picture shown")
        await wait_for(pilot, lambda: tab.inspector.state.activations, "the maps")
        tab.png_export.export()
        await wait_for(pilot, lambda: sent(fake, "export"), "the export asked")
        request = sent(fake, "export")[-1]
        assert request["name"] == f"{tab.layer_name}-picture-seven"
        assert "picture seven.png (predicted" in request["figures"]["featuremaps"]["title"]


@pytest.mark.parametrize("key", ["h", "l", "r", "m"])
async def test_a_test_digit_key_closes_the_canvas_and_p_brings_the_drawing_back(
    make_app, ready, wait_for, key
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        tab, panel = app.main.train, app.main.query_one(DrawPanel)
        await pilot.press("space")
        await wait_for(pilot, lambda: result_line(app).startswith("looks like"), "a prediction")
        await pilot.press(key)
        await wait_for(pilot, lambda: not panel.display, "the canvas closed")
        assert app.main.query_one("#training").display  # the training pane back
        if key != "m":  # m asks the engine for the next misclassified digit
            await wait_for(pilot, lambda: tab.sample_index >= 0, "a test digit shown")
        assert not canvas.drawing.blank  # the drawing kept
        sent_before = len(drawn_sent(fake))
        await pilot.press("p")
        await wait_for(pilot, lambda: canvas.has_focus, "the canvas again")
        await wait_for(pilot, lambda: len(drawn_sent(fake)) > sent_before, "the drawing sent")
        await wait_for(pilot, lambda: tab.sample_index == -1, "the drawing in the inspector")


async def test_a_cleared_canvas_says_what_the_model_still_predicts(
    make_app, ready, wait_for
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        canvas = await open_canvas(pilot, ready, wait_for)
        await pilot.press("space")
        await wait_for(pilot, lambda: result_line(app).startswith("looks like"), "a prediction")
        await pilot.press("delete")
        await wait_for(pilot, lambda: result_line(app).startswith("blank"), "the blank line")
        assert canvas.drawing.blank
        sample = app.main.train.inspector.state.sample
        share = f"{sample['probs'][sample['pred']]:.0%}"
        expected = f"blank · the model still says {sample['pred']} ({share}) · {DRAW_A_DIGIT}"
        assert result_line(app) == expected


async def test_backspace_in_the_picker_goes_up_a_folder(
    make_app, ready, wait_for, picture_folder
) -> None:
    inner = picture_folder / "more"
    (inner / "five.png").write_bytes((picture_folder / "seven.png").read_bytes())
    import os

    os.chdir(inner)  # the picker starts here: one picture, no way up before
    app, fake = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, PicturePicker), "the picker")
        tree = app.screen.query_one(PictureTree)
        await wait_for(pilot, lambda: len(tree.root.children) == 1, "five.png listed")
        assert ".." in str(app.screen.query_one("#picture-dialog").query("Label").last().render())
        await pilot.press("backspace")
        await wait_for(pilot, lambda: len(tree.root.children) == 3, "the folder above listed")
        assert Path(tree.path) == picture_folder
        assert str(picture_folder) in str(app.screen.query_one("#picture-path").render())
        target = next(node for node in tree.root.children if str(node.label) == "seven.png")
        tree.move_cursor(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.train.sample_index == -1, "the picture shown")
        assert [kw for op, kw in fake.sent if op == "image"] == [
            {"path": str(picture_folder / "seven.png")}
        ]


async def test_a_typed_path_in_the_picker_opens_a_folder_or_a_picture(
    make_app, ready, wait_for, picture_folder
) -> None:
    app, fake = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, PicturePicker), "the picker")
        tree, path_line = app.screen.query_one(PictureTree), app.screen.query_one("#picture-path")
        field = app.screen.query_one("#picture-path-input")
        await pilot.press("tab")
        await wait_for(pilot, lambda: field.has_focus, "the path field focused")
        await pilot.press(*"nowhere", "enter")
        await wait_for(pilot, lambda: "no such" in str(path_line.render()), "the bad path said")
        assert isinstance(app.screen, PicturePicker)  # still open
        field.value = str(picture_folder / "more")
        await pilot.press("enter")
        await wait_for(pilot, lambda: Path(tree.path) == picture_folder / "more", "the folder")
        field.value = str(picture_folder / "seven.png")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.train.sample_index == -1, "the picture shown")
        assert [kw for op, kw in fake.sent if op == "image"] == [
            {"path": str(picture_folder / "seven.png")}
        ]
