"""Graphics protocol detection (issue 14, point 10) is a pure function of the environment and
the command line, and loading textual-image never waits on the terminal: it writes no query
and reads nothing from stdin, even on a terminal that never answers."""

from __future__ import annotations

import os
import pty
import select
import sys

import pytest

from tui.__main__ import build_parser, options_from_args
from tui.widgets import pixel_image
from tui.widgets.graphics import decide_graphics

KITTY = {"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}
CASES = [
    (KITTY, "kitty"),
    ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, "kitty"),
    ({"TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"}, "kitty"),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, "sixel"),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, "iterm"),
    ({"TERM": "foot"}, "sixel"),
    ({"TERM": "xterm-256color", "KONSOLE_VERSION": "230804"}, "sixel"),
    ({"TERM": "xterm-256color", "KONSOLE_VERSION": "210800"}, "off"),
    # tmux without passthrough: its TERM, and the outer terminal's variables inherited
    (
        {"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", **{"KITTY_WINDOW_ID": "1"}},
        "off",
    ),
    ({"TERM": "screen-256color", "TERM_PROGRAM": "WezTerm"}, "off"),
    # a 256-colour SSH session: TERM forwarded, nothing that names a graphics terminal
    ({"TERM": "xterm-256color", "SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}, "off"),
    ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "off"),
    ({}, "off"),
]


@pytest.mark.parametrize(("env", "protocol"), CASES)
def test_auto_decides_from_the_environment(env, protocol):
    assert decide_graphics(env, "auto").protocol == protocol


def test_no_colour_turns_pictures_off_even_when_forced():
    assert decide_graphics(KITTY, "auto", color_mode="ascii").protocol == "off"
    assert decide_graphics(KITTY, "kitty", color_mode="ascii").protocol == "off"


def test_a_forced_choice_is_kept_in_tmux_and_the_variable_counts_for_auto():
    tmux = {"TERM": "tmux-256color", "TMUX": "x"}
    assert decide_graphics(tmux, "kitty").protocol == "kitty"
    assert decide_graphics({**tmux, "CNN_TUI_GRAPHICS": "sixel"}, "auto").protocol == "sixel"
    assert decide_graphics({**KITTY, "CNN_TUI_GRAPHICS": "off"}, "auto").protocol == "off"
    assert decide_graphics({**KITTY, "CNN_TUI_GRAPHICS": "bogus"}, "auto").protocol == "kitty"
    assert decide_graphics({"CNN_TUI_GRAPHICS": "kitty"}, "off").protocol == "off"  # flag wins
    with pytest.raises(ValueError, match="auto, kitty, sixel, iterm, off"):
        decide_graphics({}, "vga")


def options(argv, monkeypatch, env):
    for name in ("TERM", "TERM_PROGRAM", "TMUX", "KITTY_WINDOW_ID", "NO_COLOR", "CNN_TUI_GRAPHICS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return options_from_args(build_parser().parse_args(argv))


def test_the_command_line_and_no_color(monkeypatch):
    assert options([], monkeypatch, KITTY).graphics == "kitty"
    assert options(["--ascii"], monkeypatch, KITTY).graphics == "off"
    assert options([], monkeypatch, {**KITTY, "NO_COLOR": "1"}).graphics == "off"
    assert options(["--graphics", "sixel"], monkeypatch, {"TERM": "xterm"}).graphics == "sixel"
    assert options([], monkeypatch, {"TERM": "xterm-256color"}).graphics == "off"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--graphics", "vga"])


class StdinRead(Exception):
    """Raised by any attempt to wait for or read the terminal's answer."""


@pytest.fixture
def silent_terminal(monkeypatch):
    """stdout and stdin are a real terminal (a pty) that never answers; reading stdin or
    waiting on it raises StdinRead; textual-image is imported afresh. Yields the pty's
    other end, where whatever was written to the terminal arrives."""
    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w")
    keyboard = os.fdopen(os.dup(slave), "r")  # stdin: the same terminal

    def refuse(*args, **kwargs):
        raise StdinRead(f"read the terminal: {args[:1]}")

    monkeypatch.setattr(sys, "__stdout__", terminal)
    monkeypatch.setattr(sys, "__stdin__", keyboard)
    monkeypatch.setattr(os, "read", refuse)
    monkeypatch.setattr(select, "select", refuse)
    for name in [m for m in sys.modules if m.startswith("textual_image")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(pixel_image, "_WIDGETS", {})
    yield master
    terminal.close()
    keyboard.close()
    os.close(master)


def written(master: int) -> bytes:
    """What was written to the terminal (the pty's other end), without waiting."""
    os.set_blocking(master, False)
    try:
        return os.fdopen(os.dup(master), "rb", buffering=0).read() or b""
    except BlockingIOError:
        return b""


def test_loading_textual_image_never_queries_the_terminal(silent_terminal):
    widget = pixel_image.load_protocol_widget("kitty")
    assert widget.__name__ == "TGPImage"
    assert pixel_image.load_protocol_widget("sixel").__name__ == "Image"  # the Sixel widget
    assert written(silent_terminal) == b""  # no device-attributes or Kitty query sent
    import textual_image._terminal as terminal

    assert terminal.get_cell_size()  # preset from the ioctl (or the default): no query


def test_textual_images_own_import_would_wait_on_the_terminal(silent_terminal):
    """Why the guard exists: imported plainly on a terminal, textual-image queries it and
    waits for the answer on stdin."""
    with pytest.raises(StdinRead):
        import textual_image.widget  # noqa: F401
    assert b"\x1b[c" in written(silent_terminal)  # the device-attributes query went out


def test_a_bad_graphics_variable_is_one_line_and_exit_2(monkeypatch, capsys):
    """CNN_TUI_GRAPHICS=bogus is refused like --graphics bogus, before anything starts."""
    from tui.__main__ import main

    monkeypatch.setenv("CNN_TUI_GRAPHICS", "bogus")
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "CNN_TUI_GRAPHICS=bogus: use one of auto, kitty" in lines[0]
    monkeypatch.setenv("CNN_TUI_GRAPHICS", " Kitty ")
    assert options([], monkeypatch, {"CNN_TUI_GRAPHICS": " Kitty "}).graphics == "kitty"
