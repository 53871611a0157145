"""fit_text: lines shortened at word boundaries by the priority of their parts."""

from __future__ import annotations

import pytest

from tui.widgets.fit_text import Part, fit_joined, fit_parts, shorten_path, shorten_words

NOTE = "kernels after epoch 3 of 5 · e/E step, x change"


def test_text_that_fits_is_unchanged():
    assert shorten_words(NOTE, len(NOTE)) == NOTE
    assert fit_joined(NOTE, 80) == NOTE


@pytest.mark.parametrize("width", range(len("kernels") + 1, len(NOTE)))
def test_words_are_never_cut(width):
    short = shorten_words(NOTE, width)
    assert len(short) <= width and short.endswith("…")
    kept = short[:-1].replace(",", "").split()
    assert kept and all(word in NOTE.replace(",", "").split() for word in kept)  # whole words only


def test_lowest_priority_part_goes_first_then_the_next():
    parts = [Part("weights 128×1568", 3), Part("out×in", 1), Part("shown 128×512", 2)]
    assert fit_parts(parts, 80) == "weights 128×1568 · out×in · shown 128×512"
    assert fit_parts(parts, 35) == "weights 128×1568 · shown 128×512"
    assert fit_parts(parts, 20) == "weights 128×1568"
    assert fit_parts(parts, 12) == "weights…"


def test_joined_text_drops_trailing_parts_whole():
    text = "kernel change from epoch 2 to 3 (of 5) · x: weights"
    assert fit_joined(text, len(text)) == text
    assert fit_joined(text, len(text) - 1) == "kernel change from epoch 2 to 3 (of 5)"


def test_paths_keep_their_end():
    path = "/home/me/work/runs/fast-3/checkpoint.pt"
    assert shorten_path(path, 100) == path
    assert shorten_path(path, 24) == "…/fast-3/checkpoint.pt"
    assert shorten_path(path, 16).endswith("checkpoint.pt")
    assert len(shorten_path(path, 10)) == 10


def test_grid_caption_drops_whole_details_never_half_a_shape():
    from tui.widgets.grid_paint import fit_caption

    caption = "weights 128×1568 out×in · shown 128×512"
    assert fit_caption(caption, 40) == caption
    assert fit_caption(caption, 30) == "weights 128×1568 out×in"  # not "shown 128×…"
    assert fit_caption(caption, 20) == "weights 128×1568…"
