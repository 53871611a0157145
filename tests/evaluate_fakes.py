"""Shared by the Evaluate-tab tests: a FakeEngine with the Evaluate ops, the app around it and
Pilot helpers that wait for the tab, its gallery and its replies."""

from __future__ import annotations

import numpy as np
from fake_engine import FakeEngine, mnist_test_digits
from textual.widgets import Static
from tui_helpers import wait_for

from engine.inspect.evaluation import cell_indices, confusion_matrix, per_class_accuracy
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate.pane import EvaluatePane

SIZE = (100, 32)


class EvalFakeEngine(FakeEngine):
    """FakeEngine plus the Evaluate ops, consistent with its ``sample`` op (every 7th digit
    is predicted as the next class)."""

    def predictions(self) -> tuple[np.ndarray, np.ndarray]:
        labels = mnist_test_digits()[1].astype(np.int64)
        preds = labels.copy()
        preds[::7] = (labels[::7] + 1) % 10
        return labels, preds

    def op_evaluate(self, split: str = "test", limit: int | None = None) -> dict:
        labels, preds = self.predictions()
        confusion = confusion_matrix(labels, preds)
        return {
            "split": split,
            "count": len(labels),
            "loss": 0.25,
            "accuracy": float((labels == preds).mean()),
            "confusion": confusion,
            "per_class": per_class_accuracy(confusion),
            "class_counts": confusion.sum(axis=1),
            "wrong": int((labels != preds).sum()),
        }

    def op_gallery(self, true=None, pred=None, page=0, per_page=12, split="test") -> dict:
        labels, preds = self.predictions()
        indices = cell_indices(labels, preds, true, pred)
        pages = max(1, -(-len(indices) // per_page))
        chosen = indices[page * per_page : (page + 1) * per_page]
        items = [
            {"index": int(i), "label": int(labels[i]), "pred": int(preds[i]), "confidence": 0.8}
            for i in chosen
        ]
        return {
            "true": true,
            "pred": pred,
            "page": page,
            "pages": pages,
            "total": len(indices),
            "per_page": per_page,
            "split": split,
            "items": items,
            "images": mnist_test_digits()[0][chosen],
        }

    def _digit(self, index: int, target) -> dict:
        labels, preds = self.predictions()
        return {
            "index": index,
            "split": "test",
            "image": mnist_test_digits()[0][index],
            "label": int(labels[index]),
            "pred": int(preds[index]),
            "confidence": 0.8,
            "target": int(preds[index]) if target is None else int(target),
        }

    def op_saliency(self, index, target=None, split="test") -> dict:
        values = mnist_test_digits()[0][index].astype(np.float32) / 255
        return {**self._digit(index, target), "saliency": values, "range": (0.0, 1.0)}

    def op_gradcam(self, index, layer=None, target=None, split="test") -> dict:
        if layer not in (None, "conv1", "conv2"):
            raise ValueError(f"layer {layer!r} is not a conv layer; use one of conv1, conv2")
        cam = np.zeros((28, 28), np.float32)
        cam[10:18, 10:18] = 1
        return {
            **self._digit(index, target),
            "layer": layer or "conv2",
            "cam": cam,
            "raw": cam[::4, ::4],
            "layers": ["conv1", "conv2"],
        }

    def op_occlusion(self, index, target=None, patch=6, stride=2, split="test") -> dict:
        values = np.linspace(-0.2, 0.5, 784, dtype=np.float32).reshape(28, 28)
        return {
            **self._digit(index, target),
            "sensitivity": values,
            "patch": patch,
            "stride": stride,
            "range": (-0.2, 0.5),
        }

    def op_actmax(self, layer=None, channel=0, steps=60, lr=0.1, l2=1e-3, seed=0) -> dict:
        layer = layer or "conv2"
        channels = 8 if layer == "conv1" else 16
        image = np.full((28, 28), channel / channels, np.float32)
        return {
            "layer": layer,
            "channel": channel,
            "channels": channels,
            "layers": ["conv1", "conv2"],
            "image": image,
            "start": 0.1,
            "end": 2.5,
        }

    def op_export(self, name, run_dir=None, fallback_dir=None, **parts) -> dict:
        folder = run_dir or fallback_dir or self.run_dir
        names = [
            f"{name}-{part}" for kind in parts.values() if isinstance(kind, dict) for part in kind
        ]
        return {
            "paths": [f"{folder}/exports/{n}.png" for n in names],
            "folder": f"{folder}/exports",
        }


def make_app(**options) -> tuple[CnnTuiApp, EvalFakeEngine]:
    fake = EvalFakeEngine()
    config = make_config("fast", model="tiny", epochs=1)
    app = CnnTuiApp(
        AppOptions(config=config, seed=7, color_mode="truecolor", **options),
        engine_factory=lambda data_dir, log_file: fake,
    )
    return app, fake


async def open_tab(pilot) -> EvaluatePane:
    app = pilot.app
    await wait_for(
        pilot, lambda: app.main.train.state == "idle" and app.main.train.layer_name, "the model"
    )
    await pilot.press("3")
    pane = app.main.query_one(EvaluatePane)
    await wait_for(pilot, lambda: pane.evaluation is not None, "the evaluation")
    return pane


async def open_mistakes(pilot, pane: EvaluatePane, timeout: float = 10.0) -> None:
    """Press w (every misclassified digit) and wait for the gallery to arrive."""
    await pilot.press("w")
    await wait_for(pilot, lambda: pane.gallery is not None, "the gallery", timeout=timeout)


def sent(fake: FakeEngine, op: str) -> list[dict]:
    return [kwargs for name, kwargs in fake.sent if name == op]


def text(pane: EvaluatePane, selector: str) -> str:
    content = pane.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)
