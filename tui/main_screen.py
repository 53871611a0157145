"""The workbench screen: header, tabs (Train & inspect, Conv lab, ...), footer, and the keys.

It turns keys into engine requests (through ``app.link``) and engine events and replies into
widget updates. What to ask the engine for, and when, is decided here:

- selection changes (layer, sample) ask for the layer's kernels, its activations for the
  sample, and the sample's prediction; at most one request of each kind is in flight and only
  the newest ask waits behind it (``Link.want``);
- while training, a timer refreshes the inspector twice a second, asking only for what
  is not already on its way, so kernels can be watched as they form.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from engine.config import TrainConfig
from engine.events import (
    EpochEnd,
    Failed,
    Finished,
    Paused,
    Progress,
    Resumed,
    Started,
)
from tui.commands import MAIN_KEYS, Key, all_keys, bindings, inspector_keys
from tui.link import EngineEvent, EngineLost, EngineReply
from tui.screens import HelpScreen, QuitScreen, RunConfigScreen, TooSmall
from tui.widgets.header import StatusHeader

if TYPE_CHECKING:  # the widgets load after the first frame (build_workbench)
    from tui.app import AppOptions
    from tui.compare import KernelSnapshots
    from tui.widgets import Inspector, LayerTable
    from tui.widgets.training_pane import TrainingPane

TEST_SAMPLES = 10_000  # the MNIST test split
MANY_DIGITS = 6  # rows shown by "several digits at once"
LIVE_REFRESH_S = 0.5  # inspector refresh period while training (twice a second at most)
NAVIGATION_QUIET_S = 1.0  # no live refresh this soon after a layer or sample change
QUIT_TIMEOUT_S = 120.0  # give up waiting for a stopping run after this long
ACTIVE = ("training", "paused", "stopping")

# Optional tabs: (tab id, title with its key, module, widget class); each joins when its
# module exists. The keys are bound in tui.commands (show_tab).
EXTRA_TABS = (
    ("conv", "2 Conv lab", "tui.conv_lab", "ConvLab"),
    ("evaluate", "3 Evaluate", "tui.evaluate", "EvaluatePane"),
)
TRAIN_TAB_ACTIONS = {"layer", "sample", "random_sample", "misclassified", "inspect", "snapshot",
                     "snapshot_delta"}


def module_exists(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (tabs load when first shown)."""
    return importlib.util.find_spec(module) is not None


