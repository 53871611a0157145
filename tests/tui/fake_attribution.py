"""The ``attribute`` op's payload for EvalFakeEngine (no torch): deterministic maps of the
shape the engine sends (tests/tui/conftest.py's op_attribute calls ``attribute_payload``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def fake_map(method: str, image: np.ndarray, target: int) -> np.ndarray:
    """Saliency: the digit's pixels x (target + 1); Grad-CAM: a square; occlusion: a signed
    ramp (negative at the top)."""
    if method == "saliency":
        return image.astype(np.float32) / 255 * (target + 1)
    if method == "gradcam":
        cam = np.zeros((28, 28), np.float32)
        cam[10:18, 10:18] = 0.5 + target / 10
        return cam
    return np.linspace(-0.2, 0.5, 784, dtype=np.float32).reshape(28, 28)


def attribute_payload(digit: dict[str, Any], method: str, layer: str | None) -> dict[str, Any]:
    """The payload of ``attribute`` for a digit dict (index, image, label, pred, confidence)."""
    if method == "gradcam" and layer not in (None, "conv1", "conv2"):
        raise ValueError(f"layer {layer!r} is not a conv layer; use one of conv1, conv2")
    label, pred = int(digit["label"]), int(digit["pred"])
    roles = (
        [("true", label), ("predicted", pred)] if label != pred else [("true and predicted", pred)]
    )
    maps = []
    for role, k in roles:
        values = fake_map(method, digit["image"], k)
        cmap = "diverging" if values.min() < 0 else "sequential"
        maps.append({
            "role": role, "target": k, "values": values, "cmap": cmap,
            "range": (float(values.min()), float(values.max())),
            "probability": 0.8 if k == pred else 0.15,
        })  # fmt: skip
    extra: dict[str, Any] = {"layer": None}
    if method == "gradcam":
        extra = {"layer": layer or "conv2", "layers": ["conv1", "conv2"],
                 "convs": ["conv1", "conv2"], "empty": False, "nonfinite": False,
                 "layer_shape": (28, 28) if layer == "conv1" else (7, 7)}  # fmt: skip
    return {**digit, **extra, "method": method, "maps": maps, "same": len(roles) == 1,
            "how_to_read": [f"read {method} for {k}" for _, k in roles]}  # fmt: skip
