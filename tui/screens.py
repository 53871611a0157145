"""The workbench's dialogs: the keys (?), the next run's form (c), the quit question (q while
training), and the notice shown instead of the layout when the terminal is too small."""

from __future__ import annotations

from itertools import groupby

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from engine.errors import EngineError
from engine.training.config import RECIPES, TrainConfig, make_config
from tui.commands import Key

MIN_WIDTH, MIN_HEIGHT = 80, 24
DEVICES = ("auto", "cpu", "cuda")


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


def keys_table(keys: list[Key]) -> Table:
    """The keys, grouped, as a Rich table."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold", no_wrap=True)
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


class RunConfigScreen(ModalScreen[TrainConfig | None]):
    """The next run's model (or spec), recipe, epochs, batch size, learning rate and device.

    Choosing a recipe fills in its defaults. Options the form does not show (subsets, data
    and run folders) are kept from the config it was opened with."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Apply")]

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.config = config
        self._recipe_shown = config.recipe

    def compose(self) -> ComposeResult:
        c = self.config
        recipes = [
            (f"{name}  ({r.model}, {r.epochs} epoch{'s' * (r.epochs != 1)})", name)
            for name, r in RECIPES.items()
        ]
        with Vertical(id="config-dialog", classes="dialog"):
            yield Label("Next run", classes="dialog-title")
            with Grid(id="config-grid"):
                yield Label("Recipe")
                yield Select(
                    recipes,
                    value=c.recipe if c.recipe in RECIPES else Select.BLANK,
                    allow_blank=False,
                    id="recipe",
                    compact=True,
                )
                yield Label("Model or spec")
                yield Input(
                    c.model,
                    id="model",
                    compact=True,
                    placeholder="fast-net, lenet5 or c32-p-c64-p-f128",
                )
                yield Label("Epochs")
                yield Input(str(c.epochs), id="epochs", type="integer", compact=True)
                yield Label("Batch size")
                yield Input(str(c.batch_size), id="batch_size", type="integer", compact=True)
                yield Label("Learning rate")
                yield Input(f"{c.lr:g}", id="lr", type="number", compact=True)
                yield Label("Device")
                yield Select(
                    [(d, d) for d in DEVICES],
                    value=c.device if c.device in DEVICES else "auto",
                    allow_blank=False,
                    id="device",
                    compact=True,
                )
            yield Static("", id="config-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (enter)", id="apply", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "recipe" or event.value == self._recipe_shown:
            return
        recipe = RECIPES.get(str(event.value))
        if recipe is None:
            return
        self._recipe_shown = recipe.recipe
        self.query_one("#model", Input).value = recipe.model
        self.query_one("#epochs", Input).value = str(recipe.epochs)
        self.query_one("#batch_size", Input).value = str(recipe.batch_size)
        self.query_one("#lr", Input).value = f"{recipe.lr:g}"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def read_config(self) -> TrainConfig:
        """The form's values over the config it was opened with; ConfigError when bad."""

        def number(field: str, kind: type) -> int | float:
            text = self.query_one(f"#{field}", Input).value.strip()
            try:
                return kind(text)
            except ValueError:
                label = field.replace("_", " ")
                raise ValueError(
                    f"{label} must be a {'whole ' if kind is int else ''}number, not {text!r}"
                ) from None

        model = self.query_one("#model", Input).value.strip()
        if not model:
            raise ValueError("type a model name or a spec such as c32-p-c64-p-f128")
        recipe = str(self.query_one("#recipe", Select).value)
        overrides = {
            k: v for k, v in self.config.to_dict().items() if k not in ("recipe", "expected_acc")
        }
        overrides.update(
            model=model,
            epochs=number("epochs", int),
            batch_size=number("batch_size", int),
            lr=number("lr", float),
            device=str(self.query_one("#device", Select).value),
        )
        if recipe != self.config.recipe:  # the recipe's own optimiser, schedule, ...
            keep = (
                "model",
                "epochs",
                "batch_size",
                "lr",
                "device",
                "train_subset",
                "test_subset",
                "data_dir",
                "run_dir",
                "seed",
                "threads",
            )
            overrides = {k: v for k, v in overrides.items() if k in keep}
        return make_config(recipe, **overrides)

    def action_submit(self) -> None:
        try:
            config = self.read_config()
        except (EngineError, ValueError) as exc:
            self.query_one("#config-error", Static).update(Text(str(exc), style="bold red"))
            return
        self.dismiss(config)