class MainScreen(Screen):
    """Everything the user sees between start and quit."""

    BINDINGS = bindings(MAIN_KEYS)  # the inspector's join when the widgets load

    def __init__(self, options: AppOptions) -> None:
        super().__init__(id="main")
        self.options = options
        self.next_config: TrainConfig = options.config
        self.previous_config: TrainConfig | None = None  # kept until a new model loads
        self.state = "starting"
        self.loaded_model: str | None = None  # the model the engine holds (its load name)
        self.layer_name: str | None = None
        self.layer_row: dict[str, Any] | None = None
        self.sample_index = 0
        self.snapshots: KernelSnapshots  # the kernel history the inspector shows (e, E, x)
        self.quitting = False
        self.built = False  # the workbench widgets are mounted (build_workbench)
        self.navigated = 0.0  # time.monotonic() of the last layer or sample change
        self.engine_starts = 0
        self.image_pending = bool(options.image)
        self.train_after_load = False
        self.random = random.Random(options.seed)
        # The optional tabs whose modules exist; each widget is made when its tab first shows.
        self.tabs = [(tab_id, title, module, name) for tab_id, title, module, name in EXTRA_TABS
                     if module_exists(module)]

    @property
    def link(self):
        return self.app.link

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with TabbedContent(id="tabs", initial="train"):
            with TabPane("1 Train & inspect", id="train"):
                yield Horizontal(id="workbench")  # filled by build_workbench
            for tab_id, title, _, _ in self.tabs:
                yield TabPane(title, id=tab_id)
        yield TooSmall()
        yield Footer()

    def tab_options(self, cls: type) -> dict[str, Any]:
        """The options a tab's widget accepts among data_dir and color_mode."""
        offered = {"data_dir": self.options.data_dir, "color_mode": self.color_mode}
        accepted = inspect.signature(cls).parameters
        return {k: v for k, v in offered.items() if k in accepted}

    @property
    def color_mode(self) -> str:
        from tui.widgets import detect_color_mode

        return self.options.color_mode or detect_color_mode(force_ascii=self.options.ascii)

    @property
    def table(self) -> LayerTable:
        return self.query_one("#layers")  # type: ignore[return-value]

    @property
    def inspector(self) -> Inspector:
        return self.query_one("#inspector")  # type: ignore[return-value]

    @property
    def training(self) -> TrainingPane:
        return self.query_one("#training")  # type: ignore[return-value]

    def on_mount(self) -> None:
        header = self.query_one(StatusHeader)
        header.update_status(model=self.options.checkpoint and Path(self.options.checkpoint).name
                             or self.options.model or self.next_config.model,
                             device=self.next_config.device)
        # First the frame (header, tabs, footer) paints; then the widgets, which bring numpy
        # and plotext, load and the engine starts.
        self.call_after_refresh(self.build_workbench)

    async def build_workbench(self) -> None:
        from tui.compare import KernelSnapshots
        from tui.widgets import Inspector, LayerTable
        from tui.widgets.training_pane import TrainingPane

        self.snapshots = KernelSnapshots()
        table, inspector = LayerTable(id="layers"), Inspector(id="inspector")
        await self.query_one("#workbench").mount_all(
            [Vertical(table, TrainingPane(id="training"), id="left"), inspector])
        for key in inspector_keys():
            self._bindings.bind(key.keys, key.action, key.label, show=key.footer,
                                priority=key.priority)
        inspector.set_color_mode(self.color_mode)
        inspector.set_message("Starting the engine (loading PyTorch)…")
        table.border_title = "Layers"
        inspector.border_title = "Inspector"
        if self.active_tab == "train":
            table.focus()
        self.built = True
        self.refresh_bindings()
        self.set_interval(LIVE_REFRESH_S, self.live_refresh)
        self.app.start_engine()

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.built and action not in ("help", "quit", "show_tab"):
            return False  # the widgets are not in yet (the first frame has just painted)
        if action in TRAIN_TAB_ACTIONS and self.active_tab != "train":
            return False
        if action == "show_tab":
            return self.has_tab(str(parameters[0]))
        return True

    # ----------------------------------------------------------------- helpers

    def set_state(self, state: str) -> None:
        self.state = state
        self.query_one(StatusHeader).update_status(state=state)

    def error(self, message: str, title: str = "Problem") -> None:
        self.notify(message, title=title, severity="error", timeout=8)

    def engine_started(self) -> None:
        """Called by the app once the child is spawning: open the model."""
        self.loaded_model = None
        self.set_state("starting")
        self.engine_starts += 1
        o = self.options
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

    # ------------------------------------------------------------- selection

    def refresh_inspector(self, *, kernels: bool = True, activations: bool = True,
                          sample: bool = True, only_idle: bool = False) -> None:
        """Ask for what the inspector shows; ``only_idle`` skips kinds already in flight."""
        from tui.widgets.views import has_weights

        if self.layer_name is None or self.loaded_model is None:
            return
        link = self.link

        def ask(purpose: str, op: str, **kwargs: Any) -> None:
            if not (only_idle and link.busy(purpose)):
                link.want(purpose, op, **kwargs)

        inspector = self.inspector
        if kernels:
            if has_weights(self.layer_row):
                op, kernel_kwargs = self.snapshots.kernels_request(self.layer_name)
                ask("kernels", op, **kernel_kwargs)
            elif not only_idle:
                inspector.set_kernels(None)
        if activations:
            ask("activations", "activations", layer=self.layer_name, index=self.sample_index)
            if inspector.many:
                ask("many", "activations_many", layer=self.layer_name, indices=self.many_indices())
        if sample:
            ask("sample", "sample", index=self.sample_index)

    def many_indices(self) -> list[int]:
        start = max(self.sample_index, 0)
        return [(start + i) % TEST_SAMPLES for i in range(MANY_DIGITS)]

    def select_sample(self, index: int) -> None:
        self.sample_index = index
        self.navigated = time.monotonic()
        self.refresh_inspector(kernels=False)

    def live_refresh(self) -> None:
        """While training, refresh what the inspector shows; not while the user is moving
        through layers and samples (their own requests come first)."""
        if self.state == "training" and self.active_tab == "train" \
                and time.monotonic() - self.navigated > NAVIGATION_QUIET_S:
            self.refresh_inspector(only_idle=True)

    def on_layer_table_layer_selected(self, message: LayerTable.LayerSelected) -> None:
        if message.name == self.layer_name:
            return
        self.layer_name, self.layer_row = message.name, message.row
        self.navigated = time.monotonic()
        self.inspector.set_layer(message.row)
        self.refresh_inspector(sample=False)

    def on_inspector_many_toggled(self, message: Inspector.ManyToggled) -> None:
        if message.enabled and self.layer_name is not None:
            self.link.want("many", "activations_many", layer=self.layer_name,
                           indices=self.many_indices())

    # ----------------------------------------------------------------- actions

    def action_layer(self, step: int) -> None:
        table = self.table
        table.select_next() if step > 0 else table.select_previous()

    def action_sample(self, step: int) -> None:
        index = 0 if self.sample_index < 0 else (self.sample_index + step) % TEST_SAMPLES
        self.select_sample(index)

    def action_random_sample(self) -> None:
        self.select_sample(self.random.randrange(TEST_SAMPLES))

    def action_misclassified(self) -> None:
        if self.loaded_model is None:
            self.notify("The model is still loading.")
            return
        self.link.want("misclassified", "misclassified", after=self.sample_index)

    def action_inspect(self, name: str) -> None:
        getattr(self.inspector, name)()

    def action_snapshot(self, step: int) -> None:
        """Step through the run's per-epoch kernel snapshots (once listed by the engine)."""
        self.snapshots.pending = step
        self.link.want("snapshots", "snapshots", run_dir=self.snapshots.run_dir)

    def action_snapshot_delta(self) -> None:
        self.snapshots.delta = not self.snapshots.delta
        self.action_snapshot(0 if self.snapshots.epoch is not None else -1)

    def got_snapshots(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.snapshots.epochs = list(payload.get("epochs") or [])
        self.snapshots.run_dir = payload.get("run_dir") or self.snapshots.run_dir
        self.snapshots.step(self.snapshots.pending)
        self.inspector.set_message(
            self.snapshots.note() if self.snapshots.epochs else "This run has no kernel "
            "snapshots yet: they are saved at the end of every epoch.")
        self.refresh_inspector(activations=False, sample=False)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Give the shown tab's main widget the focus, so its own keys work at once."""
        pane = event.pane
        if pane.id == "train":
            if self.built:
                self.table.focus()
            return
        widgets = pane.query(f"#{pane.id}-widget")
        if widgets:
            widget = widgets.first()
        else:  # first visit: import the tab's module and make its widget
            _, _, module, name = next(t for t in self.tabs if t[0] == pane.id)
            cls = getattr(importlib.import_module(module), name)
            widget = cls(id=f"{pane.id}-widget", **self.tab_options(cls))
            pane.mount(widget)
        if widget.can_focus:
            widget.call_after_refresh(widget.focus)

    def offers(self, key: Key) -> bool:
        """Whether ``key``'s action exists here (a tab key only when its tab joined)."""
        if key.action.startswith("show_tab("):
            return self.has_tab(key.action.split("'")[1])
        return True

    def has_tab(self, tab: str) -> bool:
        return tab == "train" or any(t[0] == tab for t in self.tabs)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen([k for k in all_keys() if self.offers(k)]))

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(TooSmall).show_size(event.size.width, event.size.height)

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
            f"lr {config.lr:g}, device {config.device}…")

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
        self.notify(f"Next run: {c.model}, recipe {c.recipe}, {c.epochs} epoch(s), batch "
                    f"{c.batch_size}, lr {c.lr:g}, device {c.device}. Press t to train.",
                    title="Run set up")

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

    # ----------------------------------------------------------- engine replies

    @on(EngineReply)
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
                self.error(f"{error}. The next run keeps {previous.model}.",
                           title="Cannot build that model")
            else:
                self.error(error, title="Cannot open the model")
                self.inspector.set_message(
                    f"{error}\nPress c to choose another model.")
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

    def got_kernels(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.layer_name:
            self.inspector.set_kernels(payload)

    def got_activations(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.layer_name and payload.get("index") == self.sample_index:
            self.inspector.set_activations(payload)

    def got_many(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.layer_name:
            self.inspector.set_many(payload)

    def got_sample(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("index") == self.sample_index:
            self.inspector.set_sample(payload)

    def got_image(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.sample_index = payload.get("index", -1)
        self.inspector.set_sample(payload)
        self.refresh_inspector(kernels=False, sample=False)

    def got_misclassified(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        index = payload.get("index")
        if index is None:
            self.notify("The model gets every test digit right.")
            return
        self.notify(f"Test digit {index} is misclassified ({payload.get('count', '?')} of "
                    f"{TEST_SAMPLES:,} are).", timeout=3)
        self.select_sample(int(index))

    def got_save(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.notify(f"Saved checkpoint to {payload.get('path')}", title="Saved", timeout=6)

    def got_train(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        pass  # accepted; Started follows

    # ----------------------------------------------------------- engine events

    @on(EngineEvent)
    def engine_event(self, message: EngineEvent) -> None:
        event = message.event
        pane = self.training
        header = self.query_one(StatusHeader)
        if isinstance(event, Progress):
            pane.progress(event)
            header.update_status(epoch=event.epoch, step=event.step,
                                 steps=event.steps_per_epoch,
                                 samples_per_sec=event.samples_per_sec)
        elif isinstance(event, Started):
            pane.start(event)
            self.snapshots.reset(event.run_dir)
            header.update_status(model=event.model, device=event.device, epochs=event.epochs,
                                 epoch=event.start_epoch + 1, step=0,
                                 steps=event.steps_per_epoch, test_acc=None,
                                 samples_per_sec=None)
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

    @on(EngineLost)
    def engine_lost(self, message: EngineLost) -> None:
        self.set_state("failed")
        self.error(f"{message.error}. Press t to restart it.", title="Engine stopped")
        if self.quitting:
            self.app.exit()
