"""Numpy-only helpers turning engine payloads into the maps and ranges the inspector draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.render.colormap import NONFINITE_NOTE
from engine.render.maps import count_nonfinite, dequantize, scale_maps
from tui.widgets.halfblock import mark_nonfinite

MAX_CLASS_NAME = 16
WEIGHT_TYPES = ("Conv1d", "Conv2d", "Conv3d", "Linear", "LazyLinear", "LazyConv2d")


@dataclass
class MapView:
    """Maps scaled to [0, 1] for HeatmapGrid, their titles and colour map, and the numeric
    range for the ColorBar (``lo``/``hi`` None when every map has its own scale). Kernels and
    signed feature maps use the diverging map centred on 0, other feature maps the sequential
    one."""

    maps: np.ndarray
    titles: list[str] = field(default_factory=list)
    cmap: str = "sequential"
    lo: float | None = None
    hi: float | None = None
    caption: str = ""
    vector: bool = False
    stretch: bool = False
    row_labels: list[str] | None = None
    channels: int = 1  # input channels of conv kernels
    rgb: bool = False  # maps are uint8 (N, H, W, 3) colour pictures (an RGB first layer)

    @property
    def scale_label(self) -> str:
        if self.rgb:
            return "RGB: each kernel scaled to its own range"
        return "shared scale" if self.lo is not None else "per-map scale"


def has_weights(row: dict[str, Any] | None) -> bool:
    """Whether a summary row is a layer whose kernels the engine can show (conv or dense)."""
    if not row or not row.get("leaf", True):  # a container: its layers have the kernels
        return False
    kind = str(row.get("type", ""))
    return kind in WEIGHT_TYPES or (
        kind.startswith(("Conv", "Linear")) and int(row.get("params", 0) or 0) > 0
    )


def dims(shape: Sequence[int]) -> str:
    return "×".join(str(int(d)) for d in shape)


def rgb_kernels(weights: np.ndarray) -> np.ndarray:
    """(out, 3, kh, kw) kernels as uint8 (out, kh, kw, 3) pictures, each scaled from its own
    minimum to its maximum (torchvision's ``make_grid(normalize=True, scale_each=True)``):
    the colour a kernel responds to most is its brightest. A flat kernel is mid grey."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float32))
    lo = w.min(axis=(1, 2, 3), keepdims=True)
    span = w.max(axis=(1, 2, 3), keepdims=True) - lo
    unit = np.where(span > 0, (w - lo) / np.where(span > 0, span, 1), 0.5)
    return np.ascontiguousarray(np.rint(np.moveaxis(unit, 1, -1) * 255).astype(np.uint8))


def kernel_view(
    payload: dict[str, Any], channel: int, mean: bool, shared: bool, rgb: bool = False
) -> MapView:
    """Conv kernels of one input channel (or their mean over input channels); dense: the matrix.

    Ranges are symmetric about 0 so that the diverging map's white is 0. ``rgb``: the layer
    reads the RGB input image, so each kernel of 3 input channels is one colour picture
    (:func:`rgb_kernels`) unless ``mean``. A grouped or depthwise conv (1 input channel per
    group) draws one map per output channel.
    """
    weights = np.asarray(payload["weights"], dtype=np.float32)
    shape = tuple(payload.get("shape") or weights.shape)
    template = payload.get("template_shape")
    if template and weights.ndim == 2:
        return template_view(weights, tuple(int(v) for v in template), shape, shared)
    if weights.ndim == 2 or len(shape) == 2:
        return _matrix_view(weights.reshape(weights.shape[0], -1), shape)
    if weights.ndim != 4:
        raise ValueError(f"kernels must be (out, in, kh, kw) or (out, in), got {weights.shape}")
    out_ch, in_ch = weights.shape[:2]
    if rgb and in_ch == 3 and not mean:
        caption = nonfinite_note(weights, count_nonfinite(weights))
        caption += f"kernels {dims(weights.shape)} · RGB, each kernel its own range"
        titles = [f"#{i}" for i in range(out_ch)]
        return MapView(
            rgb_kernels(weights), titles, "gray", None, None, caption, channels=3, rgb=True
        )
    channel = channel % max(1, in_ch)
    shown = weights.mean(axis=1) if mean else weights[:, channel]
    scaled = scale_maps(shown, shared, True)
    lo, hi = scaled.shared_range if shared else (None, None)
    which = "mean of inputs" if mean else f"in {channel + 1}/{in_ch}"
    which = (
        "one input per kernel (grouped)" if in_ch == 1 and payload.get("groups", 1) > 1 else which
    )
    caption = nonfinite_note(weights, count_nonfinite(weights)) + f"kernels {dims(weights.shape)}"
    caption += f" · {which}" if in_ch > 1 else ""
    titles = [f"#{i}" for i in range(out_ch)]
    maps = mark_nonfinite(scaled.values)
    return MapView(maps, titles, "diverging", lo, hi, caption, channels=in_ch)


def nonfinite_note(values: np.ndarray, count: int) -> str:
    """ "! = NaN/inf: 9 of 288 · " to start a caption (a narrow one keeps its first parts);
    "" when ``count`` (of ``values``' entries) is 0."""
    return f"{NONFINITE_NOTE}: {count} of {np.size(values)} · " if count else ""


def template_view(
    weights: np.ndarray, template: tuple[int, int], shape: tuple[int, ...], shared: bool
) -> MapView:
    """A dense layer fed by the input image: each unit's weights (a row of ``weights``, out x
    H·W) drawn as an H x W picture, on a diverging scale centred on 0 (what the unit looks
    for: positive weights where ink raises its output, negative where ink lowers it)."""
    maps = weights.reshape(weights.shape[0], *template)
    scaled = scale_maps(maps, shared, True)
    lo, hi = scaled.shared_range if shared else (None, None)
    caption = (
        nonfinite_note(weights, count_nonfinite(weights))
        + f"weights {dims(shape)} · each unit's {dims(template)} template"
    )
    titles = [f"#{i}" for i in range(weights.shape[0])]
    return MapView(mark_nonfinite(scaled.values), titles, "diverging", lo, hi, caption)


def _matrix_view(matrix: np.ndarray, shape: tuple[int, ...]) -> MapView:
    """A dense layer's weight matrix (block-averaged by the engine if huge) as one heatmap
    that fills the kernels area (``stretch``: each axis scaled on its own)."""
    scaled = scale_maps(matrix[None], shared=True, symmetric=True)
    lo, hi = scaled.shared_range
    note = "" if tuple(matrix.shape) == tuple(shape) else f" · shown {dims(matrix.shape)}"
    caption = (  # " · " parts: a narrow header drops the last whole (tui.widgets.fit_text)
        nonfinite_note(matrix, count_nonfinite(matrix)) + f"weights {dims(shape)} out×in{note}"
    )
    return MapView(mark_nonfinite(scaled.values), [""], "diverging", lo, hi, caption, stretch=True)


def signed(ranges: np.ndarray) -> bool:
    """Whether maps with these (lo, hi) ranges hold values on both sides of 0 (a conv output
    before its ReLU): drawn on the diverging scale centred on 0, so that 0 is blank without
    colour and the sign is kept; maps of one sign keep the sequential scale."""
    bounds = np.asarray(ranges, dtype=np.float64).reshape(-1, 2)
    finite = bounds[np.isfinite(bounds).all(axis=1)]
    return bool(finite.size) and float(finite[:, 0].min()) < 0 < float(finite[:, 1].max())


def activation_cmap(ranges: np.ndarray) -> str:
    """ "diverging" for signed maps (see :func:`signed`), else "sequential"."""
    return "diverging" if signed(ranges) else "sequential"


def _scaled_activations(
    maps: np.ndarray, ranges: np.ndarray, shared: bool, nonfinite: np.ndarray | None = None
) -> tuple[np.ndarray, float | None, float | None]:
    """Maps in [0, 1] and the shared range (None per map); +inf (the mark) where not finite.
    Signed maps are scaled symmetrically about 0 (0.5 is the value 0)."""
    symmetric = signed(ranges)
    if shared:
        scaled = scale_maps(dequantize(maps, ranges), shared=True, symmetric=symmetric)
        values, lo, hi = scaled.values, scaled.shared_range[0], scaled.shared_range[1]
    elif symmetric:
        values = scale_maps(dequantize(maps, ranges), shared=False, symmetric=True).values
        lo = hi = None
    else:
        values, lo, hi = np.asarray(maps, dtype=np.float32) / 255.0, None, None
    if nonfinite is not None:
        values = np.where(np.asarray(nonfinite, dtype=bool), np.float32(np.inf), values)
    return values, lo, hi


def is_vector(maps: np.ndarray) -> bool:
    return maps.ndim == 3 and maps.shape[0] == 1 and maps.shape[1] == 1


def activation_view(payload: dict[str, Any], shared: bool) -> MapView:
    """Feature maps (C, H, W) of one sample; dense outputs (1, 1, N) as a wrapped vector."""
    maps = np.asarray(payload["maps"])
    ranges = np.asarray(payload["ranges"], dtype=np.float32).reshape(-1, 2)
    shape = tuple(payload.get("shape") or maps.shape)
    sample = payload.get("index")
    where = f" · sample #{sample}" if sample is not None and sample >= 0 else ""
    nonfinite = payload.get("nonfinite")
    note = "" if nonfinite is None else nonfinite_note(nonfinite, int(np.count_nonzero(nonfinite)))
    if is_vector(maps):
        values, lo, hi = _scaled_activations(maps, ranges, True, nonfinite)  # one scale
        caption = f"{note}activations {dims(shape)}{where}"
        return MapView(values, [""], activation_cmap(ranges), lo, hi, caption, vector=True)
    values, lo, hi = _scaled_activations(maps, ranges, shared, nonfinite)
    return MapView(
        values,
        [f"#{i}" for i in range(maps.shape[0])],
        activation_cmap(ranges),
        lo,
        hi,
        f"{note}feature maps {dims(shape)}{where}",
    )


def many_view(payload: dict[str, Any], shared: bool) -> MapView:
    """One row per sample of ``activations_many``: the same layer's maps for several digits."""
    items = list(payload.get("items") or [])
    if not items:
        raise ValueError("no samples")
    stacks, ranges = [], []
    for item in items:
        maps = np.asarray(item["maps"])
        if is_vector(maps):
            maps = np.repeat(maps, 2, axis=1)  # a two-pixel strip: one full cell per value
        stacks.append(maps)
        ranges.append(np.asarray(item["ranges"], dtype=np.float32).reshape(-1, 2))
    first = stacks[0].shape
    if any(s.shape != first for s in stacks):
        raise ValueError("samples have maps of different shapes")
    all_maps = np.stack(stacks)  # (R, C, H, W)
    all_ranges = np.stack(ranges)  # (R, C, 2)
    flat = all_maps.reshape(-1, *first[1:])
    values, lo, hi = _scaled_activations(flat, all_ranges.reshape(-1, 2), shared)
    labels = []
    for item in items:
        label, pred = item.get("label"), item.get("pred")
        wrong = "" if label is None or pred is None or label == pred else "✗"
        labels.append(f"{_cls(label)}→{_cls(pred)}{wrong}")
    shape = tuple(items[0].get("shape") or first)
    return MapView(
        values.reshape(all_maps.shape),
        [f"#{i}" for i in range(first[0])],
        activation_cmap(all_ranges),
        lo,
        hi,
        f"{payload.get('layer', '')} {dims(shape)} · {len(items)} samples",
        row_labels=labels,
    )


def _cls(value: Any) -> str:
    return "?" if value is None or (isinstance(value, int) and value < 0) else str(value)


def sample_image(payload: dict[str, Any]) -> tuple[np.ndarray, bool]:
    """(image, rgb): uint8 (H, W) grey or (H, W, 3) colour from an HxW / CxHxW sample."""
    image = np.asarray(payload["image"])
    if image.dtype != np.uint8:
        lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
        image = np.clip((image - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = np.moveaxis(image, 0, -1)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.shape[-1] == 3:
        return np.ascontiguousarray(image), True
    return image, False


def sample_caption(payload: dict[str, Any], class_names: Sequence[str] | None) -> str:
    """``true 7 pred 2 ✗``; just ``pred tabby cat`` for a picture without a label."""

    def name(value: Any) -> str:
        text = _cls(value)
        if class_names is not None and text != "?" and int(value) < len(class_names):
            return str(class_names[int(value)])[:MAX_CLASS_NAME]
        return text

    label, pred = payload.get("label"), payload.get("pred")
    if _cls(label) == "?":
        return f"pred {name(pred)}"
    if pred is None:  # drawn before the engine's prediction arrives
        return f"true {name(label)} pred …"
    mark = " ✓" if label == pred else " ✗"
    return f"true {name(label)} pred {name(pred)}{mark}"
