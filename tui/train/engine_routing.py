"""The Train tab's engine side: opening the model, failed requests, and training events.

``TrainEvents`` turns the engine's training events (Started, Progress, EpochEnd, Paused,
Resumed, Finished, Failed) into header fields, the training pane's curves and inspector
refreshes, and opens the model when the engine (re)starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started
from tui.source_args import saved_run_config
from tui.train.run_words import (
    NO_RUN,
    RunWords,
    how_it_ended,
    model_status,
    started_device,
    step_at,
)
from tui.train.training_actions import LastRun
from tui.widgets.fit_text import shorten_path

if TYPE_CHECKING:
    from engine.training.events import Event
    from tui.app import AppOptions
    from tui.engine_service import EngineService
    from tui.train.inspector_requests import InspectorFeed
    from tui.train.kernel_history import KernelSnapshots
    from tui.train.tab import TrainTab
    from tui.train.training_actions import RunControl, RunState


class TrainEvents:
    """Engine start, the ``load`` answer, failed requests and training events of the tab."""

    def __init__(
        self,
        options: AppOptions,
        run: RunState,
        control: RunControl,
        feed: InspectorFeed,
        snapshots: KernelSnapshots,
        engine: EngineService,
        tab: TrainTab,
    ) -> None:
        self.options = options
        self.run, self.control, self.feed = run, control, feed
        self.snapshots = snapshots
        self.engine = engine
        self.tab = tab
        self.words = RunWords(run, tab)  # the pane's words between runs
        self.image_pending = bool(options.image)  # --image: shown once the model loads
        self.steps_per_epoch: int | None = None
        self.data_warnings: set[str] = set()  # said once each (skipped unreadable images)

    def engine_started(self) -> None:
        """The child is spawning: open the model (on a restart, the one the next run trains)."""
        run, o = self.run, self.options
        run.loaded_model = None
        self.tab.set_state("starting")
        run.engine_starts += 1
        if run.engine_starts == 1:
            self.feed.load_local_digits(o.data_dir or o.config.data_dir)
        if run.engine_starts > 1:
            self.control.request_load(model=run.next_config.model, weights=o.weights)
        elif o.checkpoint:
            self.control.request_load(checkpoint=o.checkpoint)
        else:
            self.control.request_load(model=o.model or run.next_config.model, weights=o.weights)

    def engine_failed_to_start(self, error: str) -> None:
        self.tab.set_state("failed")
        self.tab.inspector.set_message(error)
        self.tab.error(error, title="Engine")

    def reply_failed(self, purpose: str, error: str) -> None:
        """A request of the tab failed: say so (a model that does not build is undone)."""
        run = self.run
        if purpose == "load":
            run.train_after_load = False
            previous = run.previous_config
            if previous is not None:  # a model typed into the form that does not build
                run.next_config, run.previous_config = previous, None
                self.tab.error(
                    f"{error}. The next run keeps {previous.model}.",
                    title="Cannot build that model",
                )
            else:
                self.control.open_failed(error)
            self.tab.set_state("idle" if run.state == "starting" else run.state)
            return
        if purpose == "train":
            run.train_sent = run.stop_on_start = False
            self.tab.set_state("idle")
            self.tab.training.set_message(error)
        self.tab.error(error)

    def got_load(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        """The model is open: show its layers, then what the inspector shows of it."""
        run, tab = self.run, self.tab
        info, summary = payload.get("info", {}), payload.get("summary", {})
        run.loaded_model = kwargs.get("model") or info.get("name")
        run.open_error = None
        run.trainable = bool(info.get("trainable", True))  # False: inspection only
        if run.previous_config is not None:  # the model chosen in the form builds
            run.previous_config = None
            self.control.announce_next_run()
        if kwargs.get("checkpoint") and info.get("name"):
            run.next_config = saved_run_config(run.next_config, info)  # a user model: its file
            run.loaded_model = run.next_config.model
        # Everything on screen belongs to the model in view: no run of it yet, the last
        # run (if any) labelled as the previous one.
        tab.update_status(model=run.loaded_model or "?", **model_status(payload))
        if not run.train_after_load:
            tab.set_state("idle")
        tab.training.clear(self.words.idle_message())
        inspector = tab.inspector
        inspector.set_message("")
        inspector.set_model(info, summary, classes=payload.get("classes"))  # ImageNet's names
        say_data_warning(tab, payload, self.data_warnings)
        checkpoint = kwargs.get("checkpoint")
        self.snapshots.reset(str(Path(checkpoint).parent) if checkpoint else None)
        tab.opened.loaded(checkpoint)  # a saved run: its curves, accuracy and kernel history
        chosen = self.feed.selection
        chosen.layer_name = None
        table = tab.table
        table.load_summary(summary)
        if table.selected_name and table.selected_name != chosen.layer_name:
            chosen.layer_name, chosen.layer_row = table.selected_name, table.selected_row
            inspector.set_layer(table.selected_row)
        if self.image_pending:  # --image: the picture replaces the digits once loaded
            self.image_pending = False
            self.engine.want("image", "image", path=self.options.image)
        self.feed.refresh()
        if run.train_after_load:
            self.control.start_training()

    # ----------------------------------------------------------- engine events

    def event(self, event: Event) -> None:
        """One training event: the header, the training pane and the inspector follow."""
        pane = self.tab.training
        if isinstance(event, Progress):
            pane.progress(event)
            self.steps_per_epoch = event.steps_per_epoch
            if self.run.state != "training":  # a late Progress after pause or stop
                self.tab.update_status(epoch=event.epoch, step=event.step)
                return
            self.tab.update_status(
                epoch=event.epoch,
                step=event.step,
                steps=event.steps_per_epoch,
                samples_per_sec=event.samples_per_sec,
            )
            self.tab.history.training_progress()  # a snapshot in view: count new ones
        elif isinstance(event, Started):
            self.started(event)
        elif isinstance(event, EpochEnd):
            pane.epoch_end(event)
            self.tab.update_status(test_acc=event.test_acc, step=self.steps_per_epoch)
        elif isinstance(event, Paused):
            self.set_running_state("paused")
            self.tab.update_status(
                samples_per_sec=None, **step_at(event.global_step, self.steps_per_epoch)
            )
            self.feed.refresh(only_idle=True)
        elif isinstance(event, Resumed):
            self.set_running_state("training")
        elif isinstance(event, (Finished, Failed)):
            self.ended(event)

    def ended(self, event: Finished | Failed) -> None:
        """The run stopped, finished, failed or diverged: the header says which, and where."""
        state, text = how_it_ended(event)
        last = self.run.last_run
        if isinstance(event, Finished):
            if event.epoch:  # Progress is throttled: the last one may predate the last steps
                self.tab.update_status(epoch=event.epoch, step=event.step)
            if event.test_acc is not None:
                self.tab.update_status(test_acc=event.test_acc)
            if last is not None:
                last.where = event.where() if event.stopped else ""
                last.test_acc = event.test_acc
        elif event.epoch:  # a diverged run: where the loss ran away, not the last Progress
            self.tab.update_status(epoch=event.epoch, step=event.step)
        self.run_ended(state, event.checkpoint, text)
        if isinstance(event, Failed):  # (a diverged run's last good checkpoint is kept)
            self.tab.error(event.message, title=text.partition(":")[0])

    def started(self, event: Started) -> None:
        self.control.run_started()
        self.tab.training.start(event)
        self.tab.training.query_one("#train-message").tooltip = None
        if self.snapshots.epoch is not None:  # a snapshot in view: back to the live weights
            self.tab.inspector.set_message("")
        self.snapshots.reset(event.run_dir)
        self.run.last_run = LastRun(event.run_dir)
        self.steps_per_epoch = event.steps_per_epoch
        run_fields = {"model": event.model, "epochs": event.epochs, "note": None}
        run_fields |= {"epoch": event.start_epoch + 1, "step": 0, "steps": event.steps_per_epoch}
        self.tab.update_status(**{**NO_RUN, **started_device(event), **run_fields})
        self.set_running_state("training")
        self.feed.refresh()

    def set_running_state(self, state: str) -> None:
        """training or paused, unless the run is already stopping."""
        if self.run.state != "stopping":
            self.tab.set_state(state)

    def run_ended(self, state: str, checkpoint: str | None, text: str) -> None:
        if not self.engine.alive:
            text += " · t restarts the engine"
        if checkpoint:
            # The pane's line keeps the path's end (run folder and file); the notification
            # beside it gives the whole path.
            room = max(20, self.tab.training.size.width - 4) - len("saved ")
            text += f"\nsaved {shorten_path(checkpoint, room)}"
            self.tab.notify(f"Checkpoint saved to {checkpoint}", title="Saved", timeout=6)
        if self.run.last_run is not None:
            self.run.last_run.ended = state
        self.tab.set_state(state)
        self.tab.update_status(samples_per_sec=None)
        self.tab.training.finish(text)
        if self.run.quitting:
            self.tab.app.exit()
            return
        self.feed.refresh()

    def engine_lost(self, error: str) -> None:
        self.run.train_sent = self.run.stop_on_start = False
        self.tab.set_state("failed")
        self.tab.error(f"{error}. Press t to restart it.", title="Engine stopped")
        if self.run.quitting:
            self.tab.app.exit()


def say_data_warning(tab: TrainTab, payload: dict[str, Any], said: set[str]) -> None:
    """Notify the ``load`` reply's ``data_warning`` (skipped unreadable images: otherwise only
    in engine.log) once per distinct line; ``said`` holds the lines already shown."""
    warning = str(payload.get("data_warning") or "")
    if warning and warning not in said:
        said.add(warning)
        tab.notify(warning, title="Dataset", severity="warning", timeout=15)
