"""CachedPlot: a plotext plot that builds its picture once per change, not once per repaint.

``PlotextPlot.render`` builds the whole figure on every call, and Textual calls it on every
repaint of the screen: after a layout change (a new layer's kernel grid) two charts cost tens of
milliseconds of each key press. This one keeps the built text until ``changed()`` (new data),
a new size or a new theme.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.message import Message
from textual_plotext import PlotextPlot


class CachedPlot(PlotextPlot):
    """A ``PlotextPlot`` whose owner calls ``changed()`` after drawing into ``plt``, and
    hears ``CachedPlot.Resized`` when its size changes (ticks are chosen for a size: a plot
    resized by its neighbours, not by the terminal, must be drawn again)."""

    class Resized(Message):
        """The plot has a new size; its owner draws it again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._version = 0
        self._built: tuple[tuple[object, ...], RenderResult] | None = None

    def changed(self) -> None:
        """The figure's data or settings changed: build it again at the next repaint."""
        self._version += 1
        self.refresh()

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    def render(self) -> RenderResult:
        key = (self._version, self.size, self.app.theme)
        if self._built is None or self._built[0] != key:
            self._built = (key, super().render())
        return self._built[1]
