"""Picking runs to compare from inside the app: ``C`` lists the run folders, with checkboxes.

The run folders are those directly under the runs roots: ``runs/`` (where the engine puts a run
without --run-dir), the folders holding the app's --run-dir, the opened checkpoint's run and the
latest run. The run in view is ticked. ``c`` (or the button) compares the ticked runs in
:class:`tui.compare.runs.CompareScreen`, over the workbench, which escape returns to unchanged;
escape here cancels.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

from engine.training.history import CONFIG_FILE, HISTORY_DIR, INDEX_FILE, METRICS_FILE

if TYPE_CHECKING:
    from tui.main_screen import MainScreen

RUNS_ROOT = Path("runs")  # engine.training.run_folder.run_dir_for's default parent
MAX_RUNS = 200  # the newest ones, where a folder holds more


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a run that compare can read (metrics or a history index)."""
    markers = (folder / METRICS_FILE, folder / HISTORY_DIR / INDEX_FILE, folder / CONFIG_FILE)
    return folder.is_dir() and any(marker.is_file() for marker in markers[:2])


def run_folders(roots: Iterable[Path | str | None], extra: Iterable[str | None] = ()) -> list[Path]:
    """Run folders directly under ``roots`` and the ``extra`` run folders, newest first."""
    found: dict[Path, float] = {}
    for root in roots:
        if root is None or not Path(root).is_dir():
            continue
        try:
            children = list(Path(root).iterdir())
        except OSError:
            continue
        for child in children:
            if is_run_folder(child):
                found[child.resolve()] = _mtime(child)
    for folder in extra:
        if folder and is_run_folder(Path(folder)):
            found[Path(folder).resolve()] = _mtime(Path(folder))
    return sorted(found, key=lambda f: found[f], reverse=True)[:MAX_RUNS]


def _mtime(folder: Path) -> float:
    try:
        return max((p.stat().st_mtime for p in folder.iterdir()), default=folder.stat().st_mtime)
    except OSError:
        return 0.0


class TickList(SelectionList[str]):
    """A SelectionList whose unticked rows show an empty box: Textual's draws the same ``X``
    on every row and tells them apart by colour only, which a text capture or NO_COLOR loses."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if option.value in self._selected or len(segments) < 2:
            return strip
        inner = segments[1]
        if inner.text == ToggleButton.BUTTON_INNER:
            segments[1] = Segment(" " * len(inner.text), inner.style, inner.control)
        return Strip(segments, strip.cell_length)


class ComparePicker(ModalScreen[list[str] | None]):
    """Tick run folders (space or enter), compare them (c); escape cancels (None)."""

    BINDINGS = [
        Binding("c", "compare", "Compare", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, folders: list[Path], ticked: Iterable[str | None] = ()) -> None:
        super().__init__(id="compare-picker")
        self.folders = folders
        chosen = {Path(t).resolve() for t in ticked if t}
        self.ticked = [f for f in folders if f in chosen]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Compare runs", classes="dialog-title")
            if not self.folders:
                yield Static(
                    f"No run folders under {RUNS_ROOT.resolve()} yet: train a run (t) first.",
                    markup=False,
                )
            items = [(self.label(f), str(f), f in self.ticked) for f in self.folders]
            yield TickList(*items, id="compare-runs")
            yield Static("space/enter: tick · c: compare · esc: back", classes="dialog-hint")
            yield Button("Compare the ticked runs (c)", id="compare-go", compact=True)

    @staticmethod
    def label(folder: Path) -> str:
        parent = folder.parent.name
        return f"{parent}/{folder.name}" if parent else folder.name

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_compare()

    def action_compare(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if not chosen:
            self.notify("Tick one run or more (space) to compare.", severity="warning")
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_compare_picker(main: MainScreen) -> None:
    """Show the picker over ``main``; the ticked runs open in the compare view, over the
    workbench as it is (the model in view unchanged)."""
    from tui.compare.runs import CompareScreen

    options, train = main.options, main.train
    current = train.snapshots.run_dir if train.built else None
    roots = [
        RUNS_ROOT,
        Path(options.config.run_dir).parent if options.config.run_dir else None,
        Path(options.checkpoint).parent.parent if options.checkpoint else None,
        Path(current).parent if current else None,
    ]
    folders = run_folders(roots, extra=[current, *options.compare])

    def chosen(dirs: list[str] | None) -> None:
        if dirs:
            main.app.push_screen(CompareScreen(dirs, main.engine))

    main.app.push_screen(ComparePicker(folders, ticked=[current, *options.compare]), chosen)
