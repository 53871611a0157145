"""The Train tab's run keys: train/stop, pause, save, the run form, and quit.

``RunState`` is the run's plain state (no Textual); ``RunControl`` turns the keys into engine
requests and dialogs, and shows what it did through the tab (``TrainTab``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tui.screens import QuitScreen, RunConfigScreen
from tui.source_args import load_args, same_model

if TYPE_CHECKING:
    from engine.training.config import TrainConfig
    from tui.engine_service import EngineService
    from tui.train.tab import TrainTab

QUIT_TIMEOUT_S = 120.0  # give up waiting for a stopping run after this long
ACTIVE = ("training", "paused", "stopping")
ENDED = ("stopped", "finished", "failed", "diverged")  # how a run ended: the header's word


@dataclass
class LastRun:
    """The latest run: its folder, how it ended (one of ENDED, "" while under way), where
    (``epoch 1 step 518/938``, for a stopped run) and its test accuracy (0..1)."""

    run_dir: str
    ended: str = ""
    where: str = ""
    test_acc: float | None = None

    def label(self) -> str:
        """``previous run stopped · acc 95.00%``: short enough for a narrow pane's line."""
        acc = "" if self.test_acc is None else f" · acc {100 * self.test_acc:.2f}%"
        return f"previous run {self.ended or 'under way'}{acc}"

    def summary(self) -> str:
        """``RUN_DIR: stopped at epoch 1 step 3/8 · test acc 95.00%``."""
        text = f"{self.run_dir}: {self.ended or 'under way'}"
        text += f" at {self.where}" if self.where else ""
        if self.test_acc is not None:
            text += f" · test acc {100 * self.test_acc:.2f}%"
        return text


@dataclass
class RunState:
    """What the Train tab knows of the engine and the run.

    ``state`` is one of starting, idle, training, paused, stopping, or how the last run
    ended (ENDED: stopped, finished, failed, diverged)."""

    next_config: TrainConfig
    state: str = "starting"
    previous_config: TrainConfig | None = None  # kept until a new model loads
    loaded_model: str | None = None  # the model the engine holds (its load name)
    train_after_load: bool = False
    last_run: LastRun | None = None  # the latest run (kept as "previous" when a model loads)
    quitting: bool = False
    engine_starts: int = 0
    train_sent: bool = False  # a train request went out and its run has not started yet
    stop_on_start: bool = False  # t (or quit) while the run starts: stop it once Started
    trainable: bool = True  # the loaded model can train on MNIST (its load info says)
    open_error: str | None = None  # why the model the tab opened at (re)start does not open

    @property
    def active(self) -> bool:
        """Whether a run is under way (training, paused or stopping)."""
        return self.state in ACTIVE


