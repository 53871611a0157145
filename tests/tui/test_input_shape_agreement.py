"""The app checks --input-shape and the run form's input shape with the engine's own rule
(engine.models.catalog): a shape the engine would refuse (sides over MAX_INPUT_SIDE, too many
channels) is refused before it is sent, with the engine's words."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from engine.models.catalog import MAX_INPUT_CHANNELS, MAX_INPUT_SIDE
from tui import __main__ as cli
from tui.screens import RunConfigScreen

TOO_WIDE = f"3,{MAX_INPUT_SIDE + 1},{MAX_INPUT_SIDE + 1}"
TOO_DEEP = f"{MAX_INPUT_CHANNELS + 1},32,32"


@pytest.mark.parametrize(("shape", "words"), [(TOO_WIDE, "out of range"), (TOO_DEEP, "channels")])
def test_the_flag_refuses_what_the_engine_refuses(shape, words, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--input-shape", shape])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--input-shape" in err and words in err


def test_the_flag_takes_the_engine_forms() -> None:
    args = cli.build_parser().parse_args(["--input-shape", f"3x{MAX_INPUT_SIDE}x32"])
    assert args.input_shape == (3, MAX_INPUT_SIDE, 32)


def error_of(form: RunConfigScreen, field: str) -> str:
    widget = form.query_one(f"#{field}-error", Static)
    content = widget.content
    text = content.plain if hasattr(content, "plain") else str(content)
    return text if widget.has_class("-shown") else ""


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
@pytest.mark.parametrize(("shape", "words"), [(TOO_WIDE, "out of range"), (TOO_DEEP, "channels")])
async def test_the_run_form_refuses_what_the_engine_refuses(make_app, ready, size, shape, words):
    app, fake = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RunConfigScreen)
        form.query_one("#input_shape", Input).value = shape
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # kept open, nothing sent
        assert words in error_of(form, "input_shape")
        assert not [kw for op, kw in fake.sent if op == "load" and kw.get("input_shape")]
