"""The ``attribute`` op: one attribution method for a digit's true and predicted class at once.

The Evaluate tab's overlays and ``python -m engine interpret`` read the same payload: the digit,
its prediction, and per explained class the map over the input (H x W, raw units: saliency
|d logit / d pixel|, Grad-CAM's rectified weighted channel sum upsampled bilinearly, occlusion's
drop in probability), its range, the colour map that reads it and p(class).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import EngineError
from engine.inspect import attribution
from engine.process.interpret_ops import EvaluateOps, black_pixel, class_label, class_names
from engine.render.attribution_figure import payload_how_to_read

METHODS = ("saliency", "gradcam", "occlusion")
OCCLUSION_PATCH = 6
OCCLUSION_STRIDE = 2


class AttributionError(EngineError):
    """An attribution asked for a method that does not exist."""


def map_cmap(method: str, values: np.ndarray) -> str:
    """ "diverging" for a signed map (occlusion with negatives), else "sequential"."""
    finite = np.asarray(values)[np.isfinite(values)]
    return "diverging" if finite.size and float(finite.min()) < 0 else "sequential"


class AttributionOps:
    """``attribute``: saliency, Grad-CAM or occlusion for the true and the predicted class."""

    def __init__(self, evaluation: EvaluateOps) -> None:
        self.evaluation = evaluation

    def attribute(
        self,
        index: int,
        method: str,
        layer: str | None = None,
        target: int | None = None,
        split: str = "test",
    ) -> dict[str, Any]:
        """One method for sample ``index``: ``maps`` holds one entry per explained class (the
        true class, then the predicted one; one entry when they agree or ``target`` is given),
        each ``{"role", "target", "class_label" ("2 triangle"; "7" for a digit), "values"
        (H, W) float32, "range", "cmap", "probability"}``; ``classes`` the model's class names.

        ``layer`` (Grad-CAM only: a conv layer or its activation; None: the last one). Raises
        AttributionError for an unknown method, SpecError/OpError for a bad layer or sample.
        """
        if method not in METHODS:
            raise AttributionError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
        ops = self.evaluation
        x, digit = ops._digit(index, split)
        model, info = ops.current.require()
        with ops.current.evaluating() as evaluated:
            probs = torch.softmax(evaluated(x).float(), dim=1)[0].cpu().numpy()
        roles = _roles(digit, target, len(probs))
        names = class_names(info)
        payload: dict[str, Any] = {**digit, "method": method, "layer": None, "maps": []}
        payload["classes"] = names
        for role, k in roles:
            values, extra = self._one(model, info, x, method, layer, k)
            payload.update(extra)
            payload["maps"].append(_entry(role, k, values, method, probs))
            payload["maps"][-1]["class_label"] = class_label(k, names)
        payload["same"] = len(roles) == 1 and target is None
        if method == "gradcam":  # said on the screen: an empty map is not a broken one
            finite = all(bool(np.isfinite(m["values"]).all()) for m in payload["maps"])
            empty = all(attribution.is_empty_cam(m["values"]) for m in payload["maps"])
            payload.update(empty=empty and finite, nonfinite=not finite)
        payload["how_to_read"] = [payload_how_to_read(payload, k) for _, k in roles]
        return payload

    def _one(
        self, model: Any, info: Any, x: torch.Tensor, method: str, layer: str | None, k: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if method == "saliency":
            values, _ = attribution.saliency(model, x, k)
            return values, {}
        if method == "occlusion":
            blank = black_pixel(info)  # per channel, in the model's units
            values, _ = attribution.occlusion(model, x, k, OCCLUSION_PATCH, OCCLUSION_STRIDE, blank)
            return values, {"patch": OCCLUSION_PATCH, "stride": OCCLUSION_STRIDE}
        raw, _, _, name = attribution.grad_cam(model, x, layer, k)
        upsampled = F.interpolate(  # as grad_cam upsamples, without scaling to its peak
            torch.from_numpy(raw)[None, None],
            size=tuple(x.shape[-2:]),
            mode="bilinear",
            align_corners=False,
        )[0, 0].clamp(min=0)
        extra = {
            "layer": name,
            "layers": attribution.gradcam_layers(model, x),
            "convs": attribution.conv_layers(model, x),
            "layer_shape": tuple(int(s) for s in raw.shape),
        }
        return upsampled.numpy().astype(np.float32), extra


def _roles(digit: dict[str, Any], target: int | None, classes: int) -> list[tuple[str, int]]:
    """(role, class) pairs to explain: the given target, else true then predicted."""
    if target is not None:
        if not 0 <= int(target) < classes:
            raise AttributionError(f"class {target} is out of range; use 0 to {classes - 1}")
        return [("target", int(target))]
    label, pred = digit.get("label"), int(digit["pred"])
    if label is None or int(label) < 0 or int(label) == pred:
        return [("true and predicted" if label is not None else "predicted", pred)]
    return [("true", int(label)), ("predicted", pred)]


def _entry(role: str, k: int, values: np.ndarray, method: str, probs: np.ndarray) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return {
        "role": role,
        "target": k,
        "values": np.ascontiguousarray(values, dtype=np.float32),
        "range": (lo, hi),
        "cmap": map_cmap(method, values),
        "probability": float(probs[k]),
    }
