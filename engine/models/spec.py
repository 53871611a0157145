"""Custom networks from short spec strings such as ``c32k3-p-c64k3-p-c128k3-p-f128-d0.25``."""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from torch import nn

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
INPUT_SIDE = 28  # specs are MNIST networks: 1x28x28 in
MAX_LAYERS = 64  # tokens in a spec
MAX_CHANNELS = 1024  # conv output channels
MAX_UNITS = 16384  # dense units
MAX_PARAMS = 50_000_000  # weights in the whole network (200 MB of float32)
MAX_ACTIVATION = 1 << 22  # values one layer outputs per sample (16 MB of float32)
MAX_DIGITS = 9  # digits of one number, read before int() so huge numbers cannot reach torch


def _shortened(text: str, limit: int = 60) -> str:
    """text cut to limit characters for a message (a spec can be arbitrarily long)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def looks_like_spec(text: str) -> bool:
    """Whether text is written in the spec grammar rather than being a registry name."""
    return bool(SPEC_SHAPE.match(text)) and bool(LAYER_SHAPE.fullmatch(text.split("-")[0]))


@dataclass
class _Builder:
    """Accumulates named layers while tracking the activation shape and the parameter count."""

    spec: str
    channels: int = 1
    size: int = INPUT_SIDE
    flat: int | None = None
    params: int = 0
    layers: OrderedDict[str, nn.Module] = field(default_factory=OrderedDict)
    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: str, module: nn.Module) -> None:
        self.counts[kind] += 1
        self.layers[f"{kind}{self.counts[kind]}"] = module

    def fail(self, index: int, token: str, why: str) -> SpecError:
        spec, token = _shortened(self.spec), _shortened(token)
        return SpecError(
            f"bad model spec {spec!r}: token {index + 1} {token!r} {why}; grammar: {GRAMMAR}"
        )

    def flatten(self) -> None:
        if self.flat is None:
            self.layers["flatten"] = nn.Flatten()
            self.flat = self.channels * self.size * self.size

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
                index, token, f"outputs {outputs:,} values per digit, over {MAX_ACTIVATION:,}"
            )


def _number(b: _Builder, i: int, tok: str, text: str, what: str, low: int, high: int) -> int:
    """One number of a token, checked against its range [low, high] before it is used."""
    if len(text) > MAX_DIGITS or not low <= int(text) <= high:
        raise b.fail(i, tok, f"has {what} {text[:12]}; use {low} to {high}")
    return int(text)


def _conv(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    if b.flat is not None:
        raise b.fail(i, tok, "comes after a dense layer; put conv blocks first")
    out = _number(b, i, tok, m[1], "channels", 1, MAX_CHANNELS)
    k = _number(b, i, tok, m[2] or "3", "kernel size", 1, INPUT_SIDE)
    s = _number(b, i, tok, m[3] or "1", "stride", 1, INPUT_SIDE)
    # Padding of at most k-1: every output still sees at least one pixel of the map.
    pad = _number(b, i, tok, m[4], "padding", 0, k - 1) if m[4] is not None else k // 2
    size = (b.size + 2 * pad - k) // s + 1
    if size < 1:
        raise b.fail(i, tok, f"does not fit a {b.size}x{b.size} input")
    b.reserve(i, tok, out * b.channels * k * k + (2 if m[5] else 1) * out, out * size * size)
    b.add("conv", nn.Conv2d(b.channels, out, k, stride=s, padding=pad, bias=not m[5]))
    if m[5]:
        b.add("bn", nn.BatchNorm2d(out))
    b.add("relu", nn.ReLU())
    b.channels, b.size = out, size


def _pool(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    k = _number(b, i, tok, m[2] or "2", "pool size", 1, INPUT_SIDE)
    if b.flat is not None or b.size // k < 1:
        raise b.fail(i, tok, f"cannot pool a {b.size}x{b.size} map here")
    b.add("pool", nn.AvgPool2d(k) if m[1] else nn.MaxPool2d(k))
    b.size //= k


def _dense(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    units = _number(b, i, tok, m[1], "units", 1, MAX_UNITS)
    b.flatten()
    assert b.flat is not None
    b.reserve(i, tok, b.flat * units + (2 if m[2] else 1) * units, units)
    b.add("fc", nn.Linear(b.flat, units, bias=not m[2]))
    if m[2]:
        b.add("bn", nn.BatchNorm1d(units))
    b.add("relu", nn.ReLU())
    b.flat = units


def _dropout(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    try:
        p = float(m[1])
    except ValueError:
        raise b.fail(i, tok, "is not a dropout probability such as d0.25") from None
    if not 0 <= p <= 1:
        raise b.fail(i, tok, f"has dropout {m[1]}; dropout is at most 1 (a probability)")
    b.add("drop", nn.Dropout(p))


def _token(b: _Builder, i: int, tok: str) -> None:
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
        b.add("bn", nn.BatchNorm2d(features) if b.flat is None else nn.BatchNorm1d(features))
    elif tok == "gap":
        if b.flat is not None:
            raise b.fail(i, tok, "comes after a dense layer")
        b.add("gap", nn.AdaptiveAvgPool2d(1))
        b.size = 1
    else:
        raise b.fail(i, tok, "is not a layer")


def build_from_spec(spec: str, num_classes: int = 10) -> nn.Sequential:
    """Build the network a spec describes for 1x28x28 inputs, ending in a dense layer to
    num_classes outputs. Raises SpecError (one line naming the token) for a token that is not
    a layer, a number out of its range, or a network over MAX_PARAMS weights or MAX_ACTIVATION
    values per layer and digit; nothing big is allocated before the check."""
    text = spec.strip().lower()
    if not text:
        raise SpecError(f"empty model spec; grammar: {GRAMMAR}")
    tokens = text.split("-")
    if len(tokens) > MAX_LAYERS:
        raise SpecError(f"model spec has {len(tokens)} layers; use at most {MAX_LAYERS}")
    builder = _Builder(spec=spec)
    for index, token in enumerate(tokens):
        _token(builder, index, token)
    builder.flatten()
    assert builder.flat is not None
    builder.reserve(len(tokens), "(output)", builder.flat * num_classes + num_classes, 0)
    builder.add("fc", nn.Linear(builder.flat, num_classes))
    return nn.Sequential(builder.layers)
