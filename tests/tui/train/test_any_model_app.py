"""The app on a model of the user's own (issue 15): a residual net's layer table as a tree that
folds, three named classes in the probabilities, the confusion matrix, the gallery and act-max,
colour samples and RGB first-layer kernels, and the flags' one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from fake_resnet import CLASSES, RESNET_ROWS, resnet_engine
from rich.segment import Segment

import tui.__main__ as entry
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate.actmax_view import ActMaxView
from tui.evaluate.matrix import cell_width, matrix_text
from tui.train.probabilities import Probabilities
from tui.widgets.heatmap import HeatmapGrid

MODEL = "tests/zoo/tiny_resnet.py:TinyResNet"
SIZES = [(80, 24), (200, 60)]


@pytest.fixture
def resnet_app(make_app, eval_engine_class):
    """``resnet_app(**AppOptions fields) -> (app, fake)``: the app on the tiny residual net."""

    def build(**options):
        fake = resnet_engine(eval_engine_class)()
        config = make_config("fast", model=MODEL, epochs=1, dataset="fashion-mnist")
        return make_app(fake, config=options.pop("config", config), **options)

    return build


def coloured(segments: list[Segment]) -> set[tuple[int, int, int]]:
    """The truecolour foreground and background triplets the segments draw with."""
    found = set()
    for segment in segments:
        style = segment.style
        if style is None:
            continue
        for color in (style.color, style.bgcolor):
            if color is not None and color.triplet is not None:
                found.add(tuple(color.triplet))
    return found


def grid_colours(grid: HeatmapGrid) -> set[tuple[int, int, int]]:
    colours: set[tuple[int, int, int]] = set()
    for y in range(grid.size.height):
        colours |= coloured(list(grid.render_line(y)))
    return colours


def not_grey(colours: set[tuple[int, int, int]]) -> set[tuple[int, int, int]]:
    return {c for c in colours if len(set(c)) > 1}


def table_labels(table) -> list[str]:
    return [str(table.get_row_at(i)[0]).strip("\n") for i in range(table.row_count - 1)]


@pytest.mark.parametrize("size", SIZES)
async def test_layer_tree_folds_and_jk_walk_the_visible_rows(
    resnet_app, ready, wait_for, sent, size
):
    app, fake = resnet_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        table = app.main.train.table
        labels = [label.strip() for label in table_labels(table)]
        assert len(labels) == len(RESNET_ROWS)  # one row per call, containers included
        assert labels[3] == "▾layer1" and labels[4] == "▾0" and labels[5] == "conv1"
        raw = table_labels(table)
        assert raw[4].index("▾") > raw[3].index("▾")  # the block inside is indented
        assert raw[5].index("conv1") == raw[4].index("0")  # its layers under its name
        assert "relu#2" in labels  # the second call of the same ReLU has its own row
        for _ in range(3):
            await pilot.press("j")
        assert table.selected_name == "layer1"
        await wait_for(
            pilot, lambda: any(kw.get("layer") == "layer1" for _, kw in fake.sent), "layer1 asked"
        )
        assert all(k["layer"] != "layer1" for k in sent(fake, "kernels"))  # a container: no kernels
        await pilot.press("enter")  # fold layer1: its seven rows hide
        assert table.row_count - 1 == len(RESNET_ROWS) - 7
        folded = str(table.get_row_at(3)[0]).strip()
        assert folded == "▸layer1" and table.selected_name == "layer1"
        params = "".join(str(cell) for cell in table.get_row_at(3))
        assert ("1,200" in params or "1.20k" in params) and "1.18M" in params  # its layers' sums
        await pilot.press("j")
        assert table.selected_name == "relu#2"  # j skips the hidden rows
        asked = lambda: [kw.get("layer") for _, kw in fake.sent]  # noqa: E731
        await wait_for(pilot, lambda: "relu#2" in asked(), "relu#2's maps asked by its key")
        await pilot.press("k", "z")  # z unfolds it again
        assert table.row_count - 1 == len(RESNET_ROWS) and table.selected_name == "layer1"
        await pilot.press("j", "enter")  # the block inside folds on its own
        assert table.selected_name == "layer1.0" and table.row_count - 1 == len(RESNET_ROWS) - 6


@pytest.mark.parametrize("size", SIZES)
async def test_class_names_and_colour_in_the_sample_panel(resnet_app, ready, size):
    app, fake = resnet_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        probs = app.main.query_one(Probabilities)
        text = probs.as_text().plain
        for name in CLASSES:  # fitted to the width: whole, or cut with an ellipsis
            assert name in text or (size[0] < 100 and f"{name[:4]}" in text and "…" in text)
        assert "circle TP" in text or "circle T " in text  # the true class is marked
        digit = app.main.query_one("#digit", HeatmapGrid)
        sample = app.main.train.inspector.sample
        colour = CLASSES[int(sample["label"])]
        assert colour in app.main.train.inspector.query_one("#digit").model.caption
        hues = not_grey(grid_colours(digit))
        assert hues, "the colour picture is drawn in grey"
        channel = int(sample["label"])  # red circle, green square, blue triangle
        assert any(c[channel] > 200 and sum(c) - c[channel] < 60 for c in hues)


@pytest.mark.parametrize("size", SIZES)
async def test_rgb_first_layer_kernels_are_colour_pictures(resnet_app, ready, wait_for, size):
    app, fake = resnet_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        inspector = app.main.train.inspector
        await wait_for(pilot, lambda: inspector.kernel_view is not None, "conv1's kernels")
        view = inspector.kernel_view
        assert view.rgb and view.maps.shape == (8, 3, 3, 3) and view.maps.dtype == np.uint8
        weights = fake.op_kernels("conv1")["weights"]
        first = weights[0]  # scaled on its own: its smallest weight black, its largest white
        lo, hi = (
            np.unravel_index(first.argmin(), first.shape),
            np.unravel_index(first.argmax(), first.shape),
        )
        assert view.maps[0][lo[1], lo[2], lo[0]] == 0 and view.maps[0][hi[1], hi[2], hi[0]] == 255
        kernels = inspector.query_one("#kernels", HeatmapGrid)
        assert len(not_grey(grid_colours(kernels))) > 4
        await pilot.press("j")  # bn1: a layer that does not read the picture
        await pilot.press("j", "j", "j", "j")  # layer1.0.conv1: 8 input channels, grey maps
        await wait_for(pilot, lambda: inspector.kernel_view is not None, "a conv's kernels")
        assert not inspector.kernel_view.rgb


async def test_no_colour_draws_the_colour_picture_in_grey(eval_engine_class, ready):
    fake = resnet_engine(eval_engine_class)()
    options = AppOptions(config=make_config("fast", model=MODEL), seed=7, color_mode="ascii")
    app = CnnTuiApp(options, engine_factory=lambda data_dir, log_file: fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        digit = app.main.query_one("#digit", HeatmapGrid)
        assert not not_grey(grid_colours(digit))  # luminance shades, no hue
        shades = "".join(seg.text for y in range(digit.size.height) for seg in digit.render_line(y))
        assert len(set(shades) - {" "}) >= 2  # the shape still shows, in ASCII shades


@pytest.mark.parametrize("size", SIZES)
async def test_confusion_matrix_gallery_and_actmax_name_the_classes(
    resnet_app, wait_for, open_tab, size
):
    app, fake = resnet_app()
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        matrix = app.main.query_one("#eval-matrix")
        await pilot.pause()
        text = matrix.render().plain
        lines = text.splitlines()
        assert len(lines) == 1 + 3 * matrix.scale  # the header and 3 rows of cells
        for name in CLASSES:
            assert any(line.strip().startswith(name) for line in lines[1:])  # row labels
            assert name[: min(len(name), 3 + matrix.scale)] in lines[0]  # heads, fitted
        cut = [n for n in CLASSES if len(n) > cell_width(matrix.scale) - 1]
        if cut:  # names cut to fit the cells are spelled out in the tooltip
            assert all(f"={name}" in str(matrix.tooltip) for name in cut)
        else:
            assert matrix.tooltip is None
        cell = str(app.main.query_one("#eval-cell").content)
        assert "true circle, predicted circle" in cell and "images (circle correct)" in cell
        assert "30 images" in str(app.main.query_one("#eval-summary").wordings)
        await pilot.press("right")
        cell = str(app.main.query_one("#eval-cell").content)
        assert "circle mistaken for square" in cell
        await pilot.press("w")
        await wait_for(pilot, lambda: pane.state.gallery is not None, "the gallery")
        await pilot.pause()
        grid = app.main.query_one("#eval-maps", HeatmapGrid)
        titles = grid.model.titles  # the classes first, each cut to 6 cells
        assert titles[:3] == ["circle→square✗ #0 80%", "square→trian…✗ #7 80%",
                              "trian…→circle✗ #14 80%"]  # fmt: skip
        assert grid.model.rgb and not_grey(grid_colours(grid))
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: pane.state.actmax.done, "act-max of the three classes")
        assert pane.state.actmax.count == 3
        from tui.evaluate.actmax_state import grid_maps

        _, titles = grid_maps(pane.state.actmax)
        assert [t.split(" ")[0] for t in titles] == CLASSES
        await pilot.pause()
        actmax = app.main.query_one(ActMaxView).query_one(HeatmapGrid)
        assert actmax.model.titles[:3] == titles and actmax.model.rgb
        hues = not_grey(grid_colours(actmax))
        assert any(c[0] > 200 and c[1] < 40 for c in hues)  # circle's act-max: red


async def test_the_load_and_the_run_carry_the_dataset_and_input_shape(make_app, ready, sent):
    config = make_config("fast", model="tiny", epochs=1)
    app, fake = make_app(config=config, dataset="fashion-mnist", input_shape=(1, 28, 28))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        load = sent(fake, "load")[0]
        assert load["dataset"] == "fashion-mnist" and tuple(load["input_shape"]) == (1, 28, 28)
        assert app.main.train.run.next_config.dataset == "fashion-mnist"
        await pilot.press("t")
        await pilot.pause()
        train = sent(fake, "train")[0]["config"]
        assert train["dataset"] == "fashion-mnist" and tuple(train["input_shape"]) == (1, 28, 28)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--model", "no/such/model.py:Net"], "--model no/such/model.py:Net: model file"),
        (["--dataset", "folder:/no/such/folder"], "--dataset folder:/no/such/folder: image folder"),
        (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["--input-shape", "3,32"], "'3,32' is not C,H,W"),
        (["--input-shape", "0,32,32"], "0 channels; use 1 to 64"),
    ],
)
def test_bad_model_dataset_or_shape_is_one_line_and_exit_2(argv, expected, capsys):
    with pytest.raises(SystemExit) as stop:
        entry.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_options_carry_the_dataset_and_shape_into_the_run_config():
    args = entry.build_parser().parse_args(
        ["--model", MODEL, "--dataset", "fashion-mnist", "--input-shape", "1,28,28"]
    )
    assert entry.check_paths(args) is None
    options = entry.options_from_args(args)
    assert options.dataset == "fashion-mnist" and options.input_shape == (1, 28, 28)
    assert options.config.dataset == "fashion-mnist" and options.config.input_shape == (1, 28, 28)
    assert options.config.model == MODEL


def test_a_narrow_matrix_cuts_the_names_and_keeps_them_apart():
    confusion = np.array([[5, 1, 0], [0, 6, 0], [1, 0, 4]])
    text = matrix_text(confusion, [0.8, 1.0, 0.8], (0, 0), "ascii", 1, CLASSES).plain
    header, *rows = text.splitlines()
    assert header.split()[1:4] == ["circ", "squa", "tria"]  # cut to the 4 columns of a cell
    assert [row.split()[0] for row in rows] == CLASSES  # row labels whole
    same_start = matrix_text(
        confusion, [1.0] * 3, (0, 0), "ascii", 1, ["class_a1", "class_a2", "b"]
    )
    assert same_start.plain.splitlines()[0].split()[1:4] == ["0", "1", "b"]  # cut alike: indices


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("side", [55, 3])
async def test_feature_maps_of_any_size_are_scaled_to_fit(resnet_app, ready, size, side):
    app, fake = resnet_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        inspector = app.main.train.inspector
        layer = inspector.state.layer_name
        maps = np.random.default_rng(0).integers(0, 256, (64, side, side), dtype=np.uint8)
        ranges = np.tile(np.array([[0.0, 1.0]], np.float32), (64, 1))
        payload = {"layer": layer, "maps": maps, "ranges": ranges, "shape": (64, side, side),
                   "index": inspector.state.sample["index"]}  # fmt: skip
        inspector.set_activations(payload)
        await pilot.pause()
        grid = inspector.query_one("#activations", HeatmapGrid)
        layout = grid.layout_info
        assert layout.placements, "no map drawn"
        assert layout.map_w <= grid.size.width and (layout.map_h + 1) // 2 <= grid.size.height
        if side == 55:
            assert layout.map_w < 55 or size[0] >= 200  # shrunk where 55 columns do not fit
        else:
            assert layout.map_w > 3  # a 3x3 map is enlarged to be seen
        for _index, x, y in layout.placements:
            assert x + layout.map_w <= grid.size.width and y < grid.size.height
