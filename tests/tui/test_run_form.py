"""Issue 13 point 14: the run form (``c``) keeps a bad value open with the error under its field
and what was typed kept, lists the model names and the spec grammar (with the ``[b]`` suffixes),
names its own fields (never CLI flags) and offers only the devices this machine has."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

import tui.devices
from engine.models.catalog import MODEL_NAMES
from tui.screens import RunConfigScreen

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]


def shown(form: RunConfigScreen, selector: str) -> str:
    widget = form.query_one(selector, Static)
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


def visible(form: RunConfigScreen, selector: str) -> bool:
    """Whether the widget is laid out on the screen with at least one row."""
    widget = form.query_one(selector)
    return widget.display and widget.region.height > 0


async def open_form(pilot) -> RunConfigScreen:
    await pilot.press("c")
    form = pilot.app.screen
    assert isinstance(form, RunConfigScreen)
    await pilot.pause()
    return form


@pytest.mark.parametrize("size", SIZES)
async def test_a_bad_spec_keeps_the_form_open_with_the_error_under_the_field(
    make_app, ready, size
) -> None:
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        assert not visible(form, "#model-error")
        form.query_one("#model", Input).value = "c8-zz-f10"
        loads = len([op for op, _ in fake.sent if op == "load"])
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # still open
        assert form.query_one("#model", Input).value == "c8-zz-f10"  # what was typed, kept
        error = shown(form, "#model-error")
        assert "token 2 'zz' is not a layer" in error
        assert visible(form, "#model-error")
        field, under = form.query_one("#model").region, form.query_one("#model-error").region
        assert under.y > field.y and under.x == field.x  # under the field
        assert len([op for op, _ in fake.sent if op == "load"]) == loads  # nothing was built
        form.query_one("#model", Input).value = "c8-p-c16-p-f10"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.train.next_config.model == "c8-p-c16-p-f10"


@pytest.mark.parametrize("typed", ["lenet", "convnet-k7", "c8-p-c16q"])
async def test_unknown_names_and_bad_tokens_are_refused_by_the_form(make_app, ready, typed) -> None:
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        form.query_one("#model", Input).value = typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and shown(form, "#model-error")


@pytest.mark.parametrize("size", SIZES)
async def test_the_form_lists_the_model_names_and_the_grammar_with_b(make_app, ready, size) -> None:
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        text = shown(form, "#model-help")
        for name in MODEL_NAMES:
            assert name in text
        assert "c<N>[k<K>][s<S>][p<P>][b]" in text and "f<N>[b]" in text
        assert "batch norm" in text
        assert visible(form, "#model-help")
        assert visible(form, "#apply")  # the buttons stay on screen at every size


@pytest.mark.parametrize(
    ("field", "text", "label", "says"),
    [
        ("batch_size", "10000000", "Batch size", "a whole number from 1 to 60000"),
        ("epochs", "0", "Epochs", "a whole number from 1 to 10000"),
        ("lr", "-1", "Learning rate", "a finite number above 0"),
        ("lr", "nan", "Learning rate", "a finite number above 0"),
        ("epochs", "x", "Epochs", "a whole number, not 'x'"),
    ],
)
async def test_number_errors_name_the_form_s_field_not_a_cli_flag(
    make_app, ready, field, text, label, says
) -> None:
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        form.query_one(f"#{field}", Input).value = text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        error = shown(form, f"#{field}-error")
        assert error.startswith(f"{label} must be") and says in error
        assert "--" not in error
        assert form.query_one(f"#{field}", Input).value == text
        assert visible(form, f"#{field}-error")


@pytest.mark.parametrize(
    ("gpu", "offered"), [(False, ["auto", "cpu"]), (True, ["auto", "cpu", "cuda"])]
)
async def test_the_device_choice_offers_only_this_machine_s_devices(
    make_app, ready, monkeypatch, gpu, offered
) -> None:
    monkeypatch.setattr(tui.devices, "gpu_driver_present", lambda: gpu)
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        select = form.query_one("#device", Select)
        assert [value for _, value in select._options] == offered
