"""The workbench's tabs, in the order they show: id, title, key and a factory each.

A factory takes a ``TabContext`` (the app's options, the colour mode and the engine service)
and makes the tab's widget; it imports the widget's module only then, so the first frame does
not wait for numpy-heavy tabs. The first tab is made with the screen, the others on first show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.commands import Key, binding_keys

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.widget import Widget

    from tui.app import AppOptions
    from tui.engine_service import EngineService


@dataclass(frozen=True)
class TabContext:
    """What a tab's factory may use."""

    options: AppOptions
    color_mode: str  # "truecolor" | "256" | "ascii"
    engine: EngineService

    @property
    def data_dir(self) -> str | None:
        return self.options.data_dir


@dataclass(frozen=True)
class TabSpec:
    """One tab: its pane id, name, the key that shows it and its widget's factory."""

    id: str
    name: str
    key: str
    help: str  # the tab key's help line
    make: Callable[[TabContext], Widget]

    @property
    def title(self) -> str:
        """The tab's label, with its key ("2 Conv lab")."""
        return f"{self.key} {self.name}"

    @property
    def widget_id(self) -> str:
        """The id of the tab's widget inside its pane ("conv-widget")."""
        return f"{self.id}-widget"

    @property
    def show_key(self) -> Key:
        """The global key that shows this tab."""
        return Key(self.key, f"show_tab('{self.id}')", self.name, self.help, group="Tabs")


def make_train(context: TabContext) -> Widget:
    """The Train & inspect tab (its heavy widgets load after the first frame)."""
    from tui.train.tab import TrainTab

    return TrainTab(
        context.options, context.engine, color_mode=context.color_mode, id="train-widget"
    )


def make_conv_lab(context: TabContext) -> Widget:
    """The convolution lab (numpy only; it reads its digits from ``data_dir``)."""
    from tui.conv_lab.pane import ConvLab

    return ConvLab(data_dir=context.data_dir, color_mode=context.color_mode, id="conv-widget")


def make_evaluate(context: TabContext) -> Widget:
    """The Evaluate tab (its data comes from the engine)."""
    from tui.evaluate.pane import EvaluatePane

    return EvaluatePane(engine=context.engine, color_mode=context.color_mode, id="evaluate-widget")


TABS: tuple[TabSpec, ...] = (
    TabSpec("train", "Train & inspect", "1", "show the Train & inspect tab", make_train),
    TabSpec("conv", "Conv lab", "2", "show the convolution lab tab", make_conv_lab),
    TabSpec("evaluate", "Evaluate", "3", "show the Evaluate tab", make_evaluate),
)


def tab_spec(tab_id: str) -> TabSpec:
    """The registered tab ``tab_id``; KeyError when there is none."""
    for spec in TABS:
        if spec.id == tab_id:
            return spec
    raise KeyError(tab_id)


def keys_of(widget: Widget, group: str) -> list[tuple[Key, DOMNode]]:
    """A tab widget's keys, each with the node whose action it runs.

    Widgets that describe their keys as ``Key`` rows (a ``KEYS`` class attribute: the Train
    tab and its workbench) give them with their help text and groups; otherwise the tab
    widget's own ``BINDINGS`` are listed under ``group``."""
    nodes = [widget, *widget.query("*")]
    described = [(key, node) for node in nodes for key in getattr(type(node), "KEYS", ())]
    if described:
        return described
    return [(key, widget) for key in binding_keys(type(widget).BINDINGS, group)]
