"""The Evaluate tab's act-max grid as plain state: which target, the replies, what to ask next.

The grid shows every class (0-9, or the model's named classes) or every channel of one conv
layer. The engine is asked one panel at a time (``actmax`` with ``target_class=K`` or
``layer``/``channel``) and each reply
asks for the next missing panel, so the UI stays responsive, the grid fills in as the panels
arrive and training (which the child serves between steps) is held up ~0.5 s at a time, not
for the whole grid. Replies are kept per target while the tab stays in view, so g cycles
through classes and layers without computing them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tui.class_names import cut_name, name_of

CLASSES = "classes"  # the target that shows every class's logit maximised
CLASS_COUNT = 10  # MNIST; a model with fewer answers the first class past its end with an error

Request = tuple[str, str, dict[str, Any]]  # (kind, op, kwargs), as EvaluateState's
SIDE = 28  # an MNIST input, before the first reply tells the real size
BAR_LABEL = "pixel value, all panels"
HOW_CLASS = (
    "bright: the input that raises class K's logit most (K and p(K) above each); "
    "regularised (jitter, total variation, L2) so strokes show",
    "bright: input that raises class K's logit most; regularised (jitter, TV, L2) so strokes show",
    "bright: input raising class K's logit most; regularised (jitter, TV, L2)",
    "bright: what raises class K's logit most",
)
HOW_CHANNEL = (
    "bright: the input that excites {layer}'s channel most (mean ReLU over all places; its "
    "value above each); regularised (jitter, total variation, L2)",
    "bright: input that excites {layer}'s channel most; regularised (jitter, TV, L2)",
    "bright: input exciting {layer}'s channel most; regularised",
    "bright: what excites the channel most",
)


class ActMaxState:
    """Replies of the act-max grid and the one request in flight (no Textual)."""

    def __init__(self) -> None:
        self.target = CLASSES  # CLASSES or a conv layer's name
        self.items: dict[str, dict[int, dict[str, Any]]] = {}  # target -> panel -> reply
        self.counts: dict[str, int] = {CLASSES: CLASS_COUNT}  # panels per target (when known)
        self.layers: list[str] = []  # the model's conv layers (from the replies)
        self.asked: tuple[str, int] | None = None  # the newest request not answered yet
        self.page = 0  # the grid's page ([ and ] turn it when the panels do not fit)
        self.latest: dict[str, Any] | None = None  # the newest reply for the target in view
        self.computed_for: Any = None  # the evaluation the replies belong to (new weights)
        self.class_names: list[str] | None = None  # the model's classes (None: 0-9)

    # -- what is shown ----------------------------------------------------------------------
    @property
    def panels(self) -> dict[int, dict[str, Any]]:
        """The replies for the target in view, by class or channel."""
        return self.items.get(self.target, {})

    @property
    def count(self) -> int | None:
        """How many panels the target has (None: a layer whose channels are not known yet)."""
        return self.counts.get(self.target)

    @property
    def done(self) -> bool:
        count = self.count
        return count is not None and len(self.panels) >= count

    def targets(self) -> list[str]:
        return [CLASSES, *self.layers]

    # -- requests ---------------------------------------------------------------------------
    def request_for(self, target: str, index: int) -> Request:
        kwargs = (
            {"target_class": index} if target == CLASSES else {"layer": target, "channel": index}
        )
        return ("actmax", "actmax", kwargs)

    def next_requests(self) -> list[Request]:
        """The next missing panel's request, or none when all are in or one is in flight."""
        if self.asked is not None or self.done:
            return []
        index = next(i for i in range(len(self.panels) + 1) if i not in self.panels)
        self.asked = (self.target, index)
        return [self.request_for(self.target, index)]

    def restart(self, evaluation: Any) -> list[Request]:
        """Entering the view: forget replies computed for other weights, ask again."""
        if evaluation is not self.computed_for:
            classes = len(self.class_names) if self.class_names else CLASS_COUNT
            self.items, self.counts = {}, {CLASSES: classes}
            self.computed_for = evaluation
        self.asked, self.page = None, 0
        return self.next_requests()

    def next_target(self) -> list[Request]:
        """g: the next target (classes, then each conv layer, then classes again)."""
        targets = self.targets()
        position = targets.index(self.target) if self.target in targets else -1
        self.target = targets[(position + 1) % len(targets)]
        self.asked, self.page = None, 0  # the newer ask replaces any queued behind one in flight
        self.latest = next(reversed(self.panels.values()), None) if self.panels else None
        return self.next_requests()

    # -- replies ----------------------------------------------------------------------------
    def got(self, payload: dict[str, Any], kwargs: dict[str, Any], asking: bool) -> list[Request]:
        """A reply: kept under its target; the next request when it answered the newest ask
        and ``asking`` (the view is in sight)."""
        if kwargs.get("target_class") is not None:
            key, index = CLASSES, int(kwargs["target_class"])
        else:
            key, index = str(payload.get("layer")), int(payload.get("channel") or 0)
            if payload.get("channels"):
                self.counts[key] = int(payload["channels"])
        self.items.setdefault(key, {})[index] = payload
        self.layers = list(payload.get("layers") or self.layers)
        if key == self.target:
            self.latest = payload
        if self.asked == (key, index):
            self.asked = None
        return self.next_requests() if asking else []


