"""The Conv lab tab (tui.conv_lab.pane.ConvLab) driven with Textual's Pilot: every key changes the
state and the drawing, bad settings show a message in the tab, and torch stays out."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer, Static

from engine.convlab import arithmetic, inputs
from tui.conv_lab.pane import ConvLab, KernelInput
from tui.conv_lab.state import INPUT_CHOICES

SIZE = (120, 40)


class LabApp(App):
    def __init__(self, color_mode: str = "truecolor") -> None:
        super().__init__()
        self.mode = color_mode

    def compose(self) -> ComposeResult:
        yield ConvLab(id="lab", color_mode=self.mode)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ConvLab).focus()


def text_of(lab: ConvLab, selector: str) -> str:
    content = lab.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)


def figure(lab: ConvLab) -> str:
    return text_of(lab, "#conv-figure")


async def start(pilot) -> ConvLab:
    await pilot.pause()
    return pilot.app.query_one(ConvLab)


def test_importing_the_tab_leaves_torch_out():
    code = (
        "import sys; import tui.conv_lab.pane; "
        "print('torch' in sys.modules, 'engine.data.mnist' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_every_binding_has_a_description():
    for binding in ConvLab.BINDINGS:
        assert binding.description, binding.key


async def test_initial_drawing_and_footer():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        assert lab.has_focus
        assert lab.input_spec == "squares8" and lab.filter_specs == ("vertical",)
        drawn = figure(lab)
        assert "input 8x8" in drawn and "0: vertical 3x3" in drawn and "output 0 6x6" in drawn
        assert "\u2580" in drawn  # half-block heatmaps
        bar = text_of(lab, "#conv-bar")
        assert "input grey over its own range" in bar  # the colour bars' caption
        assert lab.query_one("#conv-bar-output").texts() == ("-3", "0", "3")  # outputs' range
        assert "floor((8 + 2*0 - 3) / 1) + 1 = 6" in text_of(lab, "#conv-formula")
        assert "i/I input" in text_of(lab, "#conv-keys")
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"i", "f", "p", "w", "a", "v"} <= footer_keys


async def test_input_keys_cycle_the_inputs():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("i")
        assert lab.input_spec == "squares6" and "input 6x6" in figure(lab)
        await pilot.press("i")
        assert lab.input_spec == "map4"
        await pilot.press("I", "I")
        assert lab.input_spec == "squares8"
        await pilot.press("I")
        assert INPUT_CHOICES[lab.input_index] == "volume"
        drawn = figure(lab)
        assert "input ch0" in drawn and "input ch2" in drawn
        assert "actual output 1x4x4" in text_of(lab, "#conv-formula")


async def test_digit_keys_pick_mnist_test_digits():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("n")  # switches to the digit input first
        assert lab.input_spec == "digit:0" and lab.lab_input.label == 7
        await pilot.press("n", "n")
        assert lab.input_spec == "digit:2" and lab.lab_input.label == 1
        assert "digit:2 (label 1) 28x28" in lab.status_text().plain
        await pilot.press("N")
        assert lab.input_spec == "digit:1"
        np.testing.assert_array_equal(lab.lab_input.pixels, inputs.read_test_digit(1)[0])
        assert "input 28x28" in figure(lab) and "output 0 26x26" in figure(lab)


async def test_filter_keys_and_several_output_channels():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("f")
        assert lab.filter_specs == ("horizontal",) and "0: horizontal" in figure(lab)
        await pilot.press("f", "f", "f")
        assert lab.filter_specs == ("sobel-x", "sobel-y")
        drawn = figure(lab)
        assert "0: sobel-x" in drawn and "1: sobel-y" in drawn and "output 1 6x6" in drawn
        assert lab.result.output.shape == (2, 6, 6)
        await pilot.press("f")
        assert [f.name for f in lab.filters] == ["fixed-v", "fixed-v-neg", "fixed-h", "fixed-h-neg"]
        assert "output 3 5x5" in figure(lab)
        await pilot.press("F", "F", "F", "F", "F")
        assert lab.filter_specs == ("vertical",)


async def test_padding_stride_and_pooling_keys():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("p")
        assert lab.padding == "same" and lab.result.output.shape == (1, 8, 8)
        assert "floor((8 + 2*1 - 3) / 1) + 1 = 8" in text_of(lab, "#conv-formula")
        await pilot.press("p")
        assert lab.padding == "1"
        await pilot.press("p")
        assert lab.padding == "2" and lab.result.output.shape == (1, 10, 10)
        await pilot.press("p")
        assert lab.padding == "valid"
        await pilot.press("plus")
        assert lab.stride == 2 and lab.result.output.shape == (1, 3, 3)
        assert "floor((8 + 2*0 - 3) / 2) + 1 = 3" in text_of(lab, "#conv-formula")
        await pilot.press("minus", "minus")
        assert lab.stride == 1
        await pilot.press("o")
        assert lab.pool == "max" and lab.result.pooled.shape == (1, 3, 3)
        assert "max pool 0 3x3" in figure(lab)
        assert "floor((6 - 2) / 2) + 1 = 3" in text_of(lab, "#conv-formula")
        await pilot.press("z")
        assert lab.pool_size == 3 and lab.result.pooled.shape == (1, 2, 2)
        await pilot.press("o")
        assert lab.pool == "avg" and "avg pool 0" in figure(lab)
        np.testing.assert_allclose(
            lab.result.pooled[0], arithmetic.pool2d(lab.result.output[0], 3, 3, "avg")
        )
        await pilot.press("o")
        assert lab.pool is None and "pool 0" not in figure(lab)


async def test_values_key_shows_numbers_in_cells():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("i", "i", "v")  # the 4x4 map of 1..16
        assert lab.show_values
        drawn = figure(lab)
        assert "\u2580" not in drawn
        assert " 1  2  3  4" in drawn and "13 14 15 16" in drawn
        assert "-6 -6" in drawn  # the vertical edge filter's output on the map
        await pilot.press("n")  # a digit: its 0-255 pixels, as the tutorials print it
        drawn = figure(lab)
        assert "input pixels (/255) 28x28" in drawn
        assert str(int(lab.lab_input.pixels.max())) in drawn
        await pilot.press("v")
        assert not lab.show_values and "\u2580" in figure(lab)


async def test_step_mode_moves_the_window_and_explains_the_cell():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("i", "i")  # map4
        before = lab.query_one("#conv-figure", Static).content
        await pilot.press("w")
        assert lab.step_mode and lab.cursor == (0, 0, 0)
        explain = text_of(lab, "#conv-explain")
        assert "output cell [0, 0, 0]" in explain and "sum of products = -6" in explain
        after = lab.query_one("#conv-figure", Static).content
        assert after.plain == before.plain and after != before  # highlighted by colour
        await pilot.press("right")
        assert lab.cursor == (0, 0, 1) and "output cell [0, 0, 1]" in text_of(lab, "#conv-explain")
        await pilot.press("down", "down", "right")  # clamped to the 2x2 output
        assert lab.cursor == (0, 1, 1)
        await pilot.press("left", "up")
        assert lab.cursor == (0, 0, 0)
        exp = lab.explanation
        assert exp.rows == (0, 3) and exp.cols == (0, 3)
        assert exp.total == lab.result.output[0, 0, 0]
        await pilot.press("p", "down", "right")  # padding 'same': the window covers zeros
        assert lab.cursor == (0, 1, 1) and lab.result.output.shape == (1, 4, 4)
        assert "input + padding 1 6x6" in figure(lab)
        await pilot.press("f", "f", "f", "f")  # sobel-x and sobel-y: two output channels
        await pilot.press("right_square_bracket")
        assert lab.cursor[0] == 1 and "output cell [1," in text_of(lab, "#conv-explain")
        await pilot.press("left_square_bracket")
        assert lab.cursor[0] == 0
        await pilot.press("w")
        assert not lab.step_mode and lab.has_class("-stepping") is False


async def test_step_mode_highlights_in_numbers_and_ascii():
    app = LabApp(color_mode="ascii")
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        drawn = figure(lab)
        assert "\u2580" not in drawn and any(ch in drawn for ch in "@#%*")
        await pilot.press("w")
        content = lab.query_one("#conv-figure", Static).content
        assert any(span.style and "reverse" in str(span.style) for span in content.spans)
        await pilot.press("v")
        content = lab.query_one("#conv-figure", Static).content
        assert any(span.style and "reverse" in str(span.style) for span in content.spans)


async def test_play_slides_the_window_and_stops_at_the_end():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("i", "i")  # map4 with the 3x3 filter: a 2x2 output
        await pilot.press("a")
        assert lab.playing and lab.step_mode
        for _ in range(40):
            await pilot.pause(0.1)
            if not lab.playing:
                break
        assert not lab.playing and lab.cursor == (0, 1, 1)
        await pilot.press("a")  # from the end it starts again at the first cell
        assert lab.playing and lab.cursor == (0, 0, 0)
        await pilot.press("a")
        assert not lab.playing


async def test_custom_kernel_input_bad_then_good():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("e")
        field = lab.query_one(KernelInput)
        assert lab.has_class("-editing") and field.has_focus
        await pilot.press(*"1,2;3", "enter")
        assert "different lengths" in lab.message and lab.has_class("-error")
        assert "different lengths" in text_of(lab, "#conv-message")
        assert lab.filter_specs == ("vertical",)  # unchanged
        field.value = ""
        await pilot.press(*"1,x", "enter")
        assert "not a number" in lab.message
        field.value = ""
        await pilot.press(*"1,1;1,1", "enter")
        assert lab.message == "" and not lab.has_class("-error")
        assert lab.filter_specs == ("custom:1,1;1,1",) and lab.has_focus
        assert lab.result.output.shape == (1, 7, 7)
        await pilot.press("e", "escape")
        assert not lab.has_class("-editing") and lab.has_focus
        await pilot.press("f")  # the custom kernel stays among the choices
        assert lab.filter_specs == ("vertical",)
        await pilot.press("F")
        assert lab.filter_specs == ("custom:1,1;1,1",)


async def test_bad_settings_show_a_message_and_never_crash():
    app = LabApp()
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("f", "f", "f", "f", "f", "p")  # 4x4 fixed filters with 'same'
        assert lab.padding == "same" and lab.result is None
        assert "odd kernel" in text_of(lab, "#conv-message")
        assert "0: fixed-v" in figure(lab)  # input and filters are still drawn
        await pilot.press("w", "right", "a", "v", "o", "z")  # nothing to step through: no crash
        assert not lab.playing
        await pilot.press("p", "p", "p")  # back to valid: fine again
        assert lab.message == "" and lab.result is not None
        await pilot.press("e")
        lab.query_one(KernelInput).value = ";".join(["1,1,1,1,1,1,1,1,1,1"] * 10)
        await pilot.press("enter")
        await pilot.press("i", "i")  # the 4x4 map under a 10x10 kernel
        assert "larger than the padded" in lab.message and lab.result is None
        await pilot.press("p", "p", "p", "p")  # padding 2 still too small, then valid
        assert "larger than the padded" in lab.message


@pytest.mark.parametrize("mode", ["truecolor", "256", "ascii"])
async def test_colour_modes_render(mode):
    app = LabApp(color_mode=mode)
    async with app.run_test(size=SIZE) as pilot:
        lab = await start(pilot)
        await pilot.press("n", "o", "w")
        assert "output 0 26x26" in figure(lab) and "max pool 0 13x13" in figure(lab)
        lab.color_mode = "ascii" if mode != "ascii" else "truecolor"
        await pilot.pause()
        assert ("\u2580" in figure(lab)) == (mode == "ascii")
