"""A fake engine model for the app's tests: a tiny residual net on 3x32x32 colour pictures of
three named classes (an image folder's circle, square, triangle), with containers in its
layer table (a Sequential holding a BasicBlock) and a ReLU called twice. Numpy only.

``resnet_engine(base)`` subclasses the conftest's fake engine (``eval_engine_class``) with
this model's ``load``, ``sample``, ``kernels``, ``activations``, ``evaluate``, ``gallery`` and
``actmax`` answers.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

CLASSES = ["circle", "square", "triangle"]
SIDE = 32


def _row(name: str, kind: str, inp: tuple, out: tuple, depth: int = 1, **extra: Any) -> dict:
    params = int(extra.pop("params", 0))
    return {
        "name": name.split("#")[0],
        "type": kind,
        "input_shape": [-1, *inp],
        "output_shape": [-1, *out],
        "kernel_size": extra.pop("kernel", None),
        "params": params,
        "trainable": params > 0,
        "macs": int(extra.pop("macs", 0)),
        "depth": depth,
        "call": int(extra.pop("call", 0)),
        "leaf": bool(extra.pop("leaf", True)),
        "key": name,
        "recursive": bool(extra.pop("recursive", False)),
    }


M = (8, SIDE, SIDE)
RESNET_ROWS = [
    _row("conv1", "Conv2d", (3, SIDE, SIDE), M, params=224, macs=221184, kernel=[3, 3]),
    _row("bn1", "BatchNorm2d", M, M, params=16, macs=16),
    _row("relu", "ReLU", M, M),
    _row("layer1", "Sequential", M, M, leaf=False),  # containers: the table sums their rows
    _row("layer1.0", "BasicBlock", M, M, depth=2, leaf=False),
    _row("layer1.0.conv1", "Conv2d", M, M, 3, params=584, macs=589824, kernel=[3, 3]),
    _row("layer1.0.bn1", "BatchNorm2d", M, M, 3, params=16, macs=16),
    _row("layer1.0.relu", "ReLU", M, M, 3),
    _row("layer1.0.conv2", "Conv2d", M, M, 3, params=584, macs=589824, kernel=[3, 3]),
    _row("layer1.0.bn2", "BatchNorm2d", M, M, 3, params=16, macs=16),
    _row("layer1.0.relu#2", "ReLU", M, M, 3, call=1, recursive=True),
    _row("relu#2", "ReLU", M, M, call=1, recursive=True),
    _row("pool", "AdaptiveAvgPool2d", M, (8, 1, 1)),
    _row("flatten", "Flatten", (8, 1, 1), (8,)),
    _row("fc", "Linear", (8,), (3,), params=27, macs=24),
]
LEAF_KEYS = [row["key"] for row in RESNET_ROWS if row["leaf"]]
SHAPES = {  # a coloured picture per class: red circle, green square, blue triangle
    "circle": lambda y, x: (y - 15.5) ** 2 + (x - 15.5) ** 2 < 100,
    "square": lambda y, x: (abs(y - 15.5) < 9) & (abs(x - 15.5) < 9),
    "triangle": lambda y, x: (y > 6) & (y < 26) & (abs(x - 15.5) < (y - 6) / 2),
}


def picture(label: int) -> np.ndarray:
    """Class ``label``'s picture: uint8 (3, 32, 32), its shape in one pure colour on black."""
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    mask = SHAPES[CLASSES[label]](y, x)
    image = np.zeros((3, SIDE, SIDE), np.uint8)
    image[label][mask] = 255
    return image


def summary() -> dict[str, Any]:
    leaves = [r for r in RESNET_ROWS if r["leaf"]]
    total = sum(r["params"] for r in leaves if not r["recursive"])
    return {
        "layers": [dict(r) for r in RESNET_ROWS],
        "total_params": total,
        "trainable_params": total,
        "total_macs": sum(r["macs"] for r in leaves),
        "input_size_mb": 0.01,
        "forward_backward_size_mb": 0.5,
        "params_size_mb": total * 4 / 2**20,
        "estimated_total_mb": 0.6,
    }


