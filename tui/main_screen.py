"""The workbench screen: header, tabs, footer and keys, assembled from its mixins."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from engine.training.config import TrainConfig
from tui.commands import MAIN_KEYS, Key, all_keys, bindings, inspector_keys
from tui.link import EngineEvent, EngineLost, EngineReply, Link
from tui.screens import HelpScreen, TooSmall
from tui.train.engine_routing import EngineRouting
from tui.train.inspector_requests import (
    LIVE_REFRESH_S,
    MANY_DIGITS,
    NAVIGATION_QUIET_S,
    TEST_SAMPLES,
    InspectorRequests,
)
from tui.train.kernel_history import KernelHistoryActions
from tui.train.local_digits import LocalDigits
from tui.train.training_actions import ACTIVE, QUIT_TIMEOUT_S, TrainingActions
from tui.widgets.header import StatusHeader

if TYPE_CHECKING:  # the widgets load after the first frame (build_workbench)
    from tui.app import AppOptions
    from tui.compare.runs import KernelSnapshots
    from tui.train.inspector import Inspector
    from tui.train.layer_table import LayerTable
    from tui.train.training_pane import TrainingPane

__all__ = [
    "ACTIVE",
    "EXTRA_TABS",
    "LIVE_REFRESH_S",
    "MANY_DIGITS",
    "NAVIGATION_QUIET_S",
    "QUIT_TIMEOUT_S",
    "TEST_SAMPLES",
    "TRAIN_TAB_ACTIONS",
    "MainScreen",
    "module_exists",
]

# Optional tabs: (tab id, title with its key, module, widget class); each joins when its
# module exists. The keys are bound in tui.commands (show_tab).
EXTRA_TABS = (
    ("conv", "2 Conv lab", "tui.conv_lab.pane", "ConvLab"),
    ("evaluate", "3 Evaluate", "tui.evaluate.pane", "EvaluatePane"),
)
TRAIN_TAB_ACTIONS = {
    "layer",
    "sample",
    "random_sample",
    "misclassified",
    "inspect",
    "snapshot",
    "snapshot_delta",
}


def module_exists(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (tabs load when first shown)."""
    return importlib.util.find_spec(module) is not None


class MainScreen(EngineRouting, TrainingActions, InspectorRequests, KernelHistoryActions, Screen):
    """Everything the user sees between start and quit.

    It turns keys into engine requests (through ``app.link``) and engine events and replies
    into widget updates. What to ask the engine for, and when, is decided here and in its
    mixins:

    - ``InspectorRequests`` (tui.train.inspector_requests): selection changes (layer, sample) ask for
      the layer's kernels, its activations for the sample, and the sample's prediction; at
      most one request of each kind is in flight and only the newest ask waits behind it
      (``Link.want``); while training, a timer refreshes the inspector twice a second, asking
      only for what is not already on its way, so kernels can be watched as they form;
    - ``KernelHistoryActions`` (tui.train.kernel_history): the run's per-epoch kernel snapshots;
    - ``TrainingActions`` (tui.train.training_actions): train/stop, pause, save, configure, quit;
    - ``EngineRouting`` (tui.train.engine_routing): opening the model, and routing engine replies and
      events to the panes.
    """

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
        self.local_digits = LocalDigits()  # the test digits, drawn before the engine replies
        # The optional tabs whose modules exist; each widget is made when its tab first shows.
        self.tabs = [
            (tab_id, title, module, name)
            for tab_id, title, module, name in EXTRA_TABS
            if module_exists(module)
        ]

    @property
    def link(self) -> Link:
        return self.app.link  # type: ignore[attr-defined]

    # Textual collects @on handlers only from the classes its metaclass builds (not from
    # plain mixins), so the engine messages are bound to EngineRouting's methods here.
    engine_reply = on(EngineReply)(EngineRouting.engine_reply)
    engine_event = on(EngineEvent)(EngineRouting.engine_event)
    engine_lost = on(EngineLost)(EngineRouting.engine_lost)

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
        from tui.widgets.heatmap import detect_color_mode

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
        header.update_status(
            model=self.options.checkpoint
            and Path(self.options.checkpoint).name
            or self.options.model
            or self.next_config.model,
            device=self.next_config.device,
        )
        # First the frame (header, tabs, footer) paints; then the widgets, which bring numpy
        # and plotext, load and the engine starts.
        self.call_after_refresh(self.build_workbench)

    async def build_workbench(self) -> None:
        from tui.compare.runs import KernelSnapshots
        from tui.train.inspector import Inspector
        from tui.train.layer_table import LayerTable
        from tui.train.training_pane import TrainingPane

        self.snapshots = KernelSnapshots()
        table, inspector = LayerTable(id="layers"), Inspector(id="inspector")
        await self.query_one("#workbench").mount_all(
            [Vertical(table, TrainingPane(id="training"), id="left"), inspector]
        )
        for key in inspector_keys():
            self._bindings.bind(
                key.keys, key.action, key.label, show=key.footer, priority=key.priority
            )
        inspector.set_color_mode(self.color_mode)
        inspector.set_message("Starting the engine (loading PyTorch)…")
        table.border_title = "Layers"
        inspector.border_title = "Inspector"
        if self.active_tab == "train":
            table.focus()
        self.built = True
        self.refresh_bindings()
        self.set_interval(LIVE_REFRESH_S, self.live_refresh)
        self.app.start_engine()  # type: ignore[attr-defined]

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

    # -------------------------------------------------------------------- tabs

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
