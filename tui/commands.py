"""Keys as data: ``Key`` rows make a widget's bindings, the help screen (?) and the command
palette, so the three cannot disagree. Each tab declares its own keys (``tui.train.keys`` for
Train & inspect); the global ones (tabs, help, quit) are the main screen's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol, runtime_checkable

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

# Characters that cannot stand in a comma-separated binding string, by Textual key name.
_KEY_NAMES = {
    ",": "comma",
    ".": "full_stop",
    "[": "left_square_bracket",
    "]": "right_square_bracket",
    "{": "left_curly_bracket",
    "}": "right_curly_bracket",
    "?": "question_mark",
    " ": "space",
    "+": "plus",
    "-": "minus",
    "=": "equals_sign",
    "<": "less_than_sign",
    ">": "greater_than_sign",
}
_CHARACTERS = {name: char for char, name in _KEY_NAMES.items()}


@dataclass(frozen=True)
class Key:
    """One action of a tab or the main screen: its keys, a short footer label and a longer
    help text."""

    keys: str  # comma-separated Textual key names
    action: str  # an action of the widget that binds it
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


def bindings(keys: Sequence[Key]) -> list[Binding]:
    """Textual bindings for ``keys`` (a widget's ``BINDINGS``)."""
    return [Binding(k.keys, k.action, k.label, show=k.footer, priority=k.priority) for k in keys]


def key_name(character: str) -> str:
    """The Textual key name of a typed character ("[" -> "left_square_bracket")."""
    return _KEY_NAMES.get(character, character)


def binding_keys(widget_bindings: Sequence[Binding | tuple[str, ...]], group: str) -> list[Key]:
    """``Key`` rows for plain Textual bindings (a tab that declares only ``BINDINGS``): the
    description is both label and help text, all in ``group``."""
    keys = []
    for binding in widget_bindings:
        if isinstance(binding, Binding):
            keys.append(
                Key(
                    binding.key,
                    binding.action,
                    binding.description,
                    binding.tooltip or binding.description,
                    footer=binding.show,
                    priority=binding.priority,
                    group=group,
                )
            )
    return keys


@runtime_checkable
class KeyedScreen(Protocol):
    """A screen whose keys the palette offers: ``active_keys`` gives each key with the node
    (tab widget or screen) whose action it runs."""

    def active_keys(self) -> list[tuple[Key, DOMNode]]: ...


def plain_markup(text: str) -> str:
    """``text`` shown as written by the palette, which reads its help as Textual markup
    (keys such as "[ and ]" would otherwise vanish as a tag)."""
    return text.replace("[", "\\[")


class WorkbenchCommands(Provider):
    """The command palette's entries: the tab in view's actions and the global ones, by name."""

    def _commands(self) -> list[tuple[str, str, partial]]:
        screen = self.screen
        if not isinstance(screen, KeyedScreen):  # opened over a dialog
            return []
        return [
            # a key whose help only repeats its label (a bare Binding) shows the label once
            (key.label, plain_markup("" if key.help == key.label else key.help),
             partial(node.run_action, key.action))
            for key, node in screen.active_keys()
        ]  # fmt: skip

    async def discover(self) -> Hits:
        for label, help_text, callback in self._commands():
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, callback in self._commands():
            score = max(matcher.match(label), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
