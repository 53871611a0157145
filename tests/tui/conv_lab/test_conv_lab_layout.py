"""The Conv lab uses the terminal it has (issue 13, points 9, 10 and 15): its figure is enlarged
by whole factors to fill the room at 120x40 and 200x60 and still fits at 80x24 and 100x30;
nothing is cut at the right edge (what does not fit scrolls, and the bar says how); one-line
texts are shortened at word boundaries with the full text in a tooltip; the custom-kernel error
teaches the field's syntax; the numbers view scrolls with arrows and page keys at once."""

from __future__ import annotations

import re

import pytest

from engine.convlab import inputs
from engine.convlab.inputs import ConvError
from tui.conv_lab.canvas import LabCanvas
from tui.conv_lab.kernel_field import KernelInput
from tui.conv_lab.pane import ConvLab
from tui.conv_lab.state import FIELD_SYNTAX

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
LARGE = [(120, 40), (200, 60)]


async def open_lab(pilot, wait_for) -> ConvLab:
    """The app's Conv lab tab shown (tab key 2) and drawn."""
    app = pilot.app
    await pilot.press("2")
    await wait_for(pilot, lambda: bool(app.main.query(ConvLab)), "the Conv lab")
    lab = app.main.query_one(ConvLab)
    await wait_for(pilot, lambda: lab.query_one(LabCanvas).drawn is not None, "the figure")
    await pilot.pause()
    return lab


def plain(widget) -> str:
    content = widget.render()
    return content.plain if hasattr(content, "plain") else str(content)


def screen_lines(app) -> list[str]:
    """The screen as text lines (what a terminal would show)."""
    width, height = app.size
    return [
        "".join(seg.text for seg in strip).ljust(width)
        for strip in app.screen._compositor.render_strips()[:height]
    ]


COMPACT_WORDS = {"pad", "no"}  # the status line's compact labels ("pad same", "no pool")


