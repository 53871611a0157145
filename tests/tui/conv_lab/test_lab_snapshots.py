"""Snapshots of the Conv lab's colours (issue 14, point 6): a digit in grey beside its
diverging kernel and output, and the 3-channel volume in step mode, each kind of panel with
its own colour bar. Review and accept a change with ``--snapshot-update``."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.conv_lab.pane import ConvLab


class LabApp(App):
    """The Conv lab alone (numpy only: no engine, nothing timed)."""

    def compose(self) -> ComposeResult:
        yield ConvLab(id="lab", color_mode="truecolor")

    def on_mount(self) -> None:
        self.query_one(ConvLab).focus()


def test_conv_lab_digit_80x24(snap_compare) -> None:
    assert snap_compare(LabApp(), press=["n"], terminal_size=(80, 24))


def test_conv_lab_volume_step_120x40(snap_compare) -> None:
    keys = ["i", "i", "i", "i", "w", "right"]  # the 6x6x3 volume, step mode, second cell
    assert snap_compare(LabApp(), press=keys, terminal_size=(120, 40))
