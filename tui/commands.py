"""Every key of the workbench in one table: the bindings, the help screen and the command
palette are all made from it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

# Characters that cannot stand in a comma-separated binding string, by Textual key name.
_KEY_NAMES = {
    ",": "comma",
    ".": "full_stop",
    "[": "left_square_bracket",
    "]": "right_square_bracket",
    "?": "question_mark",
    " ": "space",
}
_CHARACTERS = {name: char for char, name in _KEY_NAMES.items()}


@dataclass(frozen=True)
class Key:
    """One action of the main screen: its keys, a short footer label and a longer help text."""

    keys: str  # comma-separated Textual key names
    action: str  # an action of the main screen
    label: str  # footer and palette title
    help: str  # help screen and palette help
    footer: bool = False
    priority: bool = False  # arrows and letters that focused widgets would otherwise take
    group: str = "Workbench"

    @property
    def display(self) -> str:
        """The keys as a person types them ("j / down")."""
        return " / ".join(
            _CHARACTERS.get(k, k) if k != "space" else k for k in self.keys.split(",")
        )


MAIN_KEYS: list[Key] = [
    Key(
        "j,down",
        "layer(1)",
        "Next layer",
        "select the next layer in the table",
        priority=True,
        group="Layers and samples",
    ),
    Key(
        "k,up",
        "layer(-1)",
        "Previous layer",
        "select the previous layer",
        priority=True,
        group="Layers and samples",
    ),
    Key(
        "l,right",
        "sample(1)",
        "Next sample",
        "show the next test digit",
        priority=True,
        group="Layers and samples",
    ),
    Key(
        "h,left",
        "sample(-1)",
        "Previous sample",
        "show the previous test digit",
        priority=True,
        group="Layers and samples",
    ),
    Key(
        "r",
        "random_sample",
        "Random",
        "show a random test digit",
        footer=True,
        group="Layers and samples",
    ),
    Key(
        "m",
        "misclassified",
        "Misclassified",
        "jump to the next test digit the model gets wrong",
        footer=True,
        group="Layers and samples",
    ),
    Key(
        "t",
        "toggle_training",
        "Train/stop",
        "start training the next run, or stop it (saves)",
        footer=True,
        group="Training",
    ),
    Key(
        "space", "toggle_pause", "Pause", "pause or resume training", footer=True, group="Training"
    ),
    Key(
        "c",
        "configure",
        "Configure",
        "set up the next run: model or spec, recipe, epochs, batch size, learning rate, device",
        footer=True,
        group="Training",
    ),
    Key(
        "s",
        "save",
        "Save",
        "save a checkpoint of the current training state",
        footer=True,
        group="Training",
    ),
    Key(
        "e",
        "snapshot(-1)",
        "Earlier kernels",
        "kernels: step back through the run's per-epoch snapshots",
        group="Kernel history",
    ),
    Key(
        "E",
        "snapshot(1)",
        "Later kernels",
        "kernels: step forward through the snapshots (past the last one: the live weights)",
        group="Kernel history",
    ),
    Key(
        "x",
        "snapshot_delta",
        "Kernel change",
        "kernels: how each kernel changed since the previous snapshot, or the weights again",
        group="Kernel history",
    ),
    Key("1", "show_tab('train')", "Train & inspect", "show the Train & inspect tab", group="Tabs"),
    Key("2", "show_tab('conv')", "Conv lab", "show the convolution lab tab", group="Tabs"),
    Key("3", "show_tab('evaluate')", "Evaluate", "show the Evaluate tab", group="Tabs"),
    Key("question_mark", "help", "Keys", "show every key", footer=True, group="App"),
    Key(
        "q",
        "quit",
        "Quit",
        "quit (asks first while training, then stops and saves)",
        footer=True,
        group="App",
    ),
]

INSPECTOR_HELP = {
    "next_page": "show the next page of maps",
    "previous_page": "show the previous page of maps",
    "toggle_scale": "one colour scale shared by all maps, or one scale per map",
    "next_channel": "kernels: show the next input channel",
    "previous_channel": "kernels: show the previous input channel",
    "toggle_mean": "kernels: the mean over input channels, or one channel at a time",
    "toggle_many": "the selected layer's maps for several digits at once, one row per digit",
    "toggle_explain": "conv layers: explain one feature-map cell as per-input-channel "
    "multiply-adds, with its receptive field outlined on the digit ([ and ] pick the map)",
    "cell_left": "explain mode: move the explained cell left",
    "cell_right": "explain mode: move the explained cell right",
    "cell_up": "explain mode: move the explained cell up",
    "cell_down": "explain mode: move the explained cell down",
}


@cache
def inspector_keys() -> tuple[Key, ...]:
    """The inspector's keys (tui.train.inspector.INSPECTOR_KEYS), as main-screen actions.

    Imported on first use, not with this module: the inspector brings numpy, and the main
    screen paints its first frame before it loads the widgets."""
    from tui.train.inspector import INSPECTOR_KEYS

    by_action: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for keys, action, description in INSPECTOR_KEYS:
        by_action.setdefault(action, []).extend(_KEY_NAMES.get(key, key) for key in keys.split(","))
        labels.setdefault(action, description)
    return tuple(
        Key(
            ",".join(keys),
            f"inspect('{action}')",
            labels[action],
            INSPECTOR_HELP.get(action, labels[action]),
            priority=True,
            group="Inspector",
        )
        for action, keys in by_action.items()
    )


def all_keys() -> list[Key]:
    """Every key of the main screen: its own and the inspector's."""
    return MAIN_KEYS + list(inspector_keys())


def bindings(keys: list[Key] | tuple[Key, ...]) -> list[Binding]:
    return [Binding(k.keys, k.action, k.label, show=k.footer, priority=k.priority) for k in keys]


class WorkbenchCommands(Provider):
    """The command palette's entries for every workbench action, by name."""

    def _commands(self) -> list[tuple[str, str, partial]]:
        screen = self.screen
        if not hasattr(screen, "action_toggle_training"):  # opened over a dialog
            return []
        return [
            (k.label, k.help, partial(screen.run_action, k.action))
            for k in all_keys()
            if screen.offers(k)
        ]

    async def discover(self) -> Hits:
        for label, help_text, callback in self._commands():
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, callback in self._commands():
            score = max(matcher.match(label), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
