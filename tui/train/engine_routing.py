"""The Train tab's engine side: opening the model, failed requests, and training events.

``TrainEvents`` turns the engine's training events (Started, Progress, EpochEnd, Paused,
Resumed, Finished, Failed) into header fields, the training pane's curves and inspector
refreshes, and opens the model when the engine (re)starts.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started

if TYPE_CHECKING:
    from engine.training.events import Event
    from tui.app import AppOptions
    from tui.engine_service import EngineService
    from tui.train.inspector_requests import InspectorFeed
    from tui.train.kernel_history import KernelSnapshots
    from tui.train.tab import TrainTab
    from tui.train.training_actions import RunControl, RunState


def device_label(event: Started) -> str:
    """The header's device: "cpu", or "cpu bfloat16" where the step runs in lower precision."""
    if event.precision == "float32":
        return event.device
    return f"{event.device} {event.precision.split()[0]}"


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
        self.image_pending = bool(options.image)  # --image: shown once the model loads
        self.steps_per_epoch: int | None = None

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
                self.tab.error(error, title="Cannot open the model")
                self.tab.inspector.set_message(f"{error}\nPress c to choose another model.")
            self.tab.set_state("idle" if run.state == "starting" else run.state)
            return
        if purpose == "train":
            self.tab.set_state("idle")
            self.tab.training.set_message(error)
        self.tab.error(error)

    def got_load(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        """The model is open: show its layers, then what the inspector shows of it."""
        run, tab = self.run, self.tab
        info, summary = payload.get("info", {}), payload.get("summary", {})
        run.loaded_model = kwargs.get("model") or info.get("name")
        if run.previous_config is not None:  # the model chosen in the form builds
            run.previous_config = None
            self.control.announce_next_run()
        if kwargs.get("checkpoint") and info.get("name"):
            run.next_config = replace(run.next_config, model=info["name"])
            run.loaded_model = info["name"]
        tab.update_status(model=run.loaded_model or "?")
        inspector = tab.inspector
        inspector.set_message("")
        inspector.set_model(info, summary)
        checkpoint = kwargs.get("checkpoint")
        self.snapshots.reset(str(Path(checkpoint).parent) if checkpoint else None)
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
        if run.state == "starting" and not run.train_after_load:
            tab.set_state("idle")
        if run.train_after_load:
            self.control.start_training()

    # ----------------------------------------------------------- engine events

    def event(self, event: Event) -> None:
        """One training event: the header, the training pane and the inspector follow."""
        pane = self.tab.training
        if isinstance(event, Progress):
            pane.progress(event)
            self.steps_per_epoch = event.steps_per_epoch
            self.tab.update_status(
                epoch=event.epoch,
                step=event.step,
                steps=event.steps_per_epoch,
                samples_per_sec=event.samples_per_sec,
            )
        elif isinstance(event, Started):
            self.started(event)
        elif isinstance(event, EpochEnd):
            pane.epoch_end(event)
            self.tab.update_status(test_acc=event.test_acc, step=self.steps_per_epoch)
        elif isinstance(event, Paused):
            self.set_running_state("paused")
            self.feed.refresh(only_idle=True)
        elif isinstance(event, Resumed):
            self.set_running_state("training")
        elif isinstance(event, Finished):
            accuracy = "" if event.test_acc is None else f" · test acc {100 * event.test_acc:.2f}%"
            self.run_ended("finished", event.checkpoint, f"Run {event.reason}{accuracy}")
            if event.test_acc is not None:
                self.tab.update_status(test_acc=event.test_acc)
        elif isinstance(event, Failed):
            # A run whose loss ran away says so (its last good checkpoint is kept).
            title = "Training diverged" if event.reason == "diverged" else "Training failed"
            detail = event.message.removeprefix("training diverged: ")
            self.run_ended("failed", event.checkpoint, f"{title}: {detail}")
            self.tab.error(event.message, title=title)

    def started(self, event: Started) -> None:
        self.tab.training.start(event)
        self.snapshots.reset(event.run_dir)
        self.steps_per_epoch = event.steps_per_epoch
        self.tab.update_status(
            model=event.model,
            device=device_label(event),
            epochs=event.epochs,
            epoch=event.start_epoch + 1,
            step=0,
            steps=event.steps_per_epoch,
            test_acc=None,
            samples_per_sec=None,
        )
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
            text += f"\nsaved {checkpoint}"
            self.tab.notify(f"Checkpoint saved to {checkpoint}", title="Saved", timeout=6)
        self.tab.set_state(state)
        self.tab.training.finish(text)
        if self.run.quitting:
            self.tab.app.exit()
            return
        self.feed.refresh()

    def engine_lost(self, error: str) -> None:
        self.tab.set_state("failed")
        self.tab.error(f"{error}. Press t to restart it.", title="Engine stopped")
        if self.run.quitting:
            self.tab.app.exit()
