"""The next run's form (``c``): model (a name, a spec or ``FILE.py:Name``), dataset, input shape,
recipe, epochs, batch size, learning rate, device.

A value the form cannot use keeps it open with the problem under its field and what was typed
kept; a model name, spec or model file is checked torch-free (``engine.models.catalog``) with
the names and the spec grammar listed under the field, a dataset with
``engine.data.dataset_ref``; the devices offered are this machine's.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from engine.errors import ConfigError, EngineError
from engine.models.catalog import (
    INSPECTION_ONLY,
    MODEL_NAMES,
    check_model_name,
    parse_input_shape,
)
from engine.models.spec_grammar import GRAMMAR
from engine.training.config import RECIPES, TrainConfig, make_config
from engine.training.options import Bound, bounds
from tui.devices import run_devices
from tui.source_args import DATASETS_HELP, dataset_problem, format_input_shape

# The form's number fields: (field id, label, kind); their ranges are TrainConfig's own (options).
NUMBER_FIELDS = (
    ("epochs", "Epochs", int),
    ("batch_size", "Batch size", int),
    ("lr", "Learning rate", float),
)
TEXT_FIELDS = {"model": "Model or spec", "dataset": "Dataset", "input_shape": "Input C,H,W"}
FIELD_LABELS = {**TEXT_FIELDS, **{field: label for field, label, _ in NUMBER_FIELDS}}
# The run options the form keeps when another recipe is chosen (the rest: the recipe's own).
KEPT_ACROSS_RECIPES = (
    "model",
    "dataset",
    "input_shape",
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


def model_help() -> Text:
    """The model field's help: the registry's names and the spec grammar (with ``[b]``)."""
    names = ", ".join(n for n in MODEL_NAMES if n not in INSPECTION_ONLY)
    photos = ", ".join(INSPECTION_ONLY)
    return Text.assemble(
        ("names: ", "bold"),
        f"{names}; {photos} (photos, inspection only)\n",
        ("spec: ", "bold"),
        f"tokens joined by -, such as c32-p-c64-p-f128: {GRAMMAR}; b adds batch norm\n",
        ("your own: ", "bold"),
        "path/model.py:Name or package.module:Name (an nn.Module class or a function)",
    )


def shape_problem(text: str) -> str:
    """The input shape field's problem ("" when blank, the dataset's own, or C,H,W)."""
    if not text:
        return ""
    try:
        parse_input_shape(text)  # the engine's own rule: the form never sends what it refuses
    except ConfigError as exc:
        return f"Input shape: {exc}"
    return ""


def number_problem(field: str, label: str, kind: type, text: str) -> tuple[int | float, str]:
    """(value, problem) of a number field: problem "" when ``text`` is a number in the
    option's range, else a line naming the field (never a CLI flag) and its range."""
    bound = dict(bounds())[field]
    try:
        value = kind(text)
    except ValueError:
        whole = "whole " if kind is int else ""
        return 0, f"{label} must be a {whole}number, not {text!r}"
    problem = Bound(label, bound.low, bound.high, bound.whole, bound.low_open, bound.high_open)
    return value, problem.problem(value) or ""


