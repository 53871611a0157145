"""DrawingControl: the Train tab's drawing (p) and picture file (o), to the engine and back.

It opens and closes ``tui.train.draw_panel.DrawPanel`` (loaded on first use), sends every
stroke as the engine's ``drawn`` op (the canvas pre-processed as MNIST was, as ``--image`` is)
and shows the reply: the inspector's sample, probabilities and feature maps follow the
drawing. ``o`` opens ``tui.train.picture_picker.PicturePicker`` and asks for ``image``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.train.input_keys import takes_digits

if TYPE_CHECKING:
    import numpy as np

    from tui.train.draw_panel import DrawPanel
    from tui.train.tab import TrainTab


class DrawingControl:
    """The Train tab's drawing (p) and picture file (o): opens the panel and the picker, sends
    the ``drawn`` and ``image`` ops and shows their replies (purposes "drawn", "picture")."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab
        self.panel: DrawPanel | None = None
        # what the custom input (sample index -1) is: "drawn" or the picture file's name
        self.input_name = "drawn"

    def handlers(self) -> dict[str, Any]:
        return {"drawn": self.got_drawn, "picture": self.got_picture}

    @property
    def is_open(self) -> bool:
        return self.panel is not None and self.panel.display

    async def toggle(self) -> None:
        """Open the canvas (focused), or close it when it is open."""
        if self.is_open:
            self.close()
            return
        tab = self.tab
        if not takes_digits(tab.inspector.info):
            name = tab.inspector.info.get("name") or "this model"
            tab.notify(f"p: {name} takes photos, not digits; o opens a picture.", timeout=4)
            return
        left = tab.query_one("#left")
        if self.panel is None:
            from tui.train.draw_panel import DrawPanel

            self.panel = DrawPanel(self, color_mode=tab.color_mode, id="draw")
            await left.mount(self.panel, before=0)
        self.panel.display = True
        left.add_class("-drawing")
        self.panel.canvas.focus()
        if not self.panel.canvas.drawing.blank:  # kept from before: the inspector shows it
            self.panel.canvas.send()

    def close(self) -> None:
        """Close the canvas (its drawing kept for the next ``p``); the layer table focused."""
        if self.panel is not None:
            self.panel.display = False
            self.panel.release()
            self.tab.focus_main()

    def send(self, pixels: np.ndarray) -> None:
        """Ask the engine to make the drawing the input (its reply: ``got_drawn``)."""
        if self.tab.run.loaded_model is None:
            self.tab.notify("The model is still loading.")
            return
        self.tab.engine.want("drawn", "drawn", pixels=pixels)
        if self.panel is not None and not self.panel.canvas.drawing.blank:
            self.panel.set_result("…")

    def show_input(self, payload: dict[str, Any]) -> None:
        """The custom input (index -1) in the inspector: sample, probabilities, maps."""
        tab = self.tab
        tab.selection.sample_index = int(payload.get("index", -1))
        tab.inspector.set_sample(payload)
        tab.feed.refresh(kernels=False, sample=False)

    def leave_for_digit(self) -> None:
        """A test digit goes into the inspector: the canvas closes, so its prediction is
        never beside another input's."""
        if self.is_open:
            self.close()

    def got_drawn(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if not self.is_open:  # a late reply: a test digit took the inspector meanwhile
            return
        self.input_name = "drawn"
        self.show_input(payload)
        if self.panel is not None:
            self.panel.show_reply(payload, self.tab.inspector.class_names)

    def pick_picture(self) -> None:
        """The picture picker over the tab, from the working folder; a pick asks ``image``."""
        from tui.train.picture_picker import PicturePicker

        self.tab.app.push_screen(PicturePicker(Path.cwd()), self.picked)

    def picked(self, path: Path | None) -> None:
        if path is not None:
            self.tab.engine.want("picture", "image", path=str(path))

    def got_picture(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        self.input_name = Path(str(kwargs.get("path", ""))).name or "picture"
        self.show_input(payload)
        self.tab.notify(f"Showing {Path(str(kwargs.get('path', ''))).name}.", timeout=3)
