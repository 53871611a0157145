"""The workbench screen: header, tabs (``tui.tabs``), footer, and the engine's messages routed.

The screen is a shell: each tab widget owns its state and keys. It keeps the global keys
(1/2/3 show a tab, ? the keys of the tab in view, q quit) and hands on what the engine sends:
a reply goes, as an ``EngineAnswer``, to the owner of its purpose ("evaluate.gallery" to the
Evaluate tab, "compare.runs" to the compare screen, a bare purpose to the Train tab); training
events and a lost engine go to the Train tab.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane

from engine.render.terminal import color_mode
from tui.commands import Key, bindings
from tui.engine_service import EngineAnswer, EngineService
from tui.link import EngineEvent, EngineLost, EngineReply
from tui.screens import HelpScreen, TooSmall
from tui.tabs import TABS, TabContext, keys_of, tab_spec
from tui.train.keys import RUN_KEYS, name_pause_key
from tui.widgets.footer import FittedFooter
from tui.widgets.header import StatusHeader

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui.app import AppOptions
    from tui.train.tab import StatusChanged, TrainTab

GLOBAL_KEYS: list[Key] = [
    *(spec.show_key for spec in TABS),
    *(replace(key, footer=False) for key in RUN_KEYS),
    Key(
        "question_mark",
        "help",
        "Keys",
        "show the keys of the tab in view and the global ones",
        footer=True,
        group="App",
    ),
    Key(
        "C",
        "compare_runs",
        "Compare",
        "compare runs: tick run folders under runs/, see their curves side by side (esc: back)",
        group="App",
    ),
    Key(
        "q",
        "quit",
        "Quit",
        "quit (asks first while training, then stops and saves)",
        footer=True,
        group="App",
    ),
]

RUN_ACTIONS = {key.action for key in RUN_KEYS}
# What a narrow footer keeps longest (tui.widgets.footer): the app's keys, then the run keys,
# then the inspector's paging keys; other keys (0) go first. ? lists every key.
FOOTER_RANKS = {"App": 3, "Training": 2, "Inspector": 1}


class MainScreen(Screen):
    """Everything the user sees between start and quit: the shell around the tabs."""

    BINDINGS = bindings(GLOBAL_KEYS)

    def __init__(self, options: AppOptions, engine: EngineService) -> None:
        super().__init__(id="main")
        self.options = options
        self.engine = engine
        self.context = TabContext(
            options, options.color_mode or color_mode(force_ascii=options.ascii), engine
        )
        first = TABS[0]
        self.train: TrainTab = first.make(self.context)  # type: ignore[assignment]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with TabbedContent(id="tabs", initial=TABS[0].id):
            with TabPane(TABS[0].title, id=TABS[0].id):
                yield self.train
            for spec in TABS[1:]:
                yield TabPane(spec.title, id=spec.id)  # its widget: on first show
        yield TooSmall()
        yield FittedFooter()

    def on_mount(self) -> None:
        # Keys go to the tab in view: the tab strip never holds the focus (1/2/3 and the
        # mouse switch tabs).
        self.query_one("ContentTabs").can_focus = False
        options = self.options
        checkpoint = options.checkpoint and Path(options.checkpoint).name
        # The device shows once the engine says where the model computes (never "auto").
        self.query_one(StatusHeader).update_status(
            model=checkpoint or options.model or options.config.model
        )

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def tab_widget(self, tab_id: str) -> Widget | None:
        """The widget of tab ``tab_id``, None before its first show."""
        return next(iter(self.query(f"#{tab_spec(tab_id).widget_id}")), None)

    def on_status_changed(self, message: StatusChanged) -> None:
        self.query_one(StatusHeader).update_status(**message.fields)
        if "state" in message.fields and (train := self.tab_widget("train")) is not None:
            name_pause_key(train, message.fields["state"])  # the footer's space: Resume

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(TooSmall).show_size(event.size.width, event.size.height)
        # The too-small notice hides the workbench, which takes the focus from the tab: give
        # it back once the workbench shows again, so its keys (and the footer's) return.
        if self.focused is None:
            self.call_after_refresh(self.focus_active_tab)

    def focus_active_tab(self) -> None:
        """Focus the tab in view (its main widget), unless something has the focus."""
        if self.focused is not None or not self.active_tab:
            return
        if self.active_tab == TABS[0].id:
            self.train.focus_main()
            return
        widget = self.tab_widget(self.active_tab)
        if widget is not None and widget.can_focus:
            widget.focus()

    # -------------------------------------------------------------------- tabs

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Give the shown tab's widget the focus, so its own keys work at once."""
        pane = event.pane
        if pane.id == TABS[0].id:
            self.train.focus_main()
            return
        widget = self.tab_widget(str(pane.id))
        if widget is None:  # first visit: make its widget
            widget = tab_spec(str(pane.id)).make(self.context)
            pane.mount(widget)
        if widget.can_focus:
            widget.call_after_refresh(widget.focus)

    def active_keys(self) -> list[tuple[Key, DOMNode]]:
        """The keys of the tab in view, then the global keys; each with the node whose action
        it runs (the help screen and the command palette list these)."""
        spec = tab_spec(self.active_tab)
        widget = self.tab_widget(spec.id)
        tab_keys = keys_of(widget, spec.name) if widget is not None else []
        shown = {key.action for key, _ in tab_keys}  # the Train tab binds the run keys itself
        return [*tab_keys, *((key, self) for key in GLOBAL_KEYS if key.action not in shown)]

    def footer_ranks(self) -> dict[str, int]:
        """How long the footer keeps each action's key as the width shrinks (higher: longer;
        an action not listed ranks 0)."""
        keys = [key for key, _ in self.active_keys()] if self.active_tab else GLOBAL_KEYS
        return {key.action: FOOTER_RANKS.get(key.group, 0) for key in keys}

    def action_compare_runs(self) -> None:
        from tui.compare.picker import open_compare_picker

        open_compare_picker(self)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen([key for key, _ in self.active_keys()]))

    async def action_quit(self) -> None:
        self.train.quit()

    def stop_and_quit(self) -> None:
        """Quit without asking: a run under way stops and saves first (SIGTERM, SIGINT)."""
        if self.train.built:
            self.train.control.stop_and_quit()
        else:
            self.app.exit()

    # The run keys work on every tab; the Train tab carries them out.
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in RUN_ACTIONS:
            return self.train.built  # its widgets are not in yet (the first frame just painted)
        return True

    def action_toggle_training(self) -> None:
        self.train.action_toggle_training()

    def action_toggle_pause(self) -> None:
        self.train.action_toggle_pause()

    def action_save(self) -> None:
        self.train.action_save()

    def action_configure(self) -> None:
        self.train.action_configure()

    def on_evaluate_pane_show_in_inspector(self, message: Any) -> None:
        """The Evaluate tab picked a digit: show it in the layer inspector."""
        self.action_show_tab(TABS[0].id)
        self.train.show_sample(int(message.index))

    # ------------------------------------------------------------------ engine

    @on(EngineReply)
    def engine_reply(self, message: EngineReply) -> None:
        reply = message.reply
        purpose, kwargs = self.engine.link.resolve(reply)
        owner = self.reply_owner(purpose)
        if owner is not None:
            owner.post_message(EngineAnswer(purpose or "", reply, kwargs))

    def reply_owner(self, purpose: str | None) -> DOMNode | None:
        """Who asked for ``purpose``: for "OWNER.kind" a screen whose ``reply_prefix`` is
        OWNER, or the widget of tab OWNER; for a bare purpose the Train tab."""
        owner, dot, _ = (purpose or "").partition(".")
        if not dot:
            return self.train
        for screen in reversed(self.app.screen_stack):
            if getattr(screen, "reply_prefix", None) == owner:
                return screen
        return self.tab_widget(owner) if any(spec.id == owner for spec in TABS) else None

    @on(EngineEvent)
    def engine_event(self, message: EngineEvent) -> None:
        self.train.post_message(message)

    @on(EngineLost)
    def engine_lost(self, message: EngineLost) -> None:
        self.train.post_message(message)
