"""Text that fits a width: whole parts dropped by priority, then words, never a cut word."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
SEPARATOR = " · "


@dataclass(frozen=True)
class Part:
    """One piece of a line; the lowest ``priority`` goes first when the line is too long."""

    text: str
    priority: int = 0


def shorten_words(text: str, width: int) -> str:
    """``text`` in ``width`` cells: whole words kept and "…" after the last one that fits.

    A first word longer than the width is cut (there is no word boundary to keep); width 0
    gives "". Text that fits is returned unchanged."""
    if len(text) <= width:
        return text
    if width <= 0:
        return ""
    room = width - len(ELLIPSIS)
    cut = text[: room + 1].rstrip()
    boundary = cut.rfind(" ", 0, room + 1)
    if boundary > 0:
        return text[:boundary].rstrip(" ·,;:(") + ELLIPSIS
    return text[: max(room, 0)] + ELLIPSIS


def shorten_path(path: str, width: int) -> str:
    """A file path in ``width`` cells, keeping its end (the file and its folders):
    ``runs/fast-3/checkpoint.pt`` -> ``…/fast-3/checkpoint.pt``."""
    if len(path) <= width:
        return path
    parts = path.split("/")
    for start in range(1, len(parts)):
        tail = ELLIPSIS + "/" + "/".join(parts[start:])
        if len(tail) <= width:
            return tail
    return ELLIPSIS + path[len(path) - width + 1 :] if width > 1 else path[:width]


def fit_parts(parts: Sequence[Part | str], width: int, separator: str = SEPARATOR) -> str:
    """Join ``parts`` with ``separator`` in ``width`` cells.

    While too long, the part of lowest priority is dropped (of equal ones the last); plain
    strings get priorities from their order, the first highest. The last part left is
    shortened at a word boundary (:func:`shorten_words`)."""
    items = [
        part if isinstance(part, Part) else Part(part, -index) for index, part in enumerate(parts)
    ]
    items = [item for item in items if item.text]
    while len(items) > 1 and len(separator.join(p.text for p in items)) > width:
        lowest = min(item.priority for item in items)
        drop = max(i for i, item in enumerate(items) if item.priority == lowest)
        del items[drop]
    return shorten_words(separator.join(p.text for p in items), width)


def fit_joined(text: str, width: int, separator: str = SEPARATOR) -> str:
    """``text`` made of ``separator``-joined parts, most important first, in ``width``
    cells: trailing parts dropped whole, then words (see :func:`fit_parts`)."""
    return fit_parts(text.split(separator), width, separator)


def fits(text: str, width: int) -> bool:
    """Whether every line of ``text`` fits ``width`` cells."""
    return all(len(line) <= width for line in text.splitlines() or [""])
