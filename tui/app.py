"""The cnn-tui Textual app: options, the engine link and its poller; the screen does the rest.

The UI process never imports torch. The Train tab starts the engine's child process (through
the ``EngineService`` every tab is given) once the first frame is on screen, and a thread
worker polls it, posting each event or reply to the main screen (``tui.main_screen``), which
hands them on to the tab or screen they are for.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from textual import work
from textual.app import App
from textual.notifications import SeverityLevel

from engine.training.config import TrainConfig, make_config
from tui.commands import WorkbenchCommands
from tui.engine_service import EngineService
from tui.link import EngineLost, Link, default_factory
from tui.main_screen import MainScreen
from tui.screens import MIN_HEIGHT, MIN_WIDTH
from tui.source_args import with_data


@dataclass(frozen=True)
class AppOptions:
    """What the command line decided; tests and the benchmark build one directly."""

    config: TrainConfig = field(default_factory=lambda: make_config("fast"))
    model: str | None = None  # the model to open; None: the config's
    checkpoint: str | None = None  # open this checkpoint for inspection instead
    weights: str | None = None
    image: str | None = None  # inspect this picture (index -1) instead of MNIST digits
    data_dir: str | None = None
    dataset: str | None = None  # --dataset: mnist, fashion-mnist, folder:PATH, cifar10:PATH
    input_shape: tuple[int, int, int] | None = None  # --input-shape C,H,W; None: the data's
    ascii: bool = False
    color_mode: str | None = None  # "truecolor" | "256" | "ascii"; None: from the terminal
    seed: int | None = None  # of the random sample picker (tests)
    log_file: str | None = None  # the engine child's stdout/stderr; None: a temp file
    compare: tuple[str, ...] = ()  # run directories to open in the compare view (--compare)
    graphics: str = "off"  # pictures by "kitty", "sixel", "iterm" (textual-image) or "off"


def follow_no_color() -> bool:
    """Apply no-color.org's rule, once for the whole app: NO_COLOR set and not empty means no
    colour; set but empty means nothing, so it is removed (Textual would grey the app for it
    while the heatmaps kept their colour code). Returns whether colour is off."""
    if os.environ.get("NO_COLOR") == "":
        del os.environ["NO_COLOR"]
    return bool(os.environ.get("NO_COLOR"))


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
        no_color = follow_no_color()
        super().__init__()  # greys the whole app (Textual's Monochrome filter) under NO_COLOR
        self.options = options or AppOptions()
        config = with_data(self.options.config, self.options.dataset, self.options.input_shape)
        self.options = replace(self.options, config=config)  # the runs train on --dataset
        if no_color:  # ... and the heatmaps shade in ASCII, keeping a diverging map's sign
            self.options = replace(self.options, color_mode="ascii")
        self.link = Link(
            factory=engine_factory, on_lost=lambda error: self.main.post_message(EngineLost(error))
        )
        self.engine_started_once = False
        self.main = MainScreen(self.options, EngineService(self.link, self.start_engine))
        self.signal_code = 0  # 130 / 143 once SIGINT / SIGTERM asked the app to quit
        self._loop: asyncio.AbstractEventLoop | None = None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Textual's notification, always as plain text: messages carry specs, paths and
        the engine's words (``c<N>[k<K>]...[b]``), which Textual's markup would eat."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

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

    # ----------------------------------------------------------------- signals

    def catch_signals(self) -> None:
        """From now on SIGINT and SIGTERM quit the app as the quit dialog's yes does: a run
        under way stops and saves its checkpoint first. A second signal quits at once. The
        exit code is then ``signal_code`` (128 + the first signal)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._signalled)

    def _signalled(self, signum: int, frame: object) -> None:
        # A signal handler runs between bytecodes of the main thread, which is the event
        # loop's: hand the work to the loop (call_soon_threadsafe is safe here).
        again = bool(self.signal_code)
        self.signal_code = self.signal_code or 128 + signum
        if self._loop is None:
            return  # not running yet: on_mount quits
        with contextlib.suppress(RuntimeError):  # the loop has closed: the app is ending
            self._loop.call_soon_threadsafe(self.exit if again else self.quit_for_signal)

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.signal_code:
            self.quit_for_signal()

    def quit_for_signal(self) -> None:
        """Stop a run under way (it saves), then quit; quit at once when none is."""
        self.main.stop_and_quit()
