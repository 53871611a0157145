"""The cnn-tui Textual app: options, the engine link and its poller; the screen does the rest.

The UI process never imports torch. The Train tab starts the engine's child process (through
the ``EngineService`` every tab is given) once the first frame is on screen, and a thread
worker polls it, posting each event or reply to the main screen (``tui.main_screen``), which
hands them on to the tab or screen they are for.
"""

from __future__ import annotations

import gc
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from textual import work
from textual.app import App

from engine.training.config import TrainConfig, make_config
from tui.commands import WorkbenchCommands
from tui.engine_service import EngineService
from tui.link import EngineLost, Link, default_factory
from tui.main_screen import MainScreen
from tui.screens import MIN_HEIGHT, MIN_WIDTH


@dataclass(frozen=True)
class AppOptions:
    """What the command line decided; tests and the benchmark build one directly."""

    config: TrainConfig = field(default_factory=lambda: make_config("fast"))
    model: str | None = None  # the model to open; None: the config's
    checkpoint: str | None = None  # open this checkpoint for inspection instead
    weights: str | None = None
    image: str | None = None  # inspect this picture (index -1) instead of MNIST digits
    data_dir: str | None = None
    ascii: bool = False
    color_mode: str | None = None  # "truecolor" | "256" | "ascii"; None: from the terminal
    seed: int | None = None  # of the random sample picker (tests)
    log_file: str | None = None  # the engine child's stdout/stderr; None: a temp file
    compare: tuple[str, ...] = ()  # run directories to open in the compare view (--compare)


def freeze_startup_objects() -> None:
    """Move everything built so far (Textual, widgets, CSS) out of the garbage collector's
    reach: a full collection that walked them all paused the UI up to 80 ms while training;
    after the freeze it walks only what was made since."""
    gc.collect()
    gc.freeze()


class CnnTuiApp(App[None]):
    """The workbench; ``CnnTuiApp(AppOptions(config=...), engine_factory=...)``."""

    CSS_PATH = "app.tcss"
    TITLE = "cnn-tui"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # Breakpoint classes on every screen; app.tcss shows the too-small notice with them.
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (MIN_WIDTH, "-normal-width"),
        (110, "-medium"),
        (140, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (MIN_HEIGHT, "-normal-height"), (40, "-tall")]

    def __init__(self, options: AppOptions | None = None, engine_factory=default_factory) -> None:
        super().__init__()
        self.options = options or AppOptions()
        self.link = Link(
            factory=engine_factory, on_lost=lambda error: self.main.post_message(EngineLost(error))
        )
        self.engine_started_once = False
        self.main = MainScreen(self.options, EngineService(self.link, self.start_engine))

    def get_default_screen(self) -> MainScreen:
        return self.main

    def open_compare(self) -> None:
        """Show the compare-runs view (tui.compare.runs) over the workbench."""
        from tui.compare.runs import CompareScreen

        self.push_screen(CompareScreen(self.options.compare, self.main.engine))

    def start_engine(self) -> str | None:
        """Spawn the child and its poller; one line for the user when it cannot start.

        The Train tab calls this (through its EngineService) once its widgets are in, after
        the first frame, so the screen paints at once; and again to restart one that died."""
        log_file = self.options.log_file or str(Path(tempfile.gettempdir()) / "cnn-tui-engine.log")
        try:
            self.link.start(self.options.data_dir or self.options.config.data_dir, log_file)
        except Exception as exc:  # noqa: BLE001 - shown to the user, app stays up
            return f"cannot start the engine: {exc}"
        self.pump_engine()
        if not self.engine_started_once:
            self.engine_started_once = True
            # After the caller's first requests (the model to open) have gone out.
            self.call_later(self.first_engine_started)
        return None

    def first_engine_started(self) -> None:
        """Once the engine first starts: freeze the start-up objects, open --compare's view."""
        freeze_startup_objects()
        if self.options.compare:
            self.open_compare()  # --compare: its view asks the engine to read the runs

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine")
    def pump_engine(self) -> None:
        """Poll the child; only post messages (thread-safe), never touch widgets."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        self.link.pump(self.main.post_message, lambda: worker.is_cancelled)

    async def action_quit(self) -> None:
        await self.main.action_quit()

    def on_unmount(self) -> None:
        self.link.close()