def words_cut(shown: str, full: str) -> list[str]:
    """Words of ``shown`` that are not whole words of ``full`` (a word cut in the middle)."""
    words = set(re.split(r"[\s|]+", full)) | COMPACT_WORDS
    shown_words = re.split(r"[\s|]+", shown.rstrip("…").strip())
    numbers = re.compile(r"-?[\d.]+")  # the colour bar's ends are not in its caption
    return [w for w in shown_words if w and w not in words and not numbers.fullmatch(w)]


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_the_figure_fits_or_fills_the_room(size, make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        lab = await open_lab(pilot, wait_for)
        canvas = lab.query_one(LabCanvas)
        for keys in ((), ("n",)):  # the 8x8 squares, then a 28x28 digit
            await pilot.press(*keys)
            await settle(pilot)
            drawn, room = canvas.drawn, canvas.size
            assert drawn.width <= room.width and drawn.height <= room.height, (keys, room)
            assert not canvas.overflowing
            if size in LARGE:  # the figure takes most of the height it has
                assert drawn.height >= 0.7 * room.height, (keys, drawn.height, room)
        assert canvas.drawn.factor == {80: 1, 100: 1, 120: 2, 200: 3}[size[0]]


async def test_the_factor_grows_with_the_terminal(make_app, wait_for):
    factors = []
    for size in SIZES:
        app, _ = make_app()
        async with app.run_test(size=size) as pilot:
            lab = await open_lab(pilot, wait_for)
            factors.append(lab.query_one(LabCanvas).drawn.factor)
    assert factors == sorted(factors) and factors[-1] >= 3 * factors[0]
    assert factors[2] >= 6  # 8x8 squares at 120x40: 48 cells wide, not 16


async def test_resizing_refits_the_figure(make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        lab = await open_lab(pilot, wait_for)
        canvas = lab.query_one(LabCanvas)
        before = canvas.drawn.factor
        await pilot.resize_terminal(200, 60)
        await wait_for(pilot, lambda: canvas.drawn.factor > before, "a larger figure")
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: canvas.drawn.factor < before, "a smaller figure")
        assert canvas.drawn.width <= canvas.size.width


@pytest.mark.parametrize("size", SIZES)
async def test_nothing_is_cut_at_the_right_edge(size, make_app, wait_for):
    """Numbers of a 28x28 digit with padding in step mode are larger than any of these
    terminals' room: the canvas scrolls (sideways too) and the bar says so; the one-line texts fit
    and cut no word, their full text in a tooltip."""
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        lab = await open_lab(pilot, wait_for)
        await pilot.press("n", "p", "v", "w")  # a digit, 'same' padding, numbers, step mode
        await settle(pilot)
        canvas = lab.query_one(LabCanvas)
        assert canvas.overflowing  # larger than the room: it scrolls instead of being cut
        if canvas.drawn.width > canvas.size.width:
            assert canvas.max_scroll_x > 0
        assert canvas.max_scroll_y > 0 or canvas.max_scroll_x > 0
        bar = plain(lab.query_one("#conv-bar"))
        assert "scroll" in bar and "PgUp/PgDn" in bar
        for selector in ("#conv-status", "#conv-keys", "#conv-bar"):
            widget = lab.query_one(selector)
            shown = plain(widget).rstrip()
            assert len(shown) <= size[0], selector
            full = str(widget.tooltip or shown)
            assert words_cut(shown, full) == [], (selector, shown)
        status = plain(lab.query_one("#conv-status"))
        assert "cell [0, 0, 0]" in status  # the step cell is never wrapped or cut
        assert all(len(line.rstrip()) <= size[0] for line in screen_lines(app))


async def test_colour_bar_caption_is_shortened_at_word_boundaries(make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        lab = await open_lab(pilot, wait_for)
        bar_widget = lab.query_one("#conv-bar")
        bar = plain(bar_widget)
        assert "0 in the middle" in bar and "per kind of panel" not in bar
        assert "per kind of panel" in str(bar_widget.tooltip)  # the full caption
        await pilot.resize_terminal(200, 60)
        await wait_for(pilot, lambda: "per kind of panel" in plain(bar_widget), "full caption")
        assert "input grey" in plain(bar_widget)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_numbers_scroll_with_arrows_and_page_keys_at_once(size, make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        lab = await open_lab(pilot, wait_for)
        await pilot.press("n", "v")  # the digit's 0-255 pixels, taller than the room
        await settle(pilot)
        canvas = lab.query_one(LabCanvas)
        assert canvas.max_scroll_y > 0 and lab.has_focus  # no tab needed
        assert "arrows PgUp/PgDn scroll" in plain(lab.query_one("#conv-keys"))
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: canvas.scroll_y == 2, "two lines down")
        assert not lab.step_mode  # the arrows scrolled, they did not start step mode
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: canvas.scroll_y > 2, "a page down")
        await pilot.press("home")
        await wait_for(pilot, lambda: canvas.scroll_y == 0, "back to the top")
        if canvas.max_scroll_x:
            await pilot.press("right")
            await wait_for(pilot, lambda: canvas.scroll_x > 0, "sideways")
        await pilot.press("w", "down")  # in step mode the arrows move the cell again
        assert lab.step_mode and lab.cursor == (0, 1, 0)


async def test_custom_kernel_error_teaches_the_fields_syntax(make_app, wait_for):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot, wait_for)
        field = lab.query_one(KernelInput)
        assert "1,0,-1;1,0,-1;1,0,-1" in str(field.placeholder)
        for typed in ("1,x;1,1", "1,2;3", "", "1,2;;3,4"):
            await pilot.press("e")
            field.value = typed
            await pilot.press("enter")
            await pilot.pause()
            message = plain(lab.query_one("#conv-message"))
            assert FIELD_SYNTAX in message and "e.g. 1,0,-1;1,0,-1;1,0,-1" in message, typed
            assert "custom:" not in message, typed  # the CLI's syntax is not the field's
            await pilot.press("escape")


def test_the_cli_keeps_teaching_its_own_syntax():
    """The CLI's --filter takes ``custom:ROWS``: its error still says so."""
    with pytest.raises(ConvError, match="custom:1,0,-1") as info:
        inputs.load_filters(["custom:1,x"])
    assert FIELD_SYNTAX not in str(info.value)
