"""Issue 15: the run form (``c``) takes a dataset, an input shape and a model file
(``path/model.py:Name``), checks them without torch (the error under the field, the form kept
open) and opens the model for the dataset chosen."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from tui.screens import RunConfigScreen

SIZES = [(80, 24), (200, 60)]


def error_of(form: RunConfigScreen, field: str) -> str:
    widget = form.query_one(f"#{field}-error", Static)
    content = widget.content
    text = content.plain if hasattr(content, "plain") else str(content)
    return text if widget.has_class("-shown") else ""


async def open_form(pilot) -> RunConfigScreen:
    await pilot.press("c")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, RunConfigScreen)
    return form


@pytest.mark.parametrize("size", SIZES)
async def test_bad_dataset_shape_or_model_file_keep_the_form_open(make_app, ready, size, tmp_path):
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        assert form.query_one("#dataset", Input).value == "mnist"
        form.query_one("#dataset", Input).value = f"folder:{tmp_path / 'none'}"
        form.query_one("#input_shape", Input).value = "3,32"
        form.query_one("#model", Input).value = "no/such/model.py:Net"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "does not exist" in error_of(form, "dataset")
        assert "is not C,H,W" in error_of(form, "input_shape")
        assert "no/such/model.py" in error_of(form, "model")
        assert not [kw for op, kw in fake.sent if op == "load" and kw.get("dataset")]


@pytest.mark.parametrize("size", SIZES)
async def test_the_dataset_chosen_reopens_the_model_for_it(make_app, ready, sent, size):
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        form.query_one("#dataset", Input).value = "fashion-mnist"
        form.query_one("#input_shape", Input).value = "1,28,28"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, RunConfigScreen)
        config = app.main.train.run.next_config
        assert config.dataset == "fashion-mnist" and config.input_shape == (1, 28, 28)
        load = sent(fake, "load")[-1]  # the same model, built for the new data
        assert load["model"] == "tiny" and load["dataset"] == "fashion-mnist"
        assert tuple(load["input_shape"]) == (1, 28, 28)