# ----------------------------------------------------------- what the grid draws


def panel_title(
    target: str, index: int, payload: dict[str, Any] | None, names: Sequence[str] | None = None
) -> str:
    """ "3 p=0.97" for a class (its name: "cat p=0.97"), "#5 0.42" for a channel (its mean
    ReLU), "3 …" while waiting."""
    head = name_of(names, index) if target == CLASSES else f"#{index}"
    if payload is None:
        return f"{head} …"
    if target == CLASSES:
        return f"{head} p={float(payload.get('probability') or 0.0):.2f}"
    return f"{head} {float(payload.get('end') or 0.0):.2g}"


def fit_title(title: str, width: int) -> str:
    """``title`` in ``width`` cells keeping its number: the class name is cut
    ("T-shirt/top p=0.97" -> "T-sh… p=0.97"), never the probability (titles that fit, and
    those without a number, are left as they are)."""
    if width <= 0 or len(title) <= width or " " not in title:
        return title
    head, tail = title.rsplit(" ", 1)
    return f"{cut_name(head, max(1, width - len(tail) - 1))} {tail}"


def rgb_panels(maps: np.ndarray) -> np.ndarray:
    """Colour panels float (N, 3, H, W) in [0, 1] (NaN: not computed yet) as uint8
    (N, H, W, 3) pictures for the grid (a panel not computed yet is black)."""
    values = np.nan_to_num(np.clip(np.asarray(maps, dtype=np.float32), 0, 1), nan=0.0)
    return np.ascontiguousarray(np.rint(np.moveaxis(values, 1, -1) * 255).astype(np.uint8))


def grid_maps(state: ActMaxState) -> tuple[np.ndarray, list[str]]:
    """float32 (N, H, W) pixels in [0, 1] (NaN: not computed yet) and the panels' titles;
    a colour model's panels are (N, 3, H, W) (see :func:`rgb_panels`)."""
    panels = state.panels
    first = next(iter(panels.values()), None)
    shape = np.asarray(first["image"]).shape if first else (SIDE, SIDE)
    count = state.count or max(1, len(panels))
    maps = np.full((count, *shape), np.nan, dtype=np.float32)
    titles = []
    for index in range(count):
        payload = panels.get(index)
        if payload is not None:
            maps[index] = np.clip(np.asarray(payload["image"], dtype=np.float32), 0, 1)
        titles.append(panel_title(state.target, index, payload, state.class_names))
    return maps, titles


def halved(maps: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, ceil(H/2), ceil(W/2)): each 2x2 block's mean (an odd edge repeated);
    a block with a NaN (a panel not computed yet) stays NaN."""
    values = np.asarray(maps, dtype=np.float32)
    if values.ndim == 4:  # colour panels (N, 3, H, W): each channel on its own
        return np.stack([halved(values[:, c]) for c in range(values.shape[1])], axis=1)
    pad_h, pad_w = values.shape[1] % 2, values.shape[2] % 2
    values = np.pad(values, ((0, 0), (0, pad_h), (0, pad_w)), mode="edge")
    n, h, w = values.shape
    return values.reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))


def smoothness_ratios(panels: dict[int, dict[str, Any]]) -> list[float]:
    """Each panel's total variation over that of uniform noise of its range (smaller: smoother)."""
    return [
        p["total_variation"] / p["noise_total_variation"]
        for p in panels.values()
        if p.get("noise_total_variation")
    ]


