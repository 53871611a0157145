"""PixelImage: a numpy picture drawn at full resolution with textual-image (Kitty graphics or
Sixel), for terminals that ``tui.widgets.graphics`` says speak one; elsewhere the half-block
HeatmapGrid is used instead and this module (and textual-image, and Pillow) is never imported.

textual-image probes the terminal when it is imported: ``textual_image.renderable`` writes a
device-attributes query (Sixel) and a Kitty graphics query to stdout and reads the reply from
stdin (select, 0.1 s each, cbreak mode; a terminal that does not answer loses a typed
character, and inside a running Textual app the reply would be read as keys), and
``textual_image.widget`` asks for the cell size (ioctl, then an escape query read from
stdin). ``load_protocol_widget`` imports it with both probes switched off: the cell size is
taken from the TIOCGWINSZ ioctl alone (no reading) and preset in textual-image's cache, and
while its package runs ``sys.__stdout__`` answers ``isatty() -> False``, which is
textual-image's own condition for not querying. Nothing here reads stdin.
"""

from __future__ import annotations

import os
import struct
import sys
from typing import Any

import numpy as np
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

DEFAULT_CELL_PIXELS = (10, 20)  # textual-image's own fallback (a VT340's cell)
UPSCALE_PIXELS = 448  # a 28x28 digit enlarged 16x before the terminal-sized resize
_WIDGETS: dict[str, type[Widget]] = {}


class _NotATerminal:
    """A stream that forwards everything to ``stream`` but says it is not a terminal."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def cell_pixels(stream: Any = None) -> tuple[int, int] | None:
    """(width, height) of a terminal cell in pixels from the TIOCGWINSZ ioctl of ``stream``
    (default sys.__stdout__); None when it is not a terminal or reports no pixel size (tmux,
    many SSH sessions). An ioctl only: nothing is written to or read from the terminal."""
    stream = sys.__stdout__ if stream is None else stream
    try:
        if stream is None or not stream.isatty():
            return None
        import fcntl
        import termios

        packed = fcntl.ioctl(stream.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        rows, cols, width, height = struct.unpack("HHHH", packed)
    except (OSError, ValueError, ImportError, AttributeError):
        return None
    if not (rows and cols and width and height):
        return None
    return width // cols, height // rows


def preset_cell_size(terminal_module: Any) -> None:
    """Fill textual-image's cell-size cache (``get_cell_size._result``) so it never queries:
    the ioctl's size, else TEXTUAL_CELL_WIDTH/HEIGHT, else its VT340 default."""
    getter = terminal_module.get_cell_size
    if hasattr(getter, "_result"):
        return
    size = cell_pixels()
    env_w, env_h = os.environ.get("TEXTUAL_CELL_WIDTH", ""), os.environ.get("TEXTUAL_CELL_HEIGHT")
    if size is None and env_w.isdigit() and (env_h or "").isdigit():
        size = (int(env_w), int(env_h or 0))
    getter._result = terminal_module.CellSize(*(size or DEFAULT_CELL_PIXELS))


def load_protocol_widget(protocol: str) -> type[Widget]:
    """textual-image's widget class for ``protocol`` ("kitty": TGPImage; "sixel" and
    "iterm": SixelImage), imported without its terminal probes (see the module's note).
    ImportError when textual-image is not installed; ValueError for another protocol."""
    if protocol not in ("kitty", "sixel", "iterm"):
        raise ValueError(f"no picture widget for graphics {protocol!r}")
    if protocol not in _WIDGETS:
        import textual_image._terminal as terminal  # imports only; probes nothing

        preset_cell_size(terminal)
        real_stdout = sys.__stdout__
        sys.__stdout__ = _NotATerminal(real_stdout)  # type: ignore[assignment]
        try:
            import textual_image.renderable  # noqa: F401  (its probes need a terminal)
            import textual_image.widget as widgets
        finally:
            sys.__stdout__ = real_stdout
        _WIDGETS["kitty"] = widgets.TGPImage
        _WIDGETS["sixel"] = _WIDGETS["iterm"] = widgets.SixelImage
    return _WIDGETS[protocol]


def to_pil(image: np.ndarray) -> Any:
    """A PIL image of ``image`` (uint8 (H, W) grey or (H, W, 3) RGB; floats in [0, 1] are
    scaled), enlarged by a whole factor with nearest-neighbour to about UPSCALE_PIXELS, so
    the terminal-sized resize keeps pixels square and crisp instead of blurring them."""
    from PIL import Image

    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = (np.clip(np.nan_to_num(array), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    picture = Image.fromarray(array, "RGB" if array.ndim == 3 else "L").convert("RGB")
    factor = max(1, UPSCALE_PIXELS // max(array.shape[:2]))
    return picture.resize((picture.width * factor, picture.height * factor), Image.NEAREST)


class PixelImage(Vertical):
    """A caption line over a picture drawn with graphics ``protocol`` at full resolution
    (textual-image's widget, ``#pixel-picture``), its aspect ratio kept."""

    DEFAULT_CSS = """
    PixelImage { height: 1fr; }
    PixelImage > #pixel-caption { height: 1; }
    PixelImage > #pixel-picture { width: 1; height: 1; }
    """

    def __init__(self, protocol: str, **widget_options: Any) -> None:
        super().__init__(**widget_options)
        self.protocol = protocol
        self.picture_class = load_protocol_widget(protocol)
        self.shown: np.ndarray | None = None  # the last picture's pixels (tests, benchmarks)

    def compose(self) -> ComposeResult:
        yield Static("", id="pixel-caption", markup=False)
        yield self.picture_class(id="pixel-picture")

    @property
    def picture(self) -> Widget:
        return self.query_one("#pixel-picture")

    def set_image(self, image: np.ndarray | None, caption: str = "") -> None:
        """Show ``image`` (see ``to_pil``; None clears) under ``caption``."""
        self.shown = None if image is None else np.asarray(image)
        self.query_one("#pixel-caption", Static).update(caption)
        self.picture.image = None if image is None else to_pil(image)  # type: ignore[attr-defined]
        self.fit_picture()

    def on_resize(self) -> None:
        self.fit_picture()

    def fit_picture(self) -> None:
        """Size the picture to the largest cells that fit under the caption with the image's
        aspect ratio (square pixels) at the terminal's cell size."""
        if self.shown is None or not self.content_size.height:
            return
        import textual_image._terminal as terminal

        cell = terminal.get_cell_size()
        height, width = self.shown.shape[:2]
        room = (self.content_size.width, self.content_size.height - 1)
        cells = fit_cells(room, (width, height), (cell.width, cell.height))
        self.picture.styles.width, self.picture.styles.height = cells


def fit_cells(
    room: tuple[int, int], image: tuple[int, int], cell: tuple[int, int]
) -> tuple[int, int]:
    """(width, height) in cells of an ``image`` (width, height) pixels drawn as large as fits
    ``room`` (width, height) cells of ``cell`` (width, height) pixels, its aspect kept; at
    least 1x1."""
    scale = min(room[0] * cell[0] / image[0], room[1] * cell[1] / image[1])
    width = int(image[0] * scale // cell[0])
    height = int(image[1] * scale // cell[1])
    return max(1, width), max(1, height)
