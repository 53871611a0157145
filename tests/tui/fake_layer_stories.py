"""``layer_story`` payloads for the FakeEngine, computed with numpy from a summary row and a
digit: shaped like engine.process.story_ops (the real op is tested against PyTorch in
tests/engine/inspect/test_layer_story.py)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _inputs(shape: tuple[int, ...], digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Plausible layer inputs of ``shape``: the digit resampled per channel, with noise that
    goes below 0."""
    if len(shape) == 1:
        return (rng.standard_normal(shape[0]) * 0.8).astype(np.float32)
    c, h, w = shape
    rows = np.arange(h) * 28 // h
    cols = np.arange(w) * 28 // w
    base = digit[np.ix_(rows, cols)]
    noise = rng.standard_normal((c, h, w)) * 0.4
    return (base[None] * (1 + np.arange(c)[:, None, None] % 3) + noise - 0.2).astype(np.float32)


def _pool(before: np.ndarray, k: int) -> dict[str, Any]:
    c, h, w = before.shape
    after = before[:, : h // k * k, : w // k * k].reshape(c, h // k, k, w // k, k).max(axis=(2, 4))
    ch, i, j = (int(v) for v in np.unravel_index(int(after.argmax()), after.shape))
    window = before[ch, i * k : i * k + k, j * k : j * k + k].astype(np.float64)
    at = np.unravel_index(int(window.argmax()), window.shape)
    return {
        "after": after,
        "kind": "pool",
        "line": f"MaxPool2d keeps the max of each {k}x{k} window (stride {k}x{k}): "
        f"{h}x{w} → {h // k}x{w // k}",
        "channel": ch,
        "cell": (ch, i, j),
        "rows": [i * k + a for a in range(k)],
        "cols": [j * k + b for b in range(k)],
        "window": window,
        "kept": float(window.max()),
        "kept_at": (int(at[0]), int(at[1])),
        "how": "max",
        "output": float(after[ch, i, j]),
    }


def _relu(before: np.ndarray) -> dict[str, Any]:
    after = np.maximum(before, 0)
    zeroed = int((before < 0).sum())
    return {
        "after": after,
        "kind": "activation",
        "line": f"ReLU sets negative values to 0: {zeroed:,} of {before.size:,} values "
        f"({zeroed / before.size:.1%}) zeroed",
        "channel": int(after.reshape(len(after), -1).max(axis=1).argmax())
        if after.ndim == 3
        else 0,
        "zeroed": zeroed,
        "negatives": zeroed,
        "total": int(before.size),
        "fraction": zeroed / before.size,
    }


def _flatten(before: np.ndarray) -> dict[str, Any]:
    before = np.abs(before)
    cell = tuple(int(v) for v in np.unravel_index(int(before.argmax()), before.shape))
    index = int(np.ravel_multi_index(cell, before.shape))
    dims = "×".join(str(s) for s in before.shape)
    return {
        "before": before,
        "after": before.reshape(-1),
        "kind": "flatten",
        "line": f"Flatten: {dims} → one vector of {before.size:,}, row by row: "
        "(c, y, x) → c·H·W + y·W + x",
        "channel": cell[0],
        "shape": before.shape,
        "cell": cell,
        "flat_index": index,
        "value": float(before[cell]),
    }


def _linear(before: np.ndarray, out: int, rng: np.random.Generator) -> dict[str, Any]:
    weights = rng.standard_normal((out, before.size)) * 0.05
    bias = rng.standard_normal(out) * 0.1
    after = (weights @ before.reshape(-1) + bias).astype(np.float32)
    unit = int(after.argmax())
    dot = float(weights[unit] @ before.reshape(-1))
    return {
        "before": before.reshape(-1),
        "after": after,
        "kind": "linear",
        "line": f"y = Wx + b: {out:,} units, each its {before.size:,} weights · input + bias; "
        f"unit {unit}: {dot:.3f} {'+' if bias[unit] >= 0 else '−'} {abs(bias[unit]):.3f} = "
        f"{after[unit]:.3f}",
        "channel": 0,
        "unit": unit,
        "dot": dot,
        "bias": float(bias[unit]),
        "output": float(after[unit]),
        "in_features": int(before.size),
        "out_features": out,
        "template_shape": None,
    }


def fake_story(row: dict[str, Any], digit: np.ndarray, rng: np.random.Generator) -> dict:
    """The story of the layer ``row`` (a summary row) on ``digit`` (28x28 in [0, 1])."""
    kind = row["type"]
    in_shape = tuple(int(s) for s in row["input_shape"][1:])
    out_shape = tuple(int(s) for s in row["output_shape"][1:])
    before = _inputs(in_shape, digit, rng)
    story: dict[str, Any] = {"layer": row["name"], "type": kind, "before": before}
    if kind == "ReLU":
        story.update(_relu(before))
    elif kind == "MaxPool2d":
        story.update(_pool(np.maximum(before, 0), in_shape[-1] // out_shape[-1]))
        story["before"] = np.maximum(before, 0)
    elif kind == "Flatten":
        story.update(_flatten(before))
    elif kind == "Linear":
        story.update(_linear(before, out_shape[0], rng))
    else:
        story.update(
            after=_inputs(out_shape, digit, rng),
            kind="conv" if kind == "Conv2d" else "other",
            line=f"{kind}: each of {out_shape[0]} maps = Σ over {in_shape[0]} input maps of "
            "3x3 window × kernel, + bias; b explains a cell",
            channel=0,
        )
    story["before"] = np.asarray(story["before"], dtype=np.float32)
    story["after"] = np.asarray(story["after"], dtype=np.float32)
    return story


def _row(name: str, kind: str, inp: tuple, out: tuple, params: int = 0) -> dict[str, Any]:
    return {"name": name, "type": kind, "input_shape": [-1, *inp], "output_shape": [-1, *out],
            "kernel_size": None, "params": params, "trainable": params > 0,
            "macs": params}  # fmt: skip


MLP_LAYERS = [
    _row("flatten", "Flatten", (1, 28, 28), (784,)),
    _row("fc1", "Linear", (784,), (24,), 784 * 24 + 24),
    _row("relu1", "ReLU", (24,), (24,)),
    _row("fc2", "Linear", (24,), (10,), 250),
]


def mlp_engine(base: type) -> type:
    """A FakeEngine (``base``) whose model is a small mlp: its first dense layer is fed by the
    28x28 image, so its ``kernels`` carry ``template_shape`` like the engine's."""

    class MlpFakeEngine(base):  # type: ignore[misc, valid-type]
        def op_load(self, **kwargs: Any) -> dict[str, Any]:
            payload = base.op_load(self, **kwargs)
            total = sum(row["params"] for row in MLP_LAYERS)
            payload["summary"] = dict(payload["summary"], layers=MLP_LAYERS,
                                      total_params=total, trainable_params=total)  # fmt: skip
            payload["layers"] = [row["name"] for row in MLP_LAYERS]
            return payload

        def _row(self, layer: str) -> dict[str, Any]:
            for row in MLP_LAYERS:
                if row["name"] == layer:
                    return row
            raise ValueError(f"unknown layer {layer!r}")

        def op_kernels(self, layer: str) -> dict[str, Any]:
            row = self._row(layer)
            if row["type"] != "Linear":
                raise ValueError(f"layer {layer} ({row['type']}) has no kernels")
            shape = (row["output_shape"][1], row["input_shape"][1])
            rng = np.random.default_rng(len(layer) + self.weights_version)
            weights = (rng.standard_normal(shape) * 0.1).astype(np.float32)
            payload = {"layer": layer, "weights": weights, "shape": shape,
                       "range": (float(weights.min()), float(weights.max()))}  # fmt: skip
            if layer == "fc1":
                payload["template_shape"] = (28, 28)
            return payload

    return MlpFakeEngine
