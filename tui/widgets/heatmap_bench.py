"""The heatmap build-time benchmark: a full grid of conv1-like maps per colour mode, against a
naive per-cell build (``python -m tui.bench`` reports it)."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from engine.render.colormap import COLORMAPS
from tui.widgets.grid import GridModel
from tui.widgets.halfblock import MODES, UPPER_HALF

MNIST_TEST_IMAGES = Path(__file__).resolve().parents[2] / "data/mnist/t10k-images-idx3-ubyte.gz"


def _frame_bytes(strips: list[Strip], color_system: str) -> int:
    """Bytes the strips take on the wire (escape sequences included), one newline per line."""
    console = Console(color_system=color_system, force_terminal=True, width=10_000)  # type: ignore[arg-type]
    return sum(len(strip.render(console).encode()) + 1 for strip in strips)


def _naive_build(model: GridModel, width: int, height: int) -> list[Strip]:
    """The baseline: a new truecolor Style and Segment for every cell, no runs merged."""
    grid = model.layout(width, height, 0)
    lut = COLORMAPS["sequential"]
    lines: list[list[Segment]] = [[] for _ in range(height)]
    assert model.codes is not None
    for index, _x, y in grid.placements:
        codes = model.codes[index][np.ix_(grid.ry, grid.rx)]
        lines[y].append(Segment(model.titles[index][: grid.map_w].ljust(grid.map_w + 1)))
        for row in range(0, codes.shape[0], 2):
            bottoms = codes[row + 1] if row + 1 < codes.shape[0] else codes[row]
            for top, bottom in zip(codes[row], bottoms, strict=True):
                style = Style(color=Color.from_rgb(*map(int, lut[top])),
                              bgcolor=Color.from_rgb(*map(int, lut[bottom])))  # fmt: skip
                lines[y + 1 + row // 2].append(Segment(UPPER_HALF, style))
            lines[y + 1 + row // 2].append(Segment(" "))
    return [Strip(line) for line in lines]


def benchmark_maps(count: int = 32, seed: int = 0) -> np.ndarray:
    """Feature maps like conv1's: a bundled MNIST test digit through random 3x3 kernels, ReLU,
    scaled to [0, 1] on one shared range (smoothed noise when the data is not there)."""
    rng = np.random.default_rng(seed)
    try:
        with gzip.open(MNIST_TEST_IMAGES, "rb") as images:
            digit = np.frombuffer(images.read(16 + 784)[16:], dtype=np.uint8).reshape(28, 28)
    except OSError:
        digit = (rng.random((28, 28)) > 0.7).astype(np.uint8) * 255
    padded = np.pad(digit.astype(np.float32) / 255.0, 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))  # (28, 28, 3, 3)
    kernels = rng.normal(size=(count, 3, 3)).astype(np.float32)
    maps = np.maximum(np.einsum("hwij,kij->khw", windows, kernels), 0.0)
    return maps / max(float(maps.max()), 1e-6)


def build_time_benchmark(
    count: int = 32, width: int = 240, height: int = 62, repeats: int = 20
) -> dict[str, float]:
    """Build a full grid of ``count`` 28x28 maps: median ms per colour mode and for the naive
    per-cell baseline, segments, and bytes per frame (merged runs vs naive per-cell styles)."""
    model = GridModel()
    model.set_maps(benchmark_maps(count), titles=[f"#{i}" for i in range(count)], caption="bench")
    grid = model.layout(width, height, 0)
    result = {"maps_shown": float(len(grid.placements)),
              "cells": float(len(grid.placements) * grid.map_w * -(-grid.map_h // 2))}  # fmt: skip
    for mode in MODES:
        result[f"build_ms_{mode}"] = _median_ms(lambda m=mode: model.build(width, height, 0, m),
                                                repeats)  # fmt: skip
    result["build_ms_naive_truecolor"] = _median_ms(
        lambda: _naive_build(model, width, height), repeats
    )
    merged, naive = model.build(width, height, 0, "truecolor"), _naive_build(model, width, height)
    result["segments_truecolor"] = float(sum(len(strip) for strip in merged))
    result["segments_naive"] = float(sum(len(strip) for strip in naive))
    result["bytes_truecolor_merged"] = float(_frame_bytes(merged, "truecolor"))
    result["bytes_truecolor_naive"] = float(_frame_bytes(naive, "truecolor"))
    result["bytes_256_merged"] = float(_frame_bytes(model.build(width, height, 0, "256"), "256"))
    result["naive_over_merged_bytes"] = result["bytes_truecolor_naive"] / max(
        1.0, result["bytes_truecolor_merged"]
    )
    result["naive_over_merged_ms"] = result["build_ms_naive_truecolor"] / max(
        1e-9, result["build_ms_truecolor"]
    )
    return result


def _median_ms(build: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        build()
        timings.append((time.perf_counter() - start) * 1000)
    return float(np.median(timings))
