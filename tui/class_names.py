"""Class names as the app shows them: the loaded model's names (the ``load`` reply's
``classes``), one per class index, shortened to fit a cell and kept apart when shortened.

Plain (no Textual). The digits 0-9 are MNIST's names; Fashion-MNIST, CIFAR-10 and image
folders bring words ("T-shirt/top", "airplane", the folder names), AlexNet ImageNet's 1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DIGITS = tuple(str(i) for i in range(10))


def name_of(names: Sequence[str] | None, index: Any) -> str:
    """The name of class ``index`` ("?" for None or a negative index; the index itself
    when there are no names or too few)."""
    if index is None or (isinstance(index, int) and index < 0):
        return "?"
    i = int(index)
    return str(names[i]) if names is not None and 0 <= i < len(names) else str(i)


def are_digits(names: Sequence[str] | None) -> bool:
    """Whether the classes are the digits 0..N-1 named by their index (no legend needed)."""
    return names is None or all(str(n) == str(i) for i, n in enumerate(names))


def cut_name(name: str, width: int) -> str:
    """``name`` in at most ``width`` cells: whole, or cut with an ellipsis ("Sneak…")."""
    return name if len(name) <= width else name[: max(0, width - 1)] + "…"


def abbreviate(names: Sequence[str], width: int) -> list[str]:
    """Each name in at most ``width`` cells: whole when it fits, else cut (``airplane`` ->
    ``airp``); when cutting makes two alike, the class index (``3``) stands for each instead,
    so no two columns read the same."""
    width = max(1, width)
    cut = [str(name)[:width] for name in names]
    if len(set(cut)) == len(cut):
        return cut
    return [str(i)[:width] if len(str(n)) > width else str(n) for i, n in enumerate(names)]


def legend(names: Sequence[str], width: int) -> str:
    """``airp airplane · auto automobile ·`` ... : each shortened name with its full name, for
    the names that ``abbreviate(names, width)`` cuts ("" when none is cut)."""
    short = abbreviate(names, width)
    pairs = [f"{s}={n}" for s, n in zip(short, names, strict=True) if s != str(n)]
    return " · ".join(pairs)


def app_class_names(app: Any) -> list[str] | None:
    """The loaded model's class names (the Train tab's inspector holds the ``load`` reply),
    or None before a model has loaded."""
    try:
        names = app.main.query("Inspector").first().state.class_names
    except Exception:  # no screen or inspector yet
        return None
    return [str(n) for n in names] if names else None
