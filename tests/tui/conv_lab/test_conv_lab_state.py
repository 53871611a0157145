"""Unit tests of the Conv lab's plain state (ConvLabState) and figure, without an app."""

from __future__ import annotations

import pytest

from engine.errors import EngineError
from tui.conv_lab.canvas import bar_text
from tui.conv_lab.figure import explain_text, figure
from tui.conv_lab.state import INPUT_CHOICES, PADDING_CHOICES, ConvLabState


def computed(**settings) -> ConvLabState:
    state = ConvLabState()
    for name, value in settings.items():
        setattr(state, name, value)
    assert state.compute() == ""
    state.clamp_cursor()
    return state


def test_starts_with_the_first_input_and_filter():
    state = computed()
    assert state.input_spec == "squares8" and state.filter_specs == ("vertical",)
    assert state.result is not None and state.result.output.shape == (1, 6, 6)
    assert "padding valid | stride 1 | pool none | heatmaps | step off" in state.status_text().plain


def test_settings_cycle_and_wrap():
    state = ConvLabState()
    state.step_input(-1)
    assert INPUT_CHOICES[state.input_index] == "volume"
    for expected in [*PADDING_CHOICES[1:], PADDING_CHOICES[0]]:
        state.cycle_padding()
        assert state.padding == expected
    state.change_stride(10)
    assert state.stride == 4
    state.change_stride(-10)
    assert state.stride == 1
    state.cycle_pool()
    state.cycle_pool_size()
    assert (state.pool, state.pool_size) == ("max", 3)
    state.step_filter(-1)
    assert state.filter_specs == ("sharpen",)


def test_the_first_digit_step_switches_to_the_digit_input():
    state = ConvLabState()
    state.step_digit(1)
    assert state.input_spec == "digit:0"
    state.step_digit(1)
    assert state.input_spec == "digit:1"


def test_custom_kernel_becomes_the_last_filter_choice():
    state = ConvLabState()
    with pytest.raises(EngineError):
        state.use_custom("1,2;3")
    assert state.custom is None and state.custom_text == ""
    state.use_custom("1, 1; 1, 1")
    assert state.filter_specs == ("custom:1,1;1,1",) and state.custom_text == "1,1;1,1"


def test_a_bad_setting_is_a_message_not_an_error():
    state = ConvLabState()
    state.padding = "same"
    state.use_custom("1,1;1,1")  # an even kernel cannot keep the size
    assert state.compute() != "" and state.result is None
    assert state.move(0, 1) is False and state.start_play() is False


def test_step_mode_moves_and_explains_the_cell():
    state = computed()
    assert state.move(1, 1) is True
    assert state.step_mode and state.cursor == (0, 0, 0)  # the first move turns it on
    state.move(10, -10)
    assert state.cursor == (0, 5, 0)
    assert state.explanation is not None and state.explanation.row == 5
    assert "output cell [0, 5, 0]" in explain_text(state).plain
    state.step_channel(1)
    assert state.cursor[0] == 0  # one filter: the channel wraps onto itself
    state.toggle_step()
    assert not state.step_mode and explain_text(state).plain == ""


def test_the_slide_walks_the_cells_in_reading_order_and_stops_at_the_end():
    state = computed(stride=2)  # 3x3 output
    assert state.start_play() and state.cursor == (0, 0, 0)
    cells = [state.cursor]
    while state.advance():
        cells.append(state.cursor)
    assert cells[-1] == (0, 2, 2) and len(cells) == 9 and state.at_last_cell()
    assert state.start_play() and state.cursor == (0, 0, 0)  # from the start again
    assert "(playing)" in state.status_text(playing=True).plain


def test_figure_draws_every_panel_and_the_colour_bar():
    state = computed(pool="max")
    drawn = figure(state, "truecolor", 120).plain
    assert "input 8x8" in drawn and "output 0 6x6" in drawn and "max pool 0 3x3" in drawn
    assert "input grey over its own range" in bar_text(state, "truecolor", 120)[0].plain
    state.show_values = True
    assert "\u2580" not in figure(state, "ascii", 120).plain
