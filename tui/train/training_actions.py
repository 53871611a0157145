"""The main screen's run keys: train/stop, pause, save, the run form, and quit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.screens import QuitScreen, RunConfigScreen

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.training.config import TrainConfig
    from tui.app import CnnTuiApp
    from tui.link import Link
    from tui.train.training_pane import TrainingPane

QUIT_TIMEOUT_S = 120.0  # give up waiting for a stopping run after this long
ACTIVE = ("training", "paused", "stopping")


class TrainingActions:
    """Mixin for MainScreen: the keys that start, pause, stop, save and configure a run."""

    # Provided by MainScreen (and EngineRouting).
    app: CnnTuiApp
    state: str
    quitting: bool
    loaded_model: str | None
    next_config: TrainConfig
    previous_config: TrainConfig | None
    train_after_load: bool
    link: Link
    training: TrainingPane
    notify: Callable[..., None]
    set_timer: Callable[..., Any]
    set_state: Callable[[str], None]
    error: Callable[..., None]
    request_load: Callable[..., None]

    def action_toggle_training(self) -> None:
        if self.state in ("training", "paused"):
            self.link.stop()
            self.set_state("stopping")
            self.training.set_message("Stopping: the run saves a checkpoint…")
        elif self.state == "stopping":
            self.notify("The run is stopping; it saves a checkpoint first.")
        else:
            self.start_training()

    def start_training(self) -> None:
        config = self.next_config
        if not self.link.alive:
            self.notify("Restarting the engine…")
            self.train_after_load = True
            self.app.start_engine()
            return
        if self.loaded_model != config.model:
            self.train_after_load = True
            self.request_load(model=config.model)
            self.set_state("starting")
            return
        self.train_after_load = False
        if self.link.train(config) is None:
            self.error("The engine is not running; restart cnn-tui.")
            return
        self.set_state("starting")
        self.training.set_message(
            f"Starting {config.model}: {config.epochs} epoch(s), batch {config.batch_size}, "
            f"lr {config.lr:g}, device {config.device}…"
        )

    def action_toggle_pause(self) -> None:
        if self.state == "training":
            self.link.pause()
        elif self.state == "paused":
            self.link.resume()
        else:
            self.notify("Nothing is training; press t to start.")

    def action_save(self) -> None:
        if self.loaded_model is None:
            self.notify("The model is still loading.")
            return
        self.link.want("save", "save")
        if self.state in ACTIVE:
            self.notify("Saving at the next training step…")

    def action_configure(self) -> None:
        def apply(config: TrainConfig | None) -> None:
            if config is None:
                return
            previous, self.next_config = self.next_config, config
            if config.model != previous.model and self.state not in ACTIVE:
                # Build the new model now: a bad spec says so at once (and is undone), and
                # the layer table shows the new network. got_load announces the run.
                self.request_load(model=config.model)
                self.previous_config = previous
            else:
                self.announce_next_run()

        self.app.push_screen(RunConfigScreen(self.next_config), apply)

    def announce_next_run(self) -> None:
        c = self.next_config
        self.notify(
            f"Next run: {c.model}, recipe {c.recipe}, {c.epochs} epoch(s), batch "
            f"{c.batch_size}, lr {c.lr:g}, device {c.device}. Press t to train.",
            title="Run set up",
        )

    async def action_quit(self) -> None:
        if self.state not in ACTIVE:
            self.app.exit()
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            self.quitting = True
            if self.state != "stopping":
                self.link.stop()
                self.set_state("stopping")
            self.training.set_message("Stopping and saving, then quitting…")
            self.set_timer(QUIT_TIMEOUT_S, self.app.exit)

        self.app.push_screen(QuitScreen(), answer)

    def got_save(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.notify(f"Saved checkpoint to {payload.get('path')}", title="Saved", timeout=6)

    def got_train(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        pass  # accepted; Started follows
