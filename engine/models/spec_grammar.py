"""The spec grammar without torch: a spec string checked and planned as a list of layers.

``plan_spec`` reads a spec such as ``c32k3-p-c64k3-p-f128-d0.25`` into the layers it describes,
with every number bounded and the network's size counted, so that a bad spec gets one
``SpecError`` line before anything is allocated. The UI process (the run form) uses it to check a
spec as it is typed; ``engine.models.spec`` turns the plan into torch modules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from engine.errors import SpecError

GRAMMAR = (
    "c<N>[k<K>][s<S>][p<P>][b] conv+ReLU, p[<K>] max pool, ap[<K>] avg pool, "
    "f<N>[b] dense+ReLU, d<P> dropout, bn batch norm, gap global avg pool"
)
CONV = re.compile(r"c(\d+)(?:k(\d+))?(?:s(\d+))?(?:p(\d+))?(b?)")
POOL = re.compile(r"(a?)p(\d*)")
DENSE = re.compile(r"f(\d+)(b?)")
DROP = re.compile(r"d([\d.]+)")
SPEC_SHAPE = re.compile(r"^[a-z0-9.]+(-[a-z0-9.]+)*$")
# A first token shaped like a layer makes the text a spec (then every token must parse);
# anything else is a registry name ("cnn", "lenet5", "convnet-k5").
LAYER_SHAPE = re.compile(r"(?:[cfd]|a?p)[\d.][a-z0-9.]*|a?p|bn|gap")

# The grammar's numbers and the built network are bounded, so that a spec either builds a
# network that fits in memory or gets one SpecError line (never an allocation traceback).
INPUT_SIDE = 28  # the default input is MNIST's 1x28x28
DEFAULT_INPUT = (1, INPUT_SIDE, INPUT_SIDE)
MAX_LAYERS = 64  # tokens in a spec
MAX_CHANNELS = 1024  # conv output channels
MAX_UNITS = 16384  # dense units
MAX_PARAMS = 50_000_000  # weights in the whole network (200 MB of float32)
MAX_ACTIVATION = 1 << 22  # values one layer outputs per sample (16 MB of float32)
MAX_DIGITS = 9  # digits of one number, read before int() so huge numbers cannot reach torch


@dataclass(frozen=True)
class LayerPlan:
    """One layer to build: its name (conv1, bn2, ...), its kind and the constructor's numbers.

    Kinds and args: conv (in, out, kernel, stride, padding, bias), bn2d (features), bn1d
    (features), relu (), maxpool (k), avgpool (k), flatten (), linear (in, out, bias),
    dropout (p), gap ()."""

    name: str
    kind: str
    args: tuple = ()


def _shortened(text: str, limit: int = 60) -> str:
    """text cut to limit characters for a message (a spec can be arbitrarily long)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def looks_like_spec(text: str) -> bool:
    """Whether text is written in the spec grammar rather than being a registry name."""
    return bool(SPEC_SHAPE.match(text)) and bool(LAYER_SHAPE.fullmatch(text.split("-")[0]))


@dataclass
class _Planner:
    """Accumulates named layers while tracking the activation shape and the parameter count."""

    spec: str
    channels: int = 1
    height: int = INPUT_SIDE
    width: int = INPUT_SIDE
    input_side: int = INPUT_SIDE  # the input's longer side
    flat: int | None = None
    params: int = 0
    layers: list[LayerPlan] = field(default_factory=list)
    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, prefix: str, kind: str, *args: object) -> None:
        self.counts[prefix] += 1
        self.layers.append(LayerPlan(f"{prefix}{self.counts[prefix]}", kind, args))

    def fail(self, index: int, token: str, why: str) -> SpecError:
        spec, token = _shortened(self.spec), _shortened(token)
        return SpecError(
            f"bad model spec {spec!r}: token {index + 1} {token!r} {why}; grammar: {GRAMMAR}"
        )

    def flatten(self) -> None:
        if self.flat is None:
            self.layers.append(LayerPlan("flatten", "flatten"))
            self.flat = self.channels * self.height * self.width

    @property
    def side_limit(self) -> int:
        """The largest kernel, stride or pool size the grammar takes: the input's longer side
        at the start (a number above it cannot fit any map of this network)."""
        return max(INPUT_SIDE, self.input_side)

    def reserve(self, index: int, token: str, params: int, outputs: int) -> None:
        """Count a layer's weights and per-sample outputs before it is allocated; SpecError
        when the network would be too big."""
        self.params += params
        if self.params > MAX_PARAMS:
            raise self.fail(
                index, token, f"makes the network {self.params:,} weights, over {MAX_PARAMS:,}"
            )
        if outputs > MAX_ACTIVATION:
            raise self.fail(
                index, token, f"outputs {outputs:,} values per image, over {MAX_ACTIVATION:,}"
            )


