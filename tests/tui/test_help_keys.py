"""The help screen (?) names keys as typed, says what they do now, and leaves the help text room."""

from __future__ import annotations

from rich.console import Console

from tui.commands import Key
from tui.screens import KEY_COLUMN_MAX, keys_table
from tui.train.keys import TRAIN_KEYS


def _render(keys: list[Key], width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(keys_table(keys))
    return console.export_text().splitlines()


def test_curly_brackets_show_as_typed() -> None:
    key = Key("left_curly_bracket,right_curly_bracket", "x", "Inputs", "pick the input")
    assert key.display == "{ / }"


def test_kernel_history_help_says_snapshots_are_spread_over_steps() -> None:
    (earlier,) = [key for key in TRAIN_KEYS if key.keys == "e"]
    assert "per-epoch" not in earlier.help
    assert "steps" in earlier.help


def test_long_key_lists_wrap_so_help_text_keeps_the_width() -> None:
    long_keys = Key("shift+up,shift+down,shift+left,shift+right", "x", "Move", "move it")
    help_text = "words " * 12
    lines = _render([long_keys, Key("a", "y", "A", help_text.strip())], 80)
    help_line = next(line for line in lines if "words" in line)
    assert help_line.index("words") <= KEY_COLUMN_MAX + 2
    assert help_line.count("words") >= 9  # at 80 columns the help text is not squeezed
