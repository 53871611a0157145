"""Unit tests of the inspector's payload views, table formatting and probability selection."""

from __future__ import annotations

import numpy as np
import pytest

from engine.render.maps import quantize
from tui.train.formatting import format_count, format_macs, format_shape
from tui.train.probabilities import Probabilities
from tui.train.views import (
    activation_view,
    has_weights,
    kernel_view,
    many_view,
    sample_caption,
    sample_image,
)

RNG = np.random.default_rng(3)


def activations(shape: tuple[int, ...]) -> dict:
    raw = np.maximum(RNG.normal(size=shape), 0).astype(np.float32)
    raw *= np.arange(1, shape[0] + 1, dtype=np.float32).reshape(-1, *([1] * (len(shape) - 1)))
    maps, ranges = quantize(raw)
    return {
        "layer": "c",
        "maps": maps,
        "ranges": ranges,
        "shape": shape,
        "index": 3,
        "label": 7,
        "pred": 7,
    }


def kernels(out: int, inp: int) -> dict:
    return {"layer": "c", "weights": RNG.normal(size=(out, inp, 3, 3)).astype(np.float32)}


def test_top_k_keeps_true_and_predicted_classes():
    widget = Probabilities(color_mode="256")
    probs = np.linspace(1, 0, 1000).astype(np.float32)
    widget.set_probs(probs, label=999, pred=0)
    shown = widget.shown_classes(5)
    assert len(shown) == 5 and 999 in shown and 0 in shown


def test_formatting_helpers():
    assert format_count(1199882) == "1,199,882"
    assert [format_macs(v) for v in (0, 950, 12_345, 4_560_000, 1.2e9)] == [
        "0",
        "950",
        "12.3k",
        "4.56M",
        "1.20G",
    ]
    assert format_shape([-1, 32, 26, 26]) == "32×26×26"


def test_views_scale_shared_and_per_map():
    payload = activations((4, 6, 6))
    shared = activation_view(payload, shared=True)
    per_map = activation_view(payload, shared=False)
    assert shared.lo is not None and per_map.lo is None
    assert per_map.maps.max(axis=(1, 2)) == pytest.approx(np.ones(4))
    assert shared.maps[0].max() < shared.maps[3].max()  # map 0 is scaled down by map 3's range
    weights = kernel_view(kernels(4, 2), 0, False, True)
    assert weights.lo == pytest.approx(-weights.hi)  # diverging: symmetric about 0
    many = many_view({"layer": "c", "items": [payload, payload]}, shared=True)
    assert many.maps.shape == (2, 4, 6, 6) and many.row_labels == ["7→7", "7→7"]


def test_kernel_view_channels_mean_and_dense_matrix():
    payload = kernels(6, 3)
    weights = payload["weights"]
    one = kernel_view(payload, 2, False, shared=False)
    assert one.lo is None and one.channels == 3 and "in 3/3" in one.caption
    peak = np.abs(weights[:, 2]).reshape(6, -1).max(axis=1)
    expected = 0.5 + weights[:, 2] / (2 * peak[:, None, None])
    assert one.maps == pytest.approx(expected, abs=1e-6)
    mean = kernel_view(payload, 0, True, shared=True)
    assert "mean" in mean.caption and mean.maps.shape == (6, 3, 3)
    dense = kernel_view(
        {"weights": RNG.normal(size=(10, 40)).astype(np.float32), "shape": (10, 3136)},
        0,
        False,
        True,
    )
    assert dense.stretch and dense.maps.shape == (1, 10, 40) and "shown 10×40" in dense.caption


def test_dense_activations_are_a_vector_and_many_vectors_two_pixels_tall():
    view = activation_view(activations((1, 1, 12)), shared=False)
    assert view.vector and view.lo is not None  # one map: always its own (shown) range
    many = many_view({"items": [activations((1, 1, 12))] * 2}, shared=False)
    assert many.maps.shape == (2, 1, 2, 12)


def test_sample_image_and_caption():
    image, rgb = sample_image({"image": np.zeros((3, 8, 8), np.uint8)})
    assert rgb and image.shape == (8, 8, 3)
    grey, rgb = sample_image({"image": np.zeros((8, 8), np.uint8)})
    assert not rgb and grey.shape == (8, 8)
    assert sample_caption({"label": 3, "pred": 5}, None) == "true 3 pred 5 ✗"
    assert sample_caption({"label": -1, "pred": 1}, ["cat", "dog"]) == "pred dog"


def test_has_weights():
    assert has_weights({"type": "Conv2d", "params": 10})
    assert has_weights({"type": "Linear", "params": 10})
    assert not has_weights({"type": "ReLU", "params": 0})
    assert not has_weights({"type": "BatchNorm2d", "params": 64})
    assert not has_weights(None)