def caption(state: ActMaxState) -> str:
    """What the grid shows, how far it got and, once done, the range of p and smoothness."""
    panels, count = state.panels, state.count
    progress = f"{len(panels)}/{count if count is not None else '?'}"
    busy = "" if state.done else f" · computing {progress}…"
    if state.target == CLASSES:
        head = "act-max of each class's logit"
        probabilities = [float(p["probability"]) for p in panels.values() if p.get("probability")]
        facts = (
            f" · p(K) {min(probabilities):.2f}–{max(probabilities):.2f}" if probabilities else ""
        )
    else:
        head, facts = f"act-max of {state.target}'s channels (mean ReLU)", ""
    ratios = smoothness_ratios(panels)
    if ratios and state.done:
        facts += f" · TV {min(ratios):.2f}–{max(ratios):.2f}× noise's"
    return head + (busy or facts)


def how_to_read(state: ActMaxState) -> tuple[str, ...]:
    """The line under the colour bar: its wordings, longest first."""
    if state.target == CLASSES:
        return HOW_CLASS
    return tuple(text.format(layer=state.target) for text in HOW_CHANNEL)


def actmax_export(state: ActMaxState, subject: str = "") -> tuple[str, dict[str, Any]]:
    """The export of the grid: (name, export op arguments): the panels computed so far as one
    figure (each labelled with its class and p, or channel and mean ReLU, with a colour bar;
    titled with ``subject``, the model and run) and a table of each panel's facts."""
    shown = sorted(state.panels)
    keys = ("target", "layer", "probability", "start", "end", "total_variation",
            "noise_total_variation", "steps", "seed")  # fmt: skip
    rows = [{k: state.panels[i].get(k) for k in keys} for i in shown]
    name = "actmax-classes" if state.target == CLASSES else f"actmax-{state.target}"
    panels = [
        {"values": figure_values(state.panels[i]["image"]),
         "cmap": "grey", "lo": 0.0, "hi": 1.0, "label": figure_label(state, i)}
        for i in shown
    ]  # fmt: skip
    title = " · ".join(filter(None, [subject, "activation maximisation"]))
    figure = {"panels": panels, "title": title, "caption": figure_caption(state), "columns": 5}
    return name, {"figures": {"panels": figure}, "tables": {"actmax": rows}}


def figure_values(image: Any) -> np.ndarray:
    """A panel's pixels for the figure (H, W) in [0, 1]; a colour picture (3, H, W) as its
    luminance (the figure's panels hold one value per pixel)."""
    values = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    if values.ndim == 3:
        values = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), values, axes=1)
    return values


def figure_label(state: ActMaxState, index: int) -> str:
    """ "class 3  p = 0.950" or "conv1 channel 5  mean ReLU 0.42": a figure panel's label."""
    payload = state.panels[index]
    if state.target == CLASSES:
        name = name_of(state.class_names, index)
        return f"class {name}  p = {float(payload.get('probability') or 0.0):.3f}"
    return f"{state.target} channel {index}  mean ReLU {float(payload.get('end') or 0.0):.3g}"


def figure_caption(state: ActMaxState) -> str:
    """What the figure shows, p's range, smoothness (total variation beside uniform noise's of
    the same range: below 1 is smoother than noise) and how to read it. No en dashes: the
    figure's font lacks them."""
    head = caption(state).split(" · ")[0]
    probabilities = [float(p["probability"]) for p in state.panels.values() if p.get("probability")]
    reach = f"p(K) {min(probabilities):.2f} to {max(probabilities):.2f}" if probabilities else ""
    ratios = smoothness_ratios(state.panels)
    smooth = (
        f"total variation {min(ratios):.2f} to {max(ratios):.2f} x that of uniform noise of the "
        "same range (below 1: smoother than noise)"
        if ratios
        else ""
    )
    shown = f"{len(state.panels)} of {state.count} panels" if not state.done else ""
    parts = [head, shown, reach, smooth, how_to_read(state)[0]]
    return ". ".join(filter(None, parts)) + "."