def _number(b: _Planner, i: int, tok: str, text: str, what: str, low: int, high: int) -> int:
    """One number of a token, checked against its range [low, high] before it is used."""
    if len(text) > MAX_DIGITS or not low <= int(text) <= high:
        raise b.fail(i, tok, f"has {what} {text[:12]}; use {low} to {high}")
    return int(text)


def _conv(b: _Planner, i: int, tok: str, m: re.Match[str]) -> None:
    if b.flat is not None:
        raise b.fail(i, tok, "comes after a dense layer; put conv blocks first")
    out = _number(b, i, tok, m[1], "channels", 1, MAX_CHANNELS)
    k = _number(b, i, tok, m[2] or "3", "kernel size", 1, b.side_limit)
    s = _number(b, i, tok, m[3] or "1", "stride", 1, b.side_limit)
    # Padding of at most k-1: every output still sees at least one pixel of the map.
    pad = _number(b, i, tok, m[4], "padding", 0, k - 1) if m[4] is not None else k // 2
    height, width = ((side + 2 * pad - k) // s + 1 for side in (b.height, b.width))
    if min(height, width) < 1:
        raise b.fail(i, tok, f"does not fit a {b.height}x{b.width} input")
    b.reserve(i, tok, out * b.channels * k * k + (2 if m[5] else 1) * out, out * height * width)
    b.add("conv", "conv", b.channels, out, k, s, pad, not m[5])
    if m[5]:
        b.add("bn", "bn2d", out)
    b.add("relu", "relu")
    b.channels, b.height, b.width = out, height, width


def _pool(b: _Planner, i: int, tok: str, m: re.Match[str]) -> None:
    k = _number(b, i, tok, m[2] or "2", "pool size", 1, b.side_limit)
    if b.flat is not None or min(b.height, b.width) // k < 1:
        raise b.fail(i, tok, f"cannot pool a {b.height}x{b.width} map here")
    b.add("pool", "avgpool" if m[1] else "maxpool", k)
    b.height //= k
    b.width //= k


def _dense(b: _Planner, i: int, tok: str, m: re.Match[str]) -> None:
    units = _number(b, i, tok, m[1], "units", 1, MAX_UNITS)
    b.flatten()
    assert b.flat is not None
    b.reserve(i, tok, b.flat * units + (2 if m[2] else 1) * units, units)
    b.add("fc", "linear", b.flat, units, not m[2])
    if m[2]:
        b.add("bn", "bn1d", units)
    b.add("relu", "relu")
    b.flat = units


def _dropout(b: _Planner, i: int, tok: str, m: re.Match[str]) -> None:
    try:
        p = float(m[1])
    except ValueError:
        raise b.fail(i, tok, "is not a dropout probability such as d0.25") from None
    if not 0 <= p <= 1:
        raise b.fail(i, tok, f"has dropout {m[1]}; dropout is at most 1 (a probability)")
    b.add("drop", "dropout", p)


def _token(b: _Planner, i: int, tok: str) -> None:
    if m := CONV.fullmatch(tok):
        _conv(b, i, tok, m)
    elif m := POOL.fullmatch(tok):
        _pool(b, i, tok, m)
    elif m := DENSE.fullmatch(tok):
        _dense(b, i, tok, m)
    elif m := DROP.fullmatch(tok):
        _dropout(b, i, tok, m)
    elif tok == "bn":
        features = b.channels if b.flat is None else b.flat
        b.reserve(i, tok, 2 * features, 0)
        b.add("bn", "bn2d" if b.flat is None else "bn1d", features)
    elif tok == "gap":
        if b.flat is not None:
            raise b.fail(i, tok, "comes after a dense layer")
        b.add("gap", "gap")
        b.height = b.width = 1
    else:
        raise b.fail(i, tok, "is not a layer")


def plan_spec(
    spec: str, num_classes: int = 10, input_shape: tuple[int, int, int] = DEFAULT_INPUT
) -> list[LayerPlan]:
    """The layers a spec describes for inputs of ``input_shape`` (C, H, W), ending in a dense
    layer to num_classes outputs. Raises SpecError (one line naming the token) for a token
    that is not a layer, a number out of its range, a layer that does not fit the maps it gets,
    or a network over MAX_PARAMS weights or MAX_ACTIVATION values per layer and image."""
    text = spec.strip().lower()
    if not text:
        raise SpecError(f"empty model spec; grammar: {GRAMMAR}")
    tokens = text.split("-")
    if len(tokens) > MAX_LAYERS:
        raise SpecError(f"model spec has {len(tokens)} layers; use at most {MAX_LAYERS}")
    channels, height, width = input_shape
    planner = _Planner(spec, channels, height, width, input_side=max(height, width))
    for index, token in enumerate(tokens):
        _token(planner, index, token)
    planner.flatten()
    assert planner.flat is not None
    planner.reserve(len(tokens), "(output)", planner.flat * num_classes + num_classes, 0)
    planner.add("fc", "linear", planner.flat, num_classes, True)
    return planner.layers
