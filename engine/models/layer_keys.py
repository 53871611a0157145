"""Keys naming one call of a module: ``conv1`` for its first call, ``conv1#2`` for its second.

A module that ``forward`` calls several times (one conv reused three times) has one row per call
in the layer table; every op that takes a ``layer`` accepts these keys, so the feature maps of
the second call are asked for as ``conv1#2``. The first call's key is the module's dotted name,
so every key written before calls were counted still names the same thing. Torch-free.
"""

from __future__ import annotations

CALL_MARK = "#"


def layer_key(name: str, call: int) -> str:
    """The key of call ``call`` (0-based) of the module named ``name``: ``name`` or ``name#N``
    with N = call + 1 >= 2."""
    return name if call <= 0 else f"{name}{CALL_MARK}{call + 1}"


def split_layer_key(key: str) -> tuple[str, int]:
    """(module name, 0-based call) of a key; ``"conv1#3"`` -> ``("conv1", 2)``.

    Raises ValueError when the part after ``#`` is not a whole number >= 2.
    """
    name, mark, number = key.rpartition(CALL_MARK)
    if not mark:
        return key, 0
    if not number.isdigit() or int(number) < 2:
        raise ValueError(f"layer key {key!r}: the call after {CALL_MARK} must be 2 or more")
    return name, int(number) - 1
