"""The Conv lab tab with a custom kernel whose convolution overflows: a message, never a crash."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.conv_lab.pane import ConvLab, KernelInput
from tui.conv_lab.state import INPUT_CHOICES, ConvLabState

HUGE = "1e308,1e308;1e308,1e308"


class OneLabApp(App):
    def compose(self) -> ComposeResult:
        yield ConvLab(id="lab", color_mode="truecolor")

    def on_mount(self) -> None:
        self.query_one(ConvLab).focus()


def test_state_refuses_an_overflowing_kernel_on_every_input():
    state = ConvLabState()
    state.use_custom(HUGE)  # each number is finite: only the sums overflow
    for index in range(len(INPUT_CHOICES)):
        state.input_index = index
        message = state.compute()
        assert "the convolution overflows" in message and "\n" not in message
        assert state.result is None
        state.clamp_cursor()  # no result: nothing to explain, no crash
        assert "custom:1e+308" in state.status_text().plain


def test_state_keeps_working_after_a_huge_kernel():
    state = ConvLabState()
    state.use_custom(HUGE)
    assert state.compute()
    state.use_custom("1e300,0;0,1e300")
    state.step_mode = True
    assert state.compute() == ""
    state.clamp_cursor()
    assert state.explanation is not None and state.explanation.total == 2e300


async def test_typing_an_overflowing_kernel_shows_a_message():
    app = OneLabApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lab = app.query_one(ConvLab)
        await pilot.press("e")
        lab.query_one(KernelInput).value = HUGE
        await pilot.press("enter")
        await pilot.pause()
        assert "the convolution overflows" in lab.message and lab.has_class("-error")
        await pilot.press(
            "v", "w", "right", "a", "+", "o"
        )  # numbers, step, move, play, stride, pool
        await pilot.pause()
        assert app.is_running and "overflows" in lab.message
        content = lab.query_one("#conv-message", Static).content
        assert "overflows" in str(getattr(content, "plain", content))
