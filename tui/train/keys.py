"""The Train & inspect tab's keys: selection, training and kernel history (``TRAIN_KEYS``,
bound by ``tui.train.tab.TrainTab``) and the inspector's (``inspector_keys``, bound by
``tui.train.workbench.Workbench`` once the widgets load)."""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from functools import cache
from typing import TYPE_CHECKING

from tui.commands import Key, key_name

if TYPE_CHECKING:
    from textual.dom import DOMNode

TRAIN_KEYS: tuple[Key, ...] = (
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
        "enter,z",
        "fold",
        "Fold/unfold",
        "layer table: fold or unfold the block under the cursor (a residual block, a "
        "Sequential); a folded block's row shows its layers' totals",
        group="Layers and samples",
    ),
    Key(
        "l,right",
        "sample(1)",
        "Next sample",
        "show the next test image",
        priority=True,
        group="Layers and samples",
    ),
    Key(
        "h,left",
        "sample(-1)",
        "Previous sample",
        "show the previous test image",
        priority=True,
        group="Layers and samples",
    ),
    Key(
        "r",
        "random_sample",
        "Random",
        "show a random test image",
        footer=True,
        group="Layers and samples",
    ),
    Key(
        "m",
        "misclassified",
        "Misclassified",
        "jump to the next test image the model gets wrong",
        footer=True,
        group="Layers and samples",
    ),
    Key(
        "i",
        "show_image",
        "Picture",
        "show the --image picture again (after h, l, r or m showed test images)",
        group="Layers and samples",
    ),
    Key(
        "p",
        "draw",
        "Draw",
        "draw a digit (again: close): drag the mouse, or arrows move, space paints, enter "
        "puts the pen down, shift+arrows erase, delete clears, escape closes; every stroke "
        "updates the prediction and the feature maps (j and k still walk the layers)",
        footer=True,
        group="Layers and samples",
    ),
    Key(
        "o",
        "open_picture",
        "Open picture",
        "open a picture file (PNG, JPEG, ...) as the input, pre-processed as --image does",
        group="Layers and samples",
    ),
    Key(
        "X",
        "export_png",
        "Export PNG",
        "export the inspector's kernels and feature maps as PNG figures (colour bars, caption: "
        "model, layer, digit, scale) into the run folder's exports/",
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
        "v",
        "curves_view",
        "Curves",
        "curves: the next chart (loss, accuracy, the learning-rate schedule)",
        group="Training curves",
    ),
    Key(
        "e",
        "snapshot(-1)",
        "Earlier kernels",
        "kernels: step back through the run's snapshots (spread over its steps, 24 by default)",
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
)


# Training goes on whatever tab is in view, so the run keys work on every tab: the main screen
# binds them too, out of the footer (tui.main_screen.GLOBAL_KEYS), and hands them to this tab.
RUN_KEYS: tuple[Key, ...] = tuple(key for key in TRAIN_KEYS if key.group == "Training")


def name_pause_key(node: DOMNode, state: str) -> None:
    """Make ``node``'s space binding read "Resume" in the footer while the run is paused and
    "Pause" otherwise (Textual bindings have a fixed description, so it is replaced)."""
    description = "Resume" if state == "paused" else "Pause"
    key_bindings = node._bindings.key_to_bindings
    current = key_bindings.get("space", [])
    if not current or all(binding.description == description for binding in current):
        return
    key_bindings["space"] = [
        dataclass_replace(binding, description=description)
        if binding.action == "toggle_pause"
        else binding
        for binding in current
    ]
    node.refresh_bindings()


INSPECTOR_HELP = {
    "next_page": "feature maps: show the next page (page down too)",
    "previous_page": "feature maps: show the previous page (page up too)",
    "next_kernels_page": "kernels: show the next page",
    "previous_kernels_page": "kernels: show the previous page",
    "toggle_scale": "one colour scale shared by all maps, or one scale per map",
    "next_channel": "kernels: show the next input channel (layers without kernels: the map "
    "shown before → after; explain mode: the next map)",
    "previous_channel": "kernels: show the previous input channel (layers without kernels: "
    "the map shown before → after)",
    "toggle_mean": "kernels: the mean over input channels, or one channel at a time",
    "toggle_many": "the selected layer's maps for several digits at once, one row per digit",
    "toggle_explain": "conv layers: explain one feature-map cell, starting at the map's "
    "strongest: patch × kernel = products per input channel, then the channel sums plus bias, "
    "equal to the layer's output; its receptive field outlined on the digit ([ and ] pick the "
    "map, { and } the input channel)",
    "cell_left": "explain mode: move the explained cell left",
    "cell_right": "explain mode: move the explained cell right",
    "cell_up": "explain mode: move the explained cell up",
    "cell_down": "explain mode: move the explained cell down",
    "next_input": "explain mode: the products of the next input channel",
    "previous_input": "explain mode: the products of the previous input channel",
}


# The inspector's keys shown in the footer (each grid's own paging key).
INSPECTOR_FOOTER = ("next_page", "next_kernels_page")


@cache
def inspector_keys() -> tuple[Key, ...]:
    """The inspector's keys (tui.train.inspector.INSPECTOR_KEYS), as ``inspect`` actions of
    the Train tab's workbench (tui.train.workbench), which lends them priority over the table.

    Imported on first use, not with this module: the inspector brings the heatmap widgets, and
    the first frame paints before they load."""
    from tui.train.inspector import INSPECTOR_KEYS

    by_action: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for keys, action, description in INSPECTOR_KEYS:
        by_action.setdefault(action, []).extend(key_name(key) for key in keys.split(","))
        labels.setdefault(action, description)
    return tuple(
        Key(
            ",".join(keys),
            f"inspect('{action}')",
            labels[action],
            INSPECTOR_HELP.get(action, labels[action]),
            footer=action in INSPECTOR_FOOTER,
            priority=True,
            group="Inspector",
        )
        for action, keys in by_action.items()
    )


def train_keys() -> list[Key]:
    """Every key of the Train tab, in the order the help screen lists them."""
    return [*TRAIN_KEYS, *inspector_keys()]
