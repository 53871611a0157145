"""The workbench's dialogs: the keys (?), the next run's form (c, ``tui.run_form``), the quit
question (q while training), and the notice shown instead of the layout when the terminal is
too small."""

from __future__ import annotations

from itertools import groupby

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui.commands import Key
from tui.run_form import RunConfigScreen

__all__ = ["HelpScreen", "QuitScreen", "RunConfigScreen", "TooSmall", "keys_table"]

MIN_WIDTH, MIN_HEIGHT = 80, 24


class TooSmall(Static):
    """Shown instead of the workbench while the terminal is smaller than 80x24 (app.tcss)."""

    def __init__(self) -> None:
        super().__init__(id="too-small")

    def show_size(self, width: int, height: int) -> None:
        self.update(
            f"cnn-tui needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one "
            f"is {width}x{height}.\nPlease make the window larger (or the font "
            "smaller).\n\nq quits."
        )


KEY_COLUMN_MAX = 18  # cells; the help text gets the rest of the width


def keys_table(keys: list[Key]) -> Table:
    """The keys, grouped, as a Rich table."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    # a long key list ("shift+up / shift+down / ...") wraps rather than squeezing the help
    table.add_column("key", style="bold", max_width=KEY_COLUMN_MAX)
    table.add_column("action", ratio=1)
    for group, grouped in groupby(keys, key=lambda k: k.group):
        table.add_row(Text(group, style="bold underline"), "")
        for key in grouped:
            table.add_row(key.display, key.help)
    table.add_row("", "")
    table.add_row("tab / shift+tab", "move the focus between panes")
    table.add_row("ctrl+p", "command palette: every action above by name")
    return table


class HelpScreen(ModalScreen[None]):
    """The keys of the tab in view and the global ones (``MainScreen.active_keys``)."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, keys: list[Key]) -> None:
        super().__init__()
        self.shown_keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(keys_table(self.shown_keys), id="help-keys")
            yield Label("escape closes", classes="dialog-hint")

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)


class QuitScreen(ModalScreen[bool]):
    """Asks before quitting while training; yes stops the run cleanly (it saves) and quits."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog", classes="dialog"):
            yield Label("Training is running.", classes="dialog-title")
            yield Static("Stop it, save a checkpoint and quit?")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Stop, save and quit (y)", id="yes", variant="error", compact=True)
                yield Button("Keep training (n)", id="no", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
