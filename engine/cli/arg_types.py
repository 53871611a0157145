"""argparse types for the CLIs' whole-number and input-shape options: a bad value is one
line and exit 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from engine.errors import ConfigError
from engine.models.catalog import parse_input_shape

# Wider than any terminal; keeps a typo such as --width 100000 from printing megabytes.
MAX_COLUMNS = 1000


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type reading a whole number from ``low`` to ``high`` (no upper end: None).

    The returned function raises argparse.ArgumentTypeError (argparse then prints one line and
    exits 2) for text that is not a whole number or lies outside the range."""
    wanted = f"{low} or more" if high is None else f"{low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number ({wanted}), got {text!r}"
            ) from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range; use {wanted}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in some messages
    return parse


positive_int = bounded_int(1)
"""A whole number of at least 1 (a count, a size, a stride)."""

non_negative_int = bounded_int(0)
"""A whole number of at least 0 (an index, or 0 meaning 'all')."""

columns_int = bounded_int(1, MAX_COLUMNS)
"""Terminal columns to draw in: 1 to MAX_COLUMNS."""


def input_shape_arg(text: str) -> tuple[int, int, int]:
    """An argparse type reading (channels, height, width) from "1,28,28" or "3x32x32";
    argparse.ArgumentTypeError (one line, exit 2) for another form or a size out of range."""
    try:
        return parse_input_shape(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


input_shape_arg.__name__ = "input shape"  # type: ignore[attr-defined]
