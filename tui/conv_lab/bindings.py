"""The Conv lab's keys: its bindings (the footer and the ? screen show them while the lab has
focus) and the actions of keys that change one setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding


def setting_key(method: str, *args: int) -> Callable[[Any], None]:
    """The action of a key that changes one setting (``ConvLabState.<method>(*args)``) and
    computes the lab again."""

    def action(lab: Any) -> None:
        getattr(lab.state, method)(*args)
        lab.recompute()

    action.__doc__ = f"ConvLabState.{method}{args or '()'}, then compute again."
    return action


# The tab's keys (its footer and the ? screen show them while the lab has focus).
CONV_LAB_BINDINGS = [
    Binding("i", "next_input", "Input"),
    Binding("I", "previous_input", "Prev input", show=False),
    Binding("n", "next_digit", "Digit"),
    Binding("N", "previous_digit", "Prev digit", show=False),
    Binding("f", "next_filter", "Filter"),
    Binding("F", "previous_filter", "Prev filter", show=False),
    Binding("e", "edit_custom", "Custom kernel"),
    Binding("p", "cycle_padding", "Padding"),
    Binding("plus,equals_sign", "stride(1)", "Stride+"),
    Binding("minus", "stride(-1)", "Stride-", show=False),
    Binding("o", "cycle_pool", "Pool"),
    Binding("z", "cycle_pool_size", "Pool size", show=False),
    Binding("v", "toggle_values", "Numbers"),
    Binding("w", "toggle_step", "Step mode"),
    Binding("a", "toggle_play", "Play"),
    Binding("left", "move(0,-1)", "Left", show=False),
    Binding("right", "move(0,1)", "Right", show=False),
    Binding("up", "move(-1,0)", "Up", show=False),
    Binding("down", "move(1,0)", "Down", show=False),
    Binding("pageup", "scroll_figure(-1)", "Scroll up", show=False),
    Binding("pagedown", "scroll_figure(1)", "Scroll down", show=False),
    Binding("home", "scroll_figure(-1000)", "Scroll to top", show=False),
    Binding("end", "scroll_figure(1000)", "Scroll to bottom", show=False),
    Binding("right_square_bracket", "channel(1)", "Next filter map", show=False),
    Binding("left_square_bracket", "channel(-1)", "Prev filter map", show=False),
]