class RunControl:
    """The keys that start, pause, stop, save and configure a run, and quit."""

    def __init__(self, run: RunState, engine: EngineService, tab: TrainTab) -> None:
        self.run = run
        self.engine = engine
        self.tab = tab

    def request_load(self, **kwargs: Any) -> None:
        """Open a model (model=, checkpoint=, weights=; empty values left out) for the next
        run's dataset and input shape (a checkpoint brings its own)."""
        if not kwargs.get("checkpoint"):
            kwargs = {**load_args(self.run.next_config), **kwargs}
        self.engine.want("load", "load", **{k: v for k, v in kwargs.items() if v})

    def toggle_training(self) -> None:
        """Start the next run, or stop the one under way (it saves a checkpoint)."""
        if self.run.state in ("training", "paused"):
            self.engine.stop()
            self.tab.set_state("stopping")
            self.tab.training.set_message("Stopping: the run saves a checkpoint…")
        elif self.run.state == "stopping":
            self.tab.notify("The run is stopping; it saves a checkpoint first.")
        elif self.run.state == "starting" and self.stop_while_starting():
            return
        elif problem := self.train_problem():
            self.tab.notify(f"t: {problem}.", timeout=6)
        elif not self.tab.opened.ask():  # a saved run in view: continue, fine-tune or fresh?
            self.start_training()

    def stop_while_starting(self) -> bool:
        """t while a run starts: stop it as soon as it has started (it saves), or call off
        the run that waits for its model to open; False when no run is on its way."""
        run = self.run
        if run.train_sent:  # the engine has the run: stop it once it says Started
            run.stop_on_start = True
            self.tab.set_state("stopping")
            self.tab.training.set_message("Stopping once the run has started (it saves)…")
            return True
        if run.train_after_load:  # still opening the model: the run never starts
            run.train_after_load = False
            self.tab.notify("Training called off; the model still opens.")
            self.tab.training.set_message(f"Opening {run.next_config.model}…")
            return True
        return False

    def run_started(self) -> None:
        """The run has started: a t (or quit) while it started stops it now (it saves)."""
        run = self.run
        run.train_sent = False
        if run.stop_on_start:
            run.stop_on_start = False
            self.engine.stop()

    def open_failed(self, error: str) -> None:
        """The model the tab opened at (re)start does not open: say so; t names why."""
        # What is wrong, without the spec grammar or the examples that follow it.
        self.run.open_error = error.splitlines()[0].split("; ")[0] or "it does not open"
        self.tab.error(error, title="Cannot open the model")
        self.tab.inspector.set_message(failure_note(error))
        self.tab.training.set_message("The model does not open · c: choose another")
        self.tab.update_status(device="none", note="does not open")

    def train_problem(self) -> str | None:
        """Why t cannot train the model in view (one line), or None: a model the engine
        marks as not trainable on MNIST (``trainable: False`` in its load info)."""
        run = self.run
        if run.trainable or run.loaded_model != run.next_config.model:
            return None
        return (
            f"{run.loaded_model} is for inspection only, it cannot train on MNIST; "
            "c: choose another model"
        )

    def start_training(self) -> None:
        """Train the next run: restart a dead engine or open another model first."""
        run, config = self.run, self.run.next_config
        if not self.engine.alive:
            self.tab.notify("Restarting the engine…")
            run.train_after_load = True
            self.tab.start_engine()
            return
        if run.loaded_model != config.model and run.open_error is not None:
            # The model failed to open: opening it again would fail the same way.
            self.tab.error(f"{run.open_error}; press c to choose another model", "Cannot train")
            return
        if run.loaded_model != config.model:
            run.train_after_load = True
            self.request_load(model=config.model)
            self.tab.set_state("starting")
            self.tab.training.set_message(f"Opening {config.model}, then training…")
            return
        run.train_after_load = False
        config = self.fresh_folder(config)
        if self.engine.train(config) is None:
            self.tab.error("The engine is not running; restart cnn-tui.")
            return
        run.train_sent = True
        self.tab.set_state("starting")
        self.tab.training.set_message(
            f"Starting {config.model}: {config.epochs} epoch(s), batch {config.batch_size}, "
            f"lr {config.lr:g}, device {config.device}…"
        )

    def fresh_folder(self, config: TrainConfig) -> TrainConfig:
        """``config`` with a run folder that holds no run: a fresh run never replaces a saved
        one (``--run-dir X`` that holds a run trains into ``X-2``, and says so)."""
        from engine.training.run_paths import free_run_dir, holds_run  # only when a run starts

        if not config.run_dir or not holds_run(config.run_dir):
            return config
        folder = str(free_run_dir(config.run_dir))
        self.tab.notify(f"{config.run_dir} holds a saved run; this run goes into {folder}.")
        return replace(config, run_dir=folder)

    def toggle_pause(self) -> None:
        """Pause or resume the run."""
        if self.run.state == "training":
            self.engine.pause()
        elif self.run.state == "paused":
            self.engine.resume()
        elif self.run.state in ("starting", "stopping"):
            self.tab.notify(f"The run is {self.run.state}; nothing to pause yet.")
        else:
            self.tab.notify("Nothing is training; press t to start.")

    def save(self) -> None:
        """Save a checkpoint now (while training: at the next step)."""
        if self.run.loaded_model is None:
            self.tab.notify("The model is still loading.")
            return
        self.engine.want("save", "save")
        if self.run.active:
            self.tab.notify("Saving at the next training step…")

    def configure(self) -> None:
        """The next run's form; a new model is built at once (a bad spec says so at once)."""

        def apply(config: TrainConfig | None) -> None:
            if config is None:
                return
            run = self.run
            previous, run.next_config = run.next_config, config
            if not same_model(config, previous) and not run.active:
                # Build the new model now: a bad spec says so at once (and is undone), and
                # the layer table shows the new network. got_load announces the run.
                self.request_load(model=config.model)
                run.previous_config = previous
            else:
                self.announce_next_run()

        self.tab.app.push_screen(RunConfigScreen(self.run.next_config), apply)

    def announce_next_run(self) -> None:
        c = self.run.next_config
        # While a run is under way t stops it: the next run waits for it to end.
        then = (
            "It starts after this run ends (t stops this one)."
            if self.run.active or self.run.state == "starting"
            else "Press t to train."
        )
        self.tab.notify(
            f"Next run: {c.model}, recipe {c.recipe}, {c.epochs} epoch(s), batch "
            f"{c.batch_size}, lr {c.lr:g}, device {c.device}. {then}",
            title="Run set up",
        )

    def quit(self) -> None:
        """Quit; while a run is under way (or starting) ask first, then stop it (it saves)
        and quit."""
        if not (self.run.active or self.run.train_sent):
            self.tab.app.exit()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.stop_and_quit()

        self.tab.app.push_screen(QuitScreen(), answer)

    def stop_and_quit(self) -> None:
        """Quit; a run under way stops first and saves its checkpoint (up to QUIT_TIMEOUT_S)."""
        run = self.run
        if not (run.active or run.train_sent):
            self.tab.app.exit()
            return
        run.quitting = True
        if run.train_sent:  # not started yet: the stop goes out once it has (TrainEvents)
            run.stop_on_start = True
            self.tab.set_state("stopping")
        elif run.state != "stopping":
            self.engine.stop()
            self.tab.set_state("stopping")
        self.tab.training.set_message("Stopping and saving, then quitting…")
        self.tab.set_timer(QUIT_TIMEOUT_S, self.tab.app.exit)

    def got_save(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.tab.notify(f"Saved checkpoint to {payload.get('path')}", title="Saved", timeout=6)


SHOWN_TRACEBACK_LINES = 4  # the innermost frame (file line, code line) and the error


def failure_note(error: str) -> str:
    """The inspector's note for a model that does not open: the one-line summary, the hint,
    then the end of the user's own traceback (a model file's error carries it on the lines
    after the summary), so the line of their file that failed shows even at 80x24."""
    summary, *traceback = error.splitlines()
    if len(traceback) > SHOWN_TRACEBACK_LINES:
        hidden = len(traceback) - SHOWN_TRACEBACK_LINES
        traceback = [f"… {hidden} earlier lines", *traceback[-SHOWN_TRACEBACK_LINES:]]
    return "\n".join([summary, "Press c to choose another model.", *traceback])
