"""Fitting the compare table to the screen: the run and model names give way (with an
ellipsis) so that every column heading shows."""

from __future__ import annotations

CELL_PADDING = 2  # DataTable's default cell padding, one cell each side
MIN_NAME = 6  # the run and model names are never cut below this many characters


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def fit_rows(
    columns: tuple[str, ...], rows: list[tuple[str, ...]], width: int
) -> list[tuple[str, ...]]:
    """``rows`` with their first two cells (run, model) shortened so that the table, every
    column as wide as its heading or widest cell plus padding, fits in ``width`` cells.

    The other columns are kept whole; the run and model share what they leave, each keeping
    at least its heading and ``MIN_NAME`` characters."""
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    room = width - sum(w + CELL_PADDING for w in widths[2:]) - 2 * CELL_PADDING
    names = widths[:2]
    if sum(names) <= room:
        return rows
    floors = [max(MIN_NAME, len(columns[0])), max(MIN_NAME, len(columns[1]))]
    limits = list(names)
    while sum(limits) > room and limits != [min(n, f) for n, f in zip(names, floors, strict=True)]:
        wider = 0 if limits[0] - floors[0] >= limits[1] - floors[1] else 1
        limits[wider] = max(min(names[wider], floors[wider]), limits[wider] - 1)
    return [(shorten(r[0], limits[0]), shorten(r[1], limits[1]), *r[2:]) for r in rows]
