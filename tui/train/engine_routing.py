"""The main screen's engine side: opening the model, and routing replies and events to panes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started
from tui.widgets.header import StatusHeader

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.training.config import TrainConfig
    from tui.app import AppOptions, CnnTuiApp
    from tui.compare.runs import KernelSnapshots
    from tui.link import EngineEvent, EngineLost, EngineReply, Link
    from tui.train.inspector import Inspector
    from tui.train.layer_table import LayerTable
    from tui.train.training_pane import TrainingPane


def device_label(event: Started) -> str:
    """The header's device: "cpu", or "cpu bfloat16" where the step runs in lower precision."""
    if event.precision == "float32":
        return event.device
    return f"{event.device} {event.precision.split()[0]}"


class EngineRouting:
    """Mixin for MainScreen: engine start, replies (to ``got_<purpose>`` or their owner) and
    training events (to the header, the training pane and the inspector).

    Its ``engine_reply``, ``engine_event`` and ``engine_lost`` are bound to their messages
    with ``@on`` in MainScreen: Textual registers ``@on`` handlers only on its own classes.
    """

    # Provided by MainScreen and the other mixins.
    app: CnnTuiApp
    options: AppOptions
    state: str
    quitting: bool
    engine_starts: int
    loaded_model: str | None
    image_pending: bool
    train_after_load: bool
    next_config: TrainConfig
    previous_config: TrainConfig | None
    layer_name: str | None
    layer_row: dict[str, Any] | None
    snapshots: KernelSnapshots
    link: Link
    table: LayerTable
    inspector: Inspector
    training: TrainingPane
    query: Callable[..., Any]
    query_one: Callable[..., Any]
    notify: Callable[..., None]
    set_state: Callable[[str], None]
    error: Callable[..., None]
    refresh_inspector: Callable[..., None]
    announce_next_run: Callable[[], None]
    start_training: Callable[[], None]
    action_show_tab: Callable[[str], None]
    select_sample: Callable[[int], None]
    load_local_digits: Callable[[], None]

    def engine_started(self) -> None:
        """Called by the app once the child is spawning: open the model."""
        self.loaded_model = None
        self.set_state("starting")
        self.engine_starts += 1
        o = self.options
        if self.engine_starts == 1:
            self.load_local_digits()
        if self.engine_starts > 1:  # a restart: open what the next run trains
            self.request_load(model=self.next_config.model, weights=o.weights)
        elif o.checkpoint:
            self.request_load(checkpoint=o.checkpoint)
        else:
            self.request_load(model=o.model or self.next_config.model, weights=o.weights)

    def engine_failed_to_start(self, error: str) -> None:
        self.set_state("failed")
        self.inspector.set_message(error)
        self.error(error, title="Engine")

    def request_load(self, **kwargs: Any) -> None:
        self.link.want("load", "load", **{k: v for k, v in kwargs.items() if v})

    # ----------------------------------------------------------- engine replies

    def engine_reply(self, message: EngineReply) -> None:
        reply = message.reply
        purpose, kwargs = self.link.resolve(reply)
        owner = self.reply_owner(purpose)
        if owner is not None:  # a tab's or screen's own request ("evaluate.gallery", ...)
            owner.engine_reply(purpose, reply, kwargs)
            return
        if not reply.ok:
            self.reply_failed(purpose, reply.error or f"{reply.op} failed")
            return
        payload = reply.payload or {}
        handler = getattr(self, f"got_{purpose}", None)
        if handler is not None:
            handler(payload, kwargs)

    def reply_owner(self, purpose: str | None) -> Any:
        """Who asked for purpose "OWNER.kind": a screen whose reply_prefix is OWNER, or the
        tab widget #OWNER-widget; None for the main screen's own purposes."""
        owner, dot, _ = (purpose or "").partition(".")
        if not dot:
            return None
        for screen in reversed(self.app.screen_stack):
            if getattr(screen, "reply_prefix", None) == owner:
                return screen
        return next(iter(self.query(f"#{owner}-widget")), None)

    def on_evaluate_pane_show_in_inspector(self, message: Any) -> None:
        """The Evaluate tab picked a digit: show it in the layer inspector."""
        self.action_show_tab("train")
        self.select_sample(int(message.index))

    def reply_failed(self, purpose: str | None, error: str) -> None:
        if purpose == "load":
            self.train_after_load = False
            previous = self.previous_config
            if previous is not None:  # a model typed into the form that does not build
                self.next_config, self.previous_config = previous, None
                self.error(
                    f"{error}. The next run keeps {previous.model}.",
                    title="Cannot build that model",
                )
            else:
                self.error(error, title="Cannot open the model")
                self.inspector.set_message(f"{error}\nPress c to choose another model.")
            self.set_state("idle" if self.state == "starting" else self.state)
            return
        if purpose == "train":
            self.set_state("idle")
            self.training.set_message(error)
        self.error(error)

    def got_load(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        info, summary = payload.get("info", {}), payload.get("summary", {})
        self.loaded_model = kwargs.get("model") or info.get("name")
        if self.previous_config is not None:  # the model chosen in the form builds
            self.previous_config = None
            self.announce_next_run()
        if kwargs.get("checkpoint") and info.get("name"):
            self.next_config = replace(self.next_config, model=info["name"])
            self.loaded_model = info["name"]
        self.query_one(StatusHeader).update_status(model=self.loaded_model or "?")
        inspector = self.inspector
        inspector.set_message("")
        inspector.set_model(info, summary)
        checkpoint = kwargs.get("checkpoint")
        self.snapshots.reset(str(Path(checkpoint).parent) if checkpoint else None)
        self.layer_name = None
        table = self.table
        table.load_summary(summary)
        if table.selected_name and table.selected_name != self.layer_name:
            self.layer_name, self.layer_row = table.selected_name, table.selected_row
            inspector.set_layer(table.selected_row)
        if self.image_pending:  # --image: the picture replaces the digits once loaded
            self.image_pending = False
            self.link.want("image", "image", path=self.options.image)
        self.refresh_inspector()
        if self.state == "starting" and not self.train_after_load:
            self.set_state("idle")
        if self.train_after_load:
            self.start_training()

    # ----------------------------------------------------------- engine events

    def engine_event(self, message: EngineEvent) -> None:
        event = message.event
        pane = self.training
        header = self.query_one(StatusHeader)
        if isinstance(event, Progress):
            pane.progress(event)
            header.update_status(
                epoch=event.epoch,
                step=event.step,
                steps=event.steps_per_epoch,
                samples_per_sec=event.samples_per_sec,
            )
        elif isinstance(event, Started):
            pane.start(event)
            self.snapshots.reset(event.run_dir)
            header.update_status(
                model=event.model,
                device=device_label(event),
                epochs=event.epochs,
                epoch=event.start_epoch + 1,
                step=0,
                steps=event.steps_per_epoch,
                test_acc=None,
                samples_per_sec=None,
            )
            if self.state != "stopping":
                self.set_state("training")
            self.refresh_inspector()
        elif isinstance(event, EpochEnd):
            pane.epoch_end(event)
            header.update_status(test_acc=event.test_acc, step=header.status.steps)
        elif isinstance(event, Paused):
            if self.state != "stopping":
                self.set_state("paused")
            self.refresh_inspector(only_idle=True)
        elif isinstance(event, Resumed):
            if self.state != "stopping":
                self.set_state("training")
        elif isinstance(event, Finished):
            accuracy = "" if event.test_acc is None else f" · test acc {100 * event.test_acc:.2f}%"
            self.run_ended("finished", event.checkpoint, f"Run {event.reason}{accuracy}")
            if event.test_acc is not None:
                header.update_status(test_acc=event.test_acc)
        elif isinstance(event, Failed):
            self.run_ended("failed", event.checkpoint, f"Training failed: {event.message}")
            self.error(event.message, title="Training failed")

    def run_ended(self, state: str, checkpoint: str | None, text: str) -> None:
        if not self.link.alive:
            text += " · t restarts the engine"
        if checkpoint:
            text += f"\nsaved {checkpoint}"
            self.notify(f"Checkpoint saved to {checkpoint}", title="Saved", timeout=6)
        self.set_state(state)
        self.training.finish(text)
        if self.quitting:
            self.app.exit()
            return
        self.refresh_inspector()

    def engine_lost(self, message: EngineLost) -> None:
        self.set_state("failed")
        self.error(f"{message.error}. Press t to restart it.", title="Engine stopped")
        if self.quitting:
            self.app.exit()
