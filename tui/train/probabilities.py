"""Probabilities: class probability bars for the current sample, true and predicted class marked."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.render.colormap import NONFINITE_CHAR
from tui.widgets.halfblock import check_mode

EIGHTHS = " ▏▎▍▌▋▊▉"
MAX_NAME = 12
MIN_BAR = 4
ALL_CLASSES = 10  # up to this many classes every one is shown, in class order (MNIST's ten)


def bar_text(fraction: float, cells: int, ascii_mode: bool = False) -> str:
    """A bar ``fraction`` (0..1) of ``cells`` long, in eighths of a cell (``#`` in ASCII)."""
    fraction = float(fraction)
    fraction = min(max(fraction, 0.0), 1.0) if fraction == fraction else 0.0  # NaN: empty bar
    if cells <= 0:
        return ""
    if ascii_mode:
        full = int(round(fraction * cells))
        return ("#" * full).ljust(cells)
    eighths = int(round(fraction * cells * 8))
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part and full < cells else "")
    return text.ljust(cells)


def short_name(name: str, width: int) -> str:
    """``name`` in ``width`` cells, cut with an ellipsis at a word boundary where one is near
    ("great white shark" -> "great white…"), else mid-word ("Egyptian cat" -> "Egypti…")."""
    if len(name) <= width:
        return name
    if width <= 1:
        return name[:width]
    words = name[:width].rsplit(" ", 1)[0].rstrip(" ,")
    if " " in name[:width] and len(words) >= max(3, width // 2):
        return words + "…"
    return name[: width - 1] + "…"


def format_percent(p: float, narrow: bool) -> str:
    """ " 93%" / " 93.2%"; "  NaN" (as wide) for a probability that is not a number."""
    if not math.isfinite(p):
        return f"{NONFINITE_CHAR}NaN".rjust(4 if narrow else 6)
    return f"{p:4.0%}" if narrow else f"{p * 100:5.1f}%"


class Probabilities(Widget):
    """Class probability bars for the current sample.

    All classes in class order when they fit (MNIST's ten); otherwise the most probable ones,
    sorted, always keeping the true and the predicted class. Marks: ``T`` true class, ``P``
    predicted class (``TP`` when right); in colour the true row is green, a wrong prediction red.
    A ``note`` (such as "random weights") takes the first line. ``rows_wanted`` is the height
    that shows every class (ten at most) and the note; ``SamplePanel`` gives it that much."""

    DEFAULT_CSS = """
    Probabilities {
        height: 1fr;
        width: 1fr;
    }
    Probabilities > .probabilities--bar {
        color: $accent;
    }
    Probabilities > .probabilities--true {
        color: $success;
        text-style: bold;
    }
    Probabilities > .probabilities--wrong {
        color: $error;
        text-style: bold;
    }
    Probabilities > .probabilities--note {
        color: $warning;
        text-style: bold;
    }
    """
    COMPONENT_CLASSES = {
        "probabilities--bar",
        "probabilities--true",
        "probabilities--wrong",
        "probabilities--note",
    }

    color_mode: reactive[str] = reactive("256", init=False)

    def __init__(
        self,
        *,
        color_mode: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        from tui.widgets.heatmap import detect_color_mode

        self.probs: np.ndarray = np.zeros(0, dtype=np.float32)
        self.label: int | None = None
        self.pred: int | None = None
        self.class_names: list[str] | None = None
        self.note = ""
        self.pending = False
        self.set_reactive(Probabilities.color_mode, color_mode or detect_color_mode())
        self._lines: list[Strip] | None = None  # built once per sample, size and style

    def watch_color_mode(self) -> None:
        self._lines = None
        self.refresh()

    def on_resize(self) -> None:
        self._lines = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = None

    def set_probs(
        self,
        probs: Sequence[float] | np.ndarray | None,
        label: int | None = None,
        pred: int | None = None,
        class_names: Sequence[str] | None = None,
        note: str = "",
    ) -> None:
        """Show ``probs`` (one per class); ``label``/``pred`` are class indices (None: unknown
        or not a class of the model); ``note`` is a line shown above the bars ("" for none)."""
        self.probs = (
            np.zeros(0, np.float32)
            if probs is None
            else np.asarray(probs, dtype=np.float32).reshape(-1)
        )
        self.label = None if label is None or int(label) < 0 else int(label)
        # A digit drawn before the engine's reply (tui.train.local_digits): its prediction follows.
        self.pending = probs is None and self.label is not None
        self.pred = None if pred is None or int(pred) < 0 else int(pred)
        if class_names is not None:
            self.class_names = [str(n) for n in class_names]
        self.note = note
        self._lines = None
        self.refresh()

    def validate_color_mode(self, mode: str) -> str:
        return check_mode(mode)

    def name_of(self, index: int) -> str:
        if self.class_names is not None and index < len(self.class_names):
            return self.class_names[index]
        return str(index)

    def rows_wanted(self) -> int:
        """Lines that show every class (ten at most; ten before the first sample) and the note."""
        classes = self.probs.size or ALL_CLASSES
        return min(classes, ALL_CLASSES) + (1 if self.note else 0)

    def shown_classes(self, rows: int) -> list[int]:
        """Class indices to draw in ``rows`` lines."""
        n = self.probs.size
        if rows <= 0 or n == 0:
            return []
        if n <= rows and n <= ALL_CLASSES:
            return list(range(n))
        order = [int(i) for i in np.argsort(-self.probs, kind="stable")]
        chosen = order[:rows]
        for must in (self.label, self.pred):
            if must is not None and must < n and must not in chosen:
                keep = [c for c in chosen if c in (self.label, self.pred)]
                rest = [c for c in chosen if c not in keep]
                chosen = sorted(
                    keep + [must] + rest[: max(0, rows - len(keep) - 1)],
                    key=lambda c: -float(self.probs[c]),
                )
        return chosen[:rows]

    def row_styles(self) -> tuple[Style, Style, Style, Style]:
        """(bar, true class, wrong prediction, note) styles; attributes only in ASCII mode."""
        if self.color_mode == "ascii":
            return Style(), Style(bold=True), Style(reverse=True), Style(bold=True)
        component = self.get_component_rich_style
        return (
            component("probabilities--bar"),
            component("probabilities--true"),
            component("probabilities--wrong"),
            component("probabilities--note"),
        )

    def render_line(self, y: int) -> Strip:
        """Line API with cached strips: a frame that repaints the panel (a layer change, a
        live refresh) costs a list lookup instead of laying out rich Text again."""
        width = self.size.width
        if self._lines is None:
            base = self.rich_style
            rows = self.as_text().split("\n", allow_blank=True)
            console = self.app.console
            self._lines = [
                Strip(Segment.simplify(row.render(console, end="")))
                .apply_style(base)
                .adjust_cell_length(width, base)
                for row in rows
            ]
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(width, self.rich_style)

    def as_text(self) -> Text:
        """The bars as rich Text, one line per shown class."""
        width, height = self.size
        note = self.note[:width] if self.note and height > 1 else ""
        classes = self.shown_classes(height - (1 if note else 0))
        if not classes:
            return Text(("predicting…" if self.pending else "no sample") if height else "")
        narrow = width < 22
        pct_w = 4 if narrow else 6
        # names give way to a bar of at least MIN_BAR cells
        longest = min(MAX_NAME, max(len(self.name_of(c)) for c in classes))
        # Digits give way to a bar of at least MIN_BAR cells; words (ImageNet's names) come
        # first, the percentage says the value where no bar fits.
        min_bar = MIN_BAR if longest <= 3 else 0
        name_w = max(1, min(longest, width - 4 - pct_w - min_bar))
        bar_w = max(0, width - name_w - 4 - pct_w)
        bar_style, true_style, wrong_style, note_style = self.row_styles()
        text = Text(no_wrap=True, overflow="crop")
        if note:
            text.append(note + "\n", note_style)
        for line, c in enumerate(classes):
            p = float(self.probs[c])
            mark = ("T" if c == self.label else "") + ("P" if c == self.pred else "")
            row_style = true_style if c == self.label else wrong_style if c == self.pred else None
            text.append(f"{short_name(self.name_of(c), name_w):>{name_w}} {mark:<2}", row_style)
            text.append(bar_text(p, bar_w, self.color_mode == "ascii"), row_style or bar_style)
            text.append(" " + format_percent(p, narrow), row_style)
            if line < len(classes) - 1:
                text.append("\n")
        return text
