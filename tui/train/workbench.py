"""The Train tab's widgets: the layer table and training pane on the left, the inspector right.

Loaded after the first frame (``TrainTab.build``): the inspector brings the heatmap widgets.
The inspector's keys are bound here, with priority, so they work while the table has the focus.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from tui.commands import bindings
from tui.train.inspector import Inspector
from tui.train.keys import inspector_keys
from tui.train.layer_table import LayerTable
from tui.train.training_pane import TrainingPane


class Workbench(Horizontal):
    """Layer table, training pane and inspector; ``inspect(name)`` calls an inspector action."""

    KEYS = inspector_keys()
    BINDINGS = bindings(KEYS)

    def compose(self) -> ComposeResult:
        with Vertical(id="left"):
            yield LayerTable(id="layers")
            yield TrainingPane(id="training")
        yield Inspector(id="inspector")

    def on_mount(self) -> None:
        self.query_one(LayerTable).border_title = "Layers"
        self.query_one(Inspector).border_title = "Inspector"

    def action_inspect(self, name: str) -> None:
        getattr(self.query_one(Inspector), name)()
