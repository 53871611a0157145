"""Text the tester found wrong: a header that cut a model spec that fit, a compare picker whose
ticked and unticked rows read the same, "1 runs", a compare table cut mid-heading."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.compare.runs import COLUMNS, CompareScreen
from tui.compare.table_fit import fit_rows
from tui.widgets.header import Status, status_text

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
SPEC = "c64b-c64b-p-c128b-c128b-p-c256b-fc10"
LONG_SPEC = "c64b-c64b-p-c128b-c128b-p-c256b-c256b-p-c512b-c512b-p-fc1024-d-fc512-d-fc10"


@pytest.mark.parametrize("width", [120, 200])
def test_the_header_shows_the_whole_model_spec_where_it_fits(width: int) -> None:
    status = Status(
        model=SPEC,
        device="cpu",
        state="training",
        epoch=2,
        epochs=5,
        step=10,
        steps=100,
        test_acc=0.9812,
    )
    line = status_text(status, width).plain
    assert SPEC in line and "…" not in line
    assert len(line) <= width


@pytest.mark.parametrize("width", [80, 100, 120])
def test_a_long_spec_is_cut_only_as_far_as_the_width_needs(width: int) -> None:
    status = Status(model=LONG_SPEC, device="cpu", state="idle", epoch=1, epochs=5, test_acc=0.5)
    line = status_text(status, width).plain
    assert "epoch 1/5" in line and "test acc 50.00%" in line
    shown = line.split(" ", 3)[3].split(" │")[0]  # after " cnn-tui  "
    assert shown.endswith("…") and LONG_SPEC.startswith(shown[:-1])
    assert len(line) == width or len(shown) == 12  # the model takes all the room left


def test_the_compare_table_names_give_way_to_the_headings() -> None:
    row = ("20261130-153000-" + SPEC, LONG_SPEC, "669,706", "3", "99.00%", "99.10%", "1m02.0s")
    for width in (80, 120, 200):
        (fitted,) = fit_rows(COLUMNS, [row], width)
        widths = [max(len(c), len(v)) + 2 for c, v in zip(COLUMNS, fitted, strict=True)]
        assert sum(widths) <= width
        assert fitted[2:] == row[2:]
        assert all(
            f == r or (f.endswith("…") and r.startswith(f[:-1]))
            for f, r in zip(fitted, row, strict=True)
        )
    assert fit_rows(COLUMNS, [row], 400) == [row]


@pytest.fixture
def compare_engine_class(eval_engine_class: type) -> type:
    class CompareFake(eval_engine_class):
        def op_compare_runs(self, dirs) -> dict:
            from engine.training.compare import compare_runs

            return {"runs": compare_runs(dirs)}

    return CompareFake


@pytest.fixture
def long_runs(tmp_path: Path, fake_run) -> list[Path]:
    return [
        fake_run(tmp_path / f"20261130-15300{i}-{SPEC}", LONG_SPEC, 421_642, [0.97, 0.99])
        for i in range(2)
    ]


def compare_app(dirs: list[Path], fake) -> CnnTuiApp:
    return CnnTuiApp(
        AppOptions(
            config=make_config("fast", model="tiny"),
            color_mode="256",
            compare=tuple(str(d) for d in dirs),
        ),
        engine_factory=lambda data_dir, log_file: fake,
    )


@pytest.mark.parametrize("size", SIZES)
async def test_every_compare_heading_shows_at_every_size(
    size, long_runs, wait_for, compare_engine_class
) -> None:
    app = compare_app(long_runs, compare_engine_class())
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        screen = app.screen
        await wait_for(pilot, lambda: screen.runs, "the runs")
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert screen.query_one("#compare-title").content == "Compare 2 runs"


async def test_one_run_is_compare_1_run(long_runs, wait_for, compare_engine_class) -> None:
    app = compare_app(long_runs[:1], compare_engine_class())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        assert app.screen.query_one("#compare-title").content == "Compare 1 run"


async def test_the_picker_tells_ticked_from_unticked_rows_in_text(
    tmp_path: Path, long_runs, make_app, ready, wait_for, monkeypatch
) -> None:
    from textual.widgets import SelectionList

    from tui.compare.picker import ComparePicker

    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    for run in long_runs:
        run.rename(tmp_path / "runs" / run.name)
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, ComparePicker), "the picker")
        listed = app.screen.query_one(SelectionList)
        await pilot.press("space")
        await pilot.pause()
        first, second = (listed.render_line(y).text for y in range(2))
        assert first[:3] != second[:3]
        assert "X" in first[:3] and "X" not in second[:3]


@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
async def test_the_lr_chart_caption_says_lr_not_label_smoothing(
    size, make_app, ready, wait_for
) -> None:
    config = make_config("fast", model="tiny", epochs=1)  # label smoothing 0.1
    app, _ = make_app(config=config)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        pane = app.main.train.training
        pane.redraw()
        assert "smoothing 0.1" in str(pane.border_subtitle)  # the loss chart is in view
        for _ in range(3):
            if pane.view == "lr":
                break
            await pilot.press("v")
        await pilot.pause()
        assert "lr" in pane.shown_views()
        caption = str(pane.border_subtitle)
        assert "smoothing" not in caption and "loss" not in caption.split("v:")[0]
        assert "lr" in caption


@pytest.mark.parametrize(("numbers", "stepping"), [(True, False), (True, True), (False, False)])
def test_the_conv_lab_key_line_says_arrows_once(numbers: bool, stepping: bool) -> None:
    from tui.conv_lab.captions import key_line
    from tui.conv_lab.state import ConvLabState

    state = ConvLabState()
    state.show_values, state.step_mode = numbers, stepping
    line = key_line(state, 200)
    assert line.count("arrows") == 1
    assert ("scroll" in line) == (numbers and not stepping)


@pytest.mark.parametrize(
    ("field", "bad", "good"), [("model", "c8-zz-f10", "c8-p-f10"), ("epochs", "0", "3")]
)
async def test_a_field_error_goes_once_the_field_is_edited_to_a_good_value(
    field: str, bad: str, good: str, make_app, ready
) -> None:
    from textual.widgets import Input, Static

    from tui.screens import RunConfigScreen

    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        form = app.screen
        assert isinstance(form, RunConfigScreen)
        await pilot.pause()
        form.query_one(f"#{field}", Input).value = bad
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = form.query_one(f"#{field}-error", Static)
        assert error.has_class("-shown") and str(error.content)
        entry = form.query_one(f"#{field}", Input)
        entry.focus()
        entry.value = ""
        await pilot.press(*good)
        await pilot.pause()
        assert app.screen is form  # not submitted: only edited
        assert not error.has_class("-shown") and not error.region.height
        assert not str(error.content)


@pytest.mark.parametrize("size", SIZES)
async def test_the_inspector_title_drops_whole_parts(size, make_app, ready) -> None:
    from tui.train.inspector import Inspector
    from tui.widgets.fit_text import SEPARATOR

    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        inspector = app.main.query_one(Inspector)
        line = inspector.query_one("#inspector-title")
        cut = 0
        for _ in range(6):
            await pilot.press("j")
            await pilot.pause()
            full = inspector.state.title()
            shown = line.render_line(0).text.rstrip()  # as on screen
            assert not shown.endswith("·"), shown
            parts = full.split(SEPARATOR)
            assert all(part in parts for part in shown.split(SEPARATOR)), (full, shown)
            cut += shown != full
        if size == (80, 24):
            assert cut  # the narrow inspector does drop parts


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_footer_says_resume_while_paused(
    size, fake_engine_class, make_app, wait_for, ready
) -> None:
    from textual.widgets._footer import FooterKey

    def space_label() -> set[str]:
        return {k.description for k in app.screen.query(FooterKey) if k.key == "space"}

    app, _ = make_app(fake_engine_class(steps_per_epoch=400, step_delay=0.01))
    train = app.main.train
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        assert space_label() == {"Pause"}
        await pilot.press("t")
        await wait_for(pilot, lambda: train.state == "training", "training")
        await pilot.press("space")
        await wait_for(pilot, lambda: train.state == "paused", "paused")
        await wait_for(pilot, lambda: space_label() == {"Resume"}, "Resume in the footer")
        await pilot.press("space")
        await wait_for(pilot, lambda: train.state == "training", "training again")
        await wait_for(pilot, lambda: space_label() == {"Pause"}, "Pause in the footer")