def resnet_engine(base: type) -> type:
    """``base`` (an EvalFakeEngine class) answering for the tiny residual net."""

    class ResNetFakeEngine(base):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("models", ("tests/zoo/tiny_resnet.py:TinyResNet", "tiny"))
            super().__init__(**kwargs)

        def op_load(self, model=None, checkpoint=None, weights=None, **data) -> dict:
            payload = super().op_load(model, checkpoint, weights)
            payload["info"].update(
                name="TinyResNet", input_shape=(3, SIDE, SIDE), mean=(0.5,) * 3, std=(0.25,) * 3
            )
            payload["info"]["dataset"] = data.get("dataset", "folder:shapes")
            return {**payload, "summary": summary(), "layers": LEAF_KEYS, "classes": CLASSES}

        def labels(self) -> tuple[np.ndarray, np.ndarray]:
            labels = np.arange(30) % 3
            preds = labels.copy()
            preds[::7] = (labels[::7] + 1) % 3
            return labels, preds

        def op_sample(self, index: int, split: str = "test") -> dict[str, Any]:
            labels, preds = self.labels()
            label = int(labels[max(index, 0) % 30])
            pred = int(preds[max(index, 0) % 30])
            probs = np.full(3, 0.1, np.float32)
            probs[pred] = 0.8
            return {"index": index, "split": split, "image": picture(label), "label": label,
                    "pred": pred, "probs": probs}  # fmt: skip

        def _row(self, layer: str) -> dict[str, Any]:
            for row in RESNET_ROWS:
                if row["key"] == layer:
                    return row
            raise ValueError(f"unknown layer {layer!r}")

        def op_kernels(self, layer: str) -> dict[str, Any]:
            row = self._row(layer)
            if row["type"] not in ("Conv2d", "Linear"):
                raise ValueError(f"layer {layer} ({row['type']}) has no kernels")
            rng = np.random.default_rng(zlib.crc32(layer.encode()))
            shape = (3, 8) if row["type"] == "Linear" else (8, row["input_shape"][1], 3, 3)
            weights = rng.standard_normal(shape).astype(np.float32)
            return {"layer": layer, "weights": weights, "shape": shape,
                    "range": (float(weights.min()), float(weights.max()))}  # fmt: skip

        def _maps(self, layer: str, index: int) -> dict[str, Any]:
            row = self._row(layer)
            out = tuple(row["output_shape"][1:])
            rng = np.random.default_rng(zlib.crc32(layer.encode()) + max(index, 0))
            shape = out if len(out) == 3 else (1, 1, out[0])
            maps = rng.integers(0, 256, shape, dtype=np.uint8)
            ranges = np.tile(np.array([[0.0, 1.0]], np.float32), (shape[0], 1))
            label = int(self.labels()[0][max(index, 0) % 30])
            return {"layer": layer, "maps": maps, "ranges": ranges, "shape": out,
                    "index": index, "label": label, "pred": label}  # fmt: skip

        def op_evaluate(self, split: str = "test", limit: int | None = None) -> dict:
            labels, preds = self.labels()
            confusion = np.zeros((3, 3), np.int64)
            np.add.at(confusion, (labels, preds), 1)
            return {"split": split, "count": 30, "loss": 0.3,
                    "accuracy": float((labels == preds).mean()), "confusion": confusion,
                    "per_class": (confusion.diagonal() / confusion.sum(axis=1)).tolist(),
                    "class_counts": confusion.sum(axis=1),
                    "wrong": int((labels != preds).sum())}  # fmt: skip

        def op_gallery(self, true=None, pred=None, page=0, per_page=12, split="test") -> dict:
            labels, preds = self.labels()
            chosen = [
                i for i in range(30)
                if (true is None or labels[i] == true) and (pred is None or preds[i] == pred)
                and (true is not None or pred is not None or labels[i] != preds[i])
            ][:per_page]  # fmt: skip
            items = [{"index": i, "label": int(labels[i]), "pred": int(preds[i]),
                      "confidence": 0.8} for i in chosen]  # fmt: skip
            images = np.stack([picture(int(labels[i])) for i in chosen]) if chosen else None
            return {"true": true, "pred": pred, "page": 0, "pages": 1, "total": len(chosen),
                    "per_page": per_page, "split": split, "items": items,
                    "images": images}  # fmt: skip

        def op_actmax(self, layer=None, channel=0, target_class=None, steps=None, seed=0) -> dict:
            if target_class is None or not 0 <= target_class < 3:
                raise ValueError(f"class {target_class} is out of range; use 0 to 2")
            image = np.zeros((3, SIDE, SIDE), np.float32)  # a colour picture: its class's hue
            image[target_class] = 0.9
            return {"layers": ["conv1", "layer1.0.conv1", "layer1.0.conv2"], "image": image,
                    "steps": steps or 400, "seed": seed, "mode": "class", "layer": "fc",
                    "target": target_class, "target_class": target_class, "channel": None,
                    "channels": None, "probability": 0.9, "start": -1.0, "end": 5.0,
                    "total_variation": 0.1, "noise_total_variation": 0.6}  # fmt: skip

    return ResNetFakeEngine
