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
DROP = re.compile(r"d(0?\.\d+|0|1(?:\.0*)?)")
SPEC_SHAPE = re.compile(r"^[a-z0-9.]+(-[a-z0-9.]+)*$")


def looks_like_spec(text: str) -> bool:
    """Whether text is written in the spec grammar rather than being a registry name."""
    return bool(SPEC_SHAPE.match(text)) and text[0] in "cfpad" and any(ch.isdigit() for ch in text)


@dataclass
class _Builder:
    """Accumulates named layers while tracking the activation shape."""

    spec: str
    channels: int = 1
    size: int = 28
    flat: int | None = None
    layers: OrderedDict[str, nn.Module] = field(default_factory=OrderedDict)
    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: str, module: nn.Module) -> None:
        self.counts[kind] += 1
        self.layers[f"{kind}{self.counts[kind]}"] = module

    def fail(self, index: int, token: str, why: str) -> SpecError:
        return SpecError(
            f"bad model spec {self.spec!r}: token {index + 1} {token!r} {why}; grammar: {GRAMMAR}"
        )

    def flatten(self) -> None:
        if self.flat is None:
            self.layers["flatten"] = nn.Flatten()
            self.flat = self.channels * self.size * self.size


def _conv(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    if b.flat is not None:
        raise b.fail(i, tok, "comes after a dense layer; put conv blocks first")
    out, k, s = int(m[1]), int(m[2] or 3), int(m[3] or 1)
    pad = int(m[4]) if m[4] is not None else k // 2
    size = (b.size + 2 * pad - k) // s + 1
    if out < 1 or k < 1 or s < 1 or size < 1:
        raise b.fail(i, tok, f"does not fit a {b.size}x{b.size} input")
    b.add("conv", nn.Conv2d(b.channels, out, k, stride=s, padding=pad, bias=not m[5]))
    if m[5]:
        b.add("bn", nn.BatchNorm2d(out))
    b.add("relu", nn.ReLU())
    b.channels, b.size = out, size


def _pool(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    k = int(m[2] or 2)
    if b.flat is not None or k < 1 or b.size // k < 1:
        raise b.fail(i, tok, f"cannot pool a {b.size}x{b.size} map here")
    b.add("pool", nn.AvgPool2d(k) if m[1] else nn.MaxPool2d(k))
    b.size //= k


def _dense(b: _Builder, i: int, tok: str, m: re.Match[str]) -> None:
    if int(m[1]) < 1:
        raise b.fail(i, tok, "needs at least one unit")
    b.flatten()
    b.add("fc", nn.Linear(b.flat, int(m[1]), bias=not m[2]))
    if m[2]:
        b.add("bn", nn.BatchNorm1d(int(m[1])))
    b.add("relu", nn.ReLU())
    b.flat = int(m[1])


def _token(b: _Builder, i: int, tok: str) -> None:
    if m := CONV.fullmatch(tok):
        _conv(b, i, tok, m)
    elif m := POOL.fullmatch(tok):
        _pool(b, i, tok, m)
    elif m := DENSE.fullmatch(tok):
        _dense(b, i, tok, m)
    elif m := DROP.fullmatch(tok):
        b.add("drop", nn.Dropout(float(m[1])))
    elif tok == "bn":
        b.add("bn", nn.BatchNorm2d(b.channels) if b.flat is None else nn.BatchNorm1d(b.flat))
    elif tok == "gap":
        if b.flat is not None:
            raise b.fail(i, tok, "comes after a dense layer")
        b.add("gap", nn.AdaptiveAvgPool2d(1))
        b.size = 1
    else:
        raise b.fail(i, tok, "is not a layer")


def build_from_spec(spec: str, num_classes: int = 10) -> nn.Sequential:
    """Build the network a spec describes, ending in a dense layer to num_classes outputs."""
    text = spec.strip().lower()
    if not text:
        raise SpecError(f"empty model spec; grammar: {GRAMMAR}")
    builder = _Builder(spec=spec)
    for index, token in enumerate(text.split("-")):
        _token(builder, index, token)
    builder.flatten()
    builder.add("fc", nn.Linear(builder.flat, num_classes))
    return nn.Sequential(builder.layers)
