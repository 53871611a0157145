"""The Train & inspect tab: its state, its keys, and the collaborators that do the work.

``TrainTab`` composes plain collaborators, each given what it needs:

- ``RunControl`` (tui.train.training_actions): train/stop, pause, save, the run form, quit;
- ``InspectorFeed`` (tui.train.inspector_requests): selection changes (layer, sample) become
  requests for kernels, maps and predictions; a timer refreshes them while training;
- ``InspectorReplies`` (tui.train.inspector_replies): the answers, shown while still wanted;
- ``KernelHistory`` (tui.train.kernel_history): the run's per-epoch kernel snapshots;
- ``TrainEvents`` (tui.train.engine_routing): opening the model and the training events.

The engine's answers and events arrive as messages the main screen addresses to this tab
(``EngineAnswer``, ``EngineEvent``, ``EngineLost``). The widgets (``Workbench``) load after
the first frame; the engine starts once they are in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.message import Message
from textual.widget import Widget
from textual.widgets import TabPane

from tui.commands import bindings
from tui.engine_service import EngineAnswer, EngineService
from tui.link import EngineEvent, EngineLost
from tui.train.drawing_control import DrawingControl
from tui.train.engine_routing import TrainEvents
from tui.train.input_keys import InputKeys
from tui.train.inspector_replies import InspectorReplies
from tui.train.inspector_requests import LIVE_REFRESH_S, InspectorFeed, Selection
from tui.train.kernel_history import KernelHistory, KernelSnapshots
from tui.train.keys import TRAIN_KEYS
from tui.train.local_digits import LocalDigits, LocalDigitsLoaded
from tui.train.png_export import PngExport
from tui.train.run_choice import OpenedRun
from tui.train.training_actions import RunControl, RunState

if TYPE_CHECKING:  # the widgets load after the first frame (build)
    from engine.training.config import TrainConfig
    from tui.app import AppOptions
    from tui.train.explain_view import CellExplainRequested
    from tui.train.inspector import Inspector, ManyToggled
    from tui.train.layer_table import LayerTable
    from tui.train.training_pane import TrainingPane


class StatusChanged(Message):
    """Header fields changed (tui.widgets.header.Status field names); the screen shows them."""

    def __init__(self, **fields: Any) -> None:
        super().__init__()
        self.fields = fields


class TrainTab(Widget):
    """Train a network and watch its kernels and feature maps form; see the module docstring."""

    DEFAULT_CSS = "TrainTab { height: 1fr; width: 1fr; }"
    KEYS = TRAIN_KEYS  # the help screen and the palette read them (the inspector's: Workbench)
    BINDINGS = bindings(TRAIN_KEYS)

    def __init__(
        self, options: AppOptions, engine: EngineService, *, color_mode: str, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.options = options
        self.engine = engine
        self.color_mode = color_mode
        self.built = False  # the workbench widgets are mounted (build)
        self.run = RunState(next_config=options.config)
        self.selection = Selection()
        self.snapshots = KernelSnapshots()  # the kernel history the inspector shows (e, E, x)
        self.control = RunControl(self.run, engine, self)
        self.input_keys = InputKeys(self)  # which keys make sense for the input in view
        self.feed = InspectorFeed(
            self.selection, self.run, self.snapshots, engine, self, seed=options.seed
        )
        self.history = KernelHistory(
            self.snapshots,
            engine,
            show_note=lambda text: self.inspector.set_message(text),
            refresh_kernels=lambda: self.feed.refresh(activations=False, sample=False),
        )
        self.events = TrainEvents(
            options, self.run, self.control, self.feed, self.snapshots, engine, self
        )
        self.opened = OpenedRun(self.control, engine, self)  # a checkpoint's saved run
        self.drawing = DrawingControl(self)  # p: draw a digit; o: open a picture file
        self.png_export = PngExport(self)  # X: the inspector's kernels and maps as PNGs
        self.exported: list[str] = []  # the paths of the last X
        self.replies = {
            **InspectorReplies(self.selection, self.feed, self).handlers(),
            "load": self.events.got_load,
            "save": self.control.got_save,
            "train": lambda payload, kwargs: None,  # accepted; Started follows
            "snapshots": self.history.got_snapshots,
            **self.drawing.handlers(),
            **self.png_export.handlers(),
        }

    # ------------------------------------------------------------- what it shows

    @property
    def state(self) -> str:
        """starting, idle, training, paused, stopping, or how the run ended: stopped,
        finished, failed or diverged."""
        return self.run.state

    @property
    def next_config(self) -> TrainConfig:
        return self.run.next_config

    @property
    def loaded_model(self) -> str | None:
        return self.run.loaded_model

    @property
    def layer_name(self) -> str | None:
        return self.selection.layer_name

    @property
    def sample_index(self) -> int:
        return self.selection.sample_index

    @property
    def local_digits(self) -> LocalDigits:
        return self.feed.local_digits

    @property
    def table(self) -> LayerTable:
        return self.query_one("#layers")  # type: ignore[return-value]

    @property
    def inspector(self) -> Inspector:
        return self.query_one("#inspector")  # type: ignore[return-value]

    @property
    def training(self) -> TrainingPane:
        return self.query_one("#training")  # type: ignore[return-value]

    @property
    def in_view(self) -> bool:
        """Whether this tab is the one shown (the tab switcher hides the others' panes)."""
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        return pane is None or pane.display

    # -------------------------------------------------------------------- set-up

    def on_mount(self) -> None:
        # First the frame (header, tabs, footer) paints; then the widgets, which bring numpy
        # and plotext, load and the engine starts.
        self.call_after_refresh(self.build)

    async def build(self) -> None:
        from tui.train.workbench import Workbench

        if not self.is_attached:  # the app closed right after its first frame
            return
        await self.mount(Workbench(id="workbench"))
        inspector = self.inspector
        inspector.set_color_mode(self.color_mode)
        inspector.set_message("Starting the engine (loading PyTorch)…")
        self.built = True
        if self.in_view:
            self.table.focus()
        self.refresh_bindings()
        self.set_interval(LIVE_REFRESH_S, self.feed.live_refresh)
        self.start_engine()

    def start_engine(self) -> None:
        """Spawn the engine child (again, after it died) and open the model."""
        error = self.engine.start()
        if error is not None:
            self.events.engine_failed_to_start(error)
            return
        self.events.engine_started()

    def focus_main(self) -> None:
        """Give the layer table the focus (the tab was just shown), once it is in; the
        canvas instead while the drawing (p) is open."""
        if self.drawing.is_open and self.drawing.panel is not None:
            self.drawing.panel.canvas.focus()
        elif self.built:
            self.table.focus()

    def set_state(self, state: str) -> None:
        self.run.state = state
        self.update_status(state=state)

    def update_status(self, **fields: Any) -> None:
        self.post_message(StatusChanged(**fields))

    def error(self, message: str, title: str = "Problem") -> None:
        self.notify(message, title=title, severity="error", timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.built:  # the widgets are not in yet (the first frame has just painted)
            return False
        return None if self.input_keys.problem(action) else True  # None: shown, dimmed

    def on_key(self, event: events.Key) -> None:
        if self.built:
            self.input_keys.explain(event)  # a key check_action disabled: say why

    # ------------------------------------------------------------------- engine

    @on(EngineAnswer)
    def engine_answer(self, message: EngineAnswer) -> None:
        reply = message.reply
        if not reply.ok:
            self.events.reply_failed(message.purpose, reply.error or f"{reply.op} failed")
            return
        handler = self.replies.get(message.purpose)
        if handler is not None:
            handler(reply.payload or {}, message.kwargs)
        if message.purpose in ("load", "image", "sample", "drawn", "picture"):
            self.refresh_bindings()  # the keys that make sense follow the input in view

    @on(EngineEvent)
    def engine_event(self, message: EngineEvent) -> None:
        self.events.event(message.event)

    @on(EngineLost)
    def engine_lost(self, message: EngineLost) -> None:
        self.events.engine_lost(message.error)

    def on_local_digits_loaded(self, message: LocalDigitsLoaded) -> None:
        message.stop()
        self.feed.local_digits.set(message)

    def on_layer_table_layer_selected(self, message: LayerTable.LayerSelected) -> None:
        self.feed.layer_selected(message.name, message.row)

    def on_inspector_many_toggled(self, message: ManyToggled) -> None:
        self.feed.many_toggled(message.enabled)

    def on_cell_explain_requested(self, message: CellExplainRequested) -> None:
        self.feed.explain_requested(message.request)

    # ------------------------------------------------------------------ actions

    def show_sample(self, index: int) -> None:
        """Show test digit ``index`` in the inspector (the Evaluate tab's i)."""
        self.feed.select_sample(index)

    def quit(self) -> None:
        self.control.quit()

    def action_layer(self, step: int) -> None:
        self.table.select_next() if step > 0 else self.table.select_previous()

    def action_fold(self) -> None:
        self.table.toggle_fold()

    def action_sample(self, step: int) -> None:
        self.feed.step_sample(step)

    def action_random_sample(self) -> None:
        self.feed.random_sample()

    def action_misclassified(self) -> None:
        self.feed.next_misclassified()

    def action_show_image(self) -> None:
        self.input_keys.show_image()

    async def action_draw(self) -> None:
        await self.drawing.toggle()

    def action_open_picture(self) -> None:
        self.drawing.pick_picture()

    def action_toggle_training(self) -> None:
        self.control.toggle_training()

    def action_toggle_pause(self) -> None:
        self.control.toggle_pause()

    def action_save(self) -> None:
        self.control.save()

    def action_configure(self) -> None:
        self.control.configure()

    def action_snapshot(self, step: int) -> None:
        self.history.step(step)

    def action_export_png(self) -> None:
        self.png_export.export()

    def action_snapshot_delta(self) -> None:
        self.history.toggle_delta()

    def action_curves_view(self) -> None:
        self.training.next_view()