class FormErrors(EngineError):
    """The run form's problems by field id ("" for one that belongs to no field)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class RunConfigScreen(ModalScreen[TrainConfig | None]):
    """The next run's model (or spec), recipe, epochs, batch size, learning rate and device.

    Choosing a recipe fills in its defaults. Options the form does not show (subsets, data
    and run folders) are kept from the config it was opened with. A value that cannot be used
    keeps the form open with the problem under its field and what was typed kept; a model or
    spec is checked torch-free (``engine.models.catalog``), so a bad spec never leaves the
    form. The devices offered are the machine's (``tui.devices.run_devices``)."""

    DEFAULT_CSS = """
    RunConfigScreen .form-field { height: auto; }
    RunConfigScreen .field-error { height: auto; color: $error; display: none; }
    RunConfigScreen .field-error.-shown { display: block; }
    RunConfigScreen #model-help, RunConfigScreen .field-help { height: auto; color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Apply")]

    def __init__(self, config: TrainConfig, devices: list[str] | None = None) -> None:
        super().__init__()
        self.config = config
        self._recipe_shown = config.recipe
        self.devices = devices if devices is not None else run_devices(config.device)

    def compose(self) -> ComposeResult:
        c = self.config
        recipes = [
            (f"{name}  ({r.model}, {r.epochs} epoch{'s' * (r.epochs != 1)})", name)
            for name, r in RECIPES.items()
        ]
        with Vertical(id="config-dialog", classes="dialog"):
            yield Label("Next run", classes="dialog-title")
            with VerticalScroll(id="config-body"), Grid(id="config-grid"):
                yield Label("Recipe")
                yield Select(
                    recipes,
                    value=c.recipe if c.recipe in RECIPES else Select.BLANK,
                    allow_blank=False,
                    id="recipe",
                    compact=True,
                )
                yield Label(FIELD_LABELS["model"])
                with Vertical(classes="form-field"):
                    yield Input(c.model, id="model", compact=True, placeholder="fast-net")
                    yield Static("", id="model-error", classes="field-error")
                    yield Static(model_help(), id="model-help")
                yield Label(FIELD_LABELS["dataset"])
                with Vertical(classes="form-field"):
                    yield Input(c.dataset, id="dataset", compact=True, placeholder="mnist")
                    yield Static("", id="dataset-error", classes="field-error")
                    yield Static(DATASETS_HELP, id="dataset-help", classes="field-help")
                yield Label(FIELD_LABELS["input_shape"])
                with Vertical(classes="form-field"):
                    shape = format_input_shape(c.input_shape)
                    yield Input(shape, id="input_shape", compact=True, placeholder="the dataset's")
                    yield Static("", id="input_shape-error", classes="field-error")
                for field, label, _ in NUMBER_FIELDS:
                    value = f"{c.lr:g}" if field == "lr" else str(getattr(c, field))
                    kind = "number" if field == "lr" else "integer"
                    yield Label(label)
                    with Vertical(classes="form-field"):
                        yield Input(value, id=field, type=kind, compact=True)
                        yield Static("", id=f"{field}-error", classes="field-error")
                yield Label("Device")
                yield Select(
                    [(d, d) for d in self.devices],
                    value=c.device if c.device in self.devices else "auto",
                    allow_blank=False,
                    id="device",
                    compact=True,
                )
            yield Static("", id="config-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (enter)", id="apply", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#model", Input).focus()  # what the form is opened for, most often

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

    def on_input_changed(self, event: Input.Changed) -> None:
        """A field whose error is shown is checked again as it is edited: the error goes
        once the value can be used (or says the new value's problem)."""
        field = event.input.id or ""
        if field not in FIELD_LABELS:
            return
        error = self.query_one(f"#{field}-error", Static)
        if not error.has_class("-shown"):
            return
        error.update(Text(problem := self.field_problem(field), style="bold"))
        error.set_class(bool(problem), "-shown")

    def field_problem(self, field: str) -> str:
        """Field ``field``'s problem ("" when its value can be used)."""
        if field == "model":
            return self.model_problem()
        if field == "dataset":
            text = self.field_text("dataset") or "mnist"
            problem = dataset_problem(text)
            return f"Dataset: {problem}" if problem else ""
        if field == "input_shape":
            return shape_problem(self.field_text("input_shape"))
        return self.number_problem(field)

    def number_problem(self, field: str) -> str:
        """The number field ``field``'s problem ("" when its value can be used)."""
        label, kind = next((lab, k) for f, lab, k in NUMBER_FIELDS if f == field)
        return number_problem(field, label, kind, self.field_text(field))[1]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def field_text(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def model_problem(self) -> str:
        """ "" when the model field holds a registry name or a spec that builds (or the model
        the form was opened with, which the engine already built), else the problem."""
        model = self.field_text("model")
        if not model:
            return "type a model name or a spec such as c32-p-c64-p-f128"
        if model == self.config.model:
            return ""
        try:
            check_model_name(model)
        except EngineError as exc:  # the names and the grammar are listed under the field
            problem = str(exc).split("; grammar: ")[0]
            if problem.startswith("unknown model"):
                return f"unknown model {model!r}: use one of the names or a spec below"
            return problem
        return ""

    def read_config(self) -> TrainConfig:
        """The form's values over the config it was opened with; FormErrors naming each
        field whose value cannot be used, ConfigError for a problem of the whole config."""
        problems = {field: self.field_problem(field) for field in TEXT_FIELDS}
        numbers: dict[str, int | float] = {}
        for field, label, kind in NUMBER_FIELDS:
            numbers[field], problems[field] = number_problem(
                field, label, kind, self.field_text(field)
            )
        if any(problems.values()):
            raise FormErrors({k: v for k, v in problems.items() if v})
        recipe = str(self.query_one("#recipe", Select).value)
        overrides = {
            k: v for k, v in self.config.to_dict().items() if k not in ("recipe", "expected_acc")
        }
        shape = self.field_text("input_shape")
        overrides.update(
            model=self.field_text("model"),
            dataset=self.field_text("dataset") or "mnist",
            input_shape=parse_input_shape(shape) if shape else None,
            **numbers,
            device=str(self.query_one("#device", Select).value),
        )
        if recipe != self.config.recipe:  # the recipe's own optimiser, schedule, ...
            overrides = {k: v for k, v in overrides.items() if k in KEPT_ACROSS_RECIPES}
        return make_config(recipe, **overrides)

    def show_problems(self, problems: dict[str, str]) -> None:
        """Each problem under its field (the rest below the form); fields without one clear."""
        for field in FIELD_LABELS:
            error = self.query_one(f"#{field}-error", Static)
            error.update(Text(problems.get(field, ""), style="bold"))
            error.set_class(bool(problems.get(field)), "-shown")
        other = problems.get("", "")
        self.query_one("#config-error", Static).update(Text(other, style="bold red"))
        first = next((field for field in FIELD_LABELS if problems.get(field)), None)
        if first is not None:
            self.query_one(f"#{first}", Input).focus()

    def action_submit(self) -> None:
        try:
            config = self.read_config()
        except FormErrors as exc:
            self.show_problems(exc.problems)
            return
        except (EngineError, ValueError) as exc:
            self.show_problems({"": str(exc)})
            return
        self.dismiss(config)
