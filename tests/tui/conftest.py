"""Fixtures of the app's Pilot and snapshot tests: an in-process fake engine, the app over it,
and waiting on it.

``FakeEngine`` stands in for ``engine.process.remote.EngineProcess``: deterministic payloads, no
torch, so the Pilot and snapshot tests run the real app fast and repeatably (one slow test and
the tmux test use the real child process). Digits are the bundled MNIST test images (read with
numpy); every other array is derived from fixed seeds. ``EvalFakeEngine`` adds the Evaluate
tab's ops. Tests reach all of it through the fixtures at the end of this file.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.widgets import Static

from engine.inspect.evaluation import cell_indices, confusion_matrix, per_class_accuracy
from engine.process.protocol import Reply, Request
from engine.training.config import TrainConfig, make_config
from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate.pane import EvaluatePane
from tui.widgets.header import StatusHeader, status_text

APP_SIZE = (100, 32)

MNIST = Path(__file__).resolve().parents[2] / "data" / "mnist"


def _read_idx(name: str, offset: int) -> np.ndarray:
    with gzip.open(MNIST / name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


_TEST: tuple[np.ndarray, np.ndarray] | None = None


def _mnist_test_digits() -> tuple[np.ndarray, np.ndarray]:
    global _TEST
    if _TEST is None:
        images = _read_idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
        labels = _read_idx("t10k-labels-idx1-ubyte.gz", 8)
        _TEST = (images, labels)
    return _TEST


def _layer(
    name: str,
    kind: str,
    inp: tuple,
    out: tuple,
    params: int = 0,
    macs: int = 0,
    kernel: tuple | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "input_shape": [-1, *inp],
        "output_shape": [-1, *out],
        "kernel_size": list(kernel) if kernel else None,
        "params": params,
        "trainable": params > 0,
        "macs": macs,
    }


TINY_LAYERS = [
    _layer("conv1", "Conv2d", (1, 28, 28), (8, 28, 28), 80, 56448, (3, 3)),
    _layer("relu1", "ReLU", (8, 28, 28), (8, 28, 28)),
    _layer("pool1", "MaxPool2d", (8, 28, 28), (8, 14, 14), kernel=(2, 2)),
    _layer("conv2", "Conv2d", (8, 14, 14), (16, 14, 14), 1168, 225792, (3, 3)),
    _layer("relu2", "ReLU", (16, 14, 14), (16, 14, 14)),
    _layer("pool2", "MaxPool2d", (16, 14, 14), (16, 7, 7), kernel=(2, 2)),
    _layer("flatten", "Flatten", (16, 7, 7), (784,)),
    _layer("fc1", "Linear", (784,), (10,), 7850, 7840),
]


def summary_dict(layers: list[dict[str, Any]] = TINY_LAYERS) -> dict[str, Any]:
    total = sum(layer["params"] for layer in layers)
    return {
        "layers": layers,
        "total_params": total,
        "trainable_params": total,
        "total_macs": sum(layer["macs"] for layer in layers),
        "input_size_mb": 0.0,
        "forward_backward_size_mb": 0.14,
        "params_size_mb": total * 4 / 2**20,
        "estimated_total_mb": 0.18,
    }


class FakeEngine:
    """Implements send/train/pause/resume/stop/poll/close like EngineProcess.

    Training is simulated: ``steps_per_epoch`` Progress events per epoch, ``step_delay``
    seconds apart, then EpochEnd; stop ends with Finished(reason="stopped") and a checkpoint.
    ``models`` lists the names and specs that load; anything else fails like the engine does.
    """

    def __init__(
        self,
        steps_per_epoch: int = 8,
        step_delay: float = 0.0,
        models: tuple[str, ...] = ("fast-net", "tiny", "lenet5", "basic-cnn", "c8-p-c16-p-f10"),
        fail_training: str | None = None,
        run_dir: str = "/tmp/cnn-tui-fake-run",
        stall_after: int | None = None,
    ):
        self.steps_per_epoch = steps_per_epoch
        self.step_delay = step_delay
        self.models = models
        self.fail_training = fail_training
        self.stall_after = stall_after  # steps after which training makes no progress
        self.run_dir = run_dir
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.closed = False
        self._ids = 0
        self._lock = threading.Lock()
        self._queue: deque[Any] = deque()
        self._training: Any = None
        self._paused = False
        self._stop = False
        self._last_step = 0.0
        self.model: str | None = None
        self.weights_version = 0
        self.device = "cpu"  # the load reply's device (a test may name a GPU)

    # ------------------------------------------------------------- the handle API

    def send(self, op: str, **kwargs: Any) -> int:
        with self._lock:
            self._ids += 1
            rid = self._ids
            self.sent.append((op, kwargs))
            request = Request(rid, op, kwargs)
            if op == "pause":
                if self._training is not None and not self._paused:
                    self._paused = True
                    self._queue.append(Paused(global_step=self.weights_version))
            elif op == "resume":
                if self._training is not None and self._paused:
                    self._paused = False
                    self._queue.append(Resumed(global_step=self.weights_version))
            elif op == "stop":
                self._stop = True
                self._paused = False
            elif op == "train":
                self._queue.append(self._start_training(request))
            else:
                try:
                    self._queue.append(Reply.success(request, self.answer(op, **kwargs)))
                except ValueError as exc:
                    self._queue.append(Reply.failure(request, str(exc)))
        return rid

    def train(self, config: TrainConfig, resume: str | None = None) -> int:
        return self.send("train", config=config.to_dict(), resume=resume)

    def pause(self) -> int:
        return self.send("pause")

    def resume(self) -> int:
        return self.send("resume")

    def stop(self) -> int:
        return self.send("stop")

    def poll(self, timeout: float | None = 0.0) -> Any:
        deadline = time.monotonic() + (timeout or 0.0)
        while True:
            with self._lock:
                if self._queue:
                    return self._queue.popleft()
                item = self._next_training_event()
                if item is not None:
                    return item
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.002)

    def close(self) -> None:
        self.closed = True

    @property
    def alive(self) -> bool:
        return not self.closed

    # ------------------------------------------------------------------ training

    def _start_training(self, request: Request) -> Reply:
        if self._training is not None:
            return Reply.failure(request, "training is already running; stop it first")
        config = TrainConfig.from_dict(request.kwargs["config"])
        self._stop = self._paused = False
        self._training = self._events(config)
        return Reply.success(request, {"config": config.to_dict()})

    def _events(self, config: TrainConfig):
        steps = self.steps_per_epoch
        yield Started(
            run_dir=self.run_dir,
            model=config.model,
            device="cpu",
            epochs=config.epochs,
            steps_per_epoch=steps,
            params=9098,
            config=config.to_dict(),
        )
        global_step = 0
        for epoch in range(config.epochs):
            for step in range(1, steps + 1):
                if self._stop:
                    yield Finished(
                        reason="stopped",
                        epochs_done=epoch,
                        test_acc=None,
                        seconds=1.0,
                        checkpoint=f"{self.run_dir}/last.pt",
                        epoch=epoch + 1,
                        step=step - 1,
                        steps_per_epoch=steps,
                    )
                    return
                global_step += 1
                self.weights_version = global_step
                if self.fail_training and global_step == 3:
                    diverged = self.fail_training.startswith("training diverged")
                    yield Failed(
                        message=self.fail_training, reason="diverged" if diverged else "error"
                    )
                    return
                loss = 2.3 / (1 + 0.5 * global_step)
                acc = min(0.99, 0.1 + 0.08 * global_step)
                yield Progress(
                    epoch=epoch + 1,
                    step=step,
                    steps_per_epoch=steps,
                    global_step=global_step,
                    loss=loss,
                    acc=acc,
                    lr=config.lr,
                    samples_per_sec=1234.0,
                    elapsed=0.1 * global_step,
                )
            yield EpochEnd(
                epoch=epoch + 1,
                train_loss=0.5 / (epoch + 1),
                train_acc=0.9 + 0.02 * epoch,
                test_loss=0.4 / (epoch + 1),
                test_acc=0.93 + 0.02 * epoch,
                seconds=1.0,
                lr=config.lr,
            )
        yield Finished(
            reason="completed",
            epochs_done=config.epochs,
            test_acc=0.95,
            seconds=2.0,
            checkpoint=f"{self.run_dir}/last.pt",
        )

    def _next_training_event(self) -> Any:
        if self._training is None or self._paused:
            return None
        if (
            self.stall_after is not None
            and self.weights_version >= self.stall_after
            and not self._stop
        ):
            return None
        now = time.monotonic()
        if self.step_delay and now - self._last_step < self.step_delay:
            return None
        self._last_step = now
        event = next(self._training, None)
        if event is None or isinstance(event, (Finished, Failed)):
            self._training = None
        return event

    # ------------------------------------------------------------- inspection

    def answer(self, op: str, **kw: Any) -> dict[str, Any]:
        if op != "load" and self.model is None:
            raise ValueError("no model is loaded; send load(model=NAME) or start training first")
        return getattr(self, f"op_{op}")(**kw)

    def op_load(
        self,
        model: str | None = None,
        checkpoint: str | None = None,
        weights: str | None = None,
        dataset: str | None = None,  # the engine builds the model for them (kept as sent)
        input_shape: tuple[int, int, int] | None = None,
    ) -> dict[str, Any]:
        if checkpoint:
            if "corrupt" in Path(checkpoint).name:
                raise ValueError(
                    f"{checkpoint} is not a cnn-tui checkpoint (unpickling "
                    "failed); pass a file saved by cnn-tui or python -m engine"
                )
            model = "tiny"
        if model not in self.models:
            raise ValueError(
                f"unknown model or bad spec {model!r}; use a name such as "
                "fast-net or a spec like c32-p-c64-p-f128"
            )
        self.model = model
        return {
            "info": {
                "name": model,
                "description": "a tiny test network",
                "input_shape": (1, 28, 28),
                "mean": (0.1307,),
                "std": (0.3081,),
                "weights": f"checkpoint {checkpoint}" if checkpoint else "random init",
            },
            "summary": summary_dict(),
            "layers": [x["name"] for x in TINY_LAYERS],
            "classes": [str(i) for i in range(10)],
            "device": self.device,  # where the model computes, as ModelOps.describe says
            "precision": "float32",
        }

    def _row(self, layer: str) -> dict[str, Any]:
        for row in TINY_LAYERS:
            if row["name"] == layer:
                return row
        raise ValueError(f"unknown layer {layer!r}")

    def op_sample(self, index: int, split: str = "test") -> dict[str, Any]:
        images, labels = _mnist_test_digits()
        if index == -1:
            image, label = images[0], None
        else:
            image, label = images[index], int(labels[index])
        probs = np.full(10, 0.02, dtype=np.float32)
        pred = (label if label is not None else 3) if index % 7 else ((label or 0) + 1) % 10
        probs[pred] = 0.82
        return {
            "index": index,
            "split": split,
            "image": image.copy(),
            "label": label,
            "pred": int(pred),
            "probs": probs,
        }

    def op_kernels(self, layer: str) -> dict[str, Any]:
        row = self._row(layer)
        if row["type"] not in ("Conv2d", "Linear"):
            raise ValueError(f"layer {layer} ({row['type']}) has no kernels")
        rng = np.random.default_rng(zlib.crc32(layer.encode()) % 1000 + self.weights_version)
        if row["type"] == "Linear":
            weights = rng.standard_normal((10, 784)).astype(np.float32) * 0.1
            shape = (10, 784)
        else:
            out_c, in_c = row["output_shape"][1], row["input_shape"][1]
            weights = rng.standard_normal((out_c, in_c, 3, 3)).astype(np.float32) * 0.3
            shape = weights.shape
        return {
            "layer": layer,
            "weights": weights,
            "range": (float(weights.min()), float(weights.max())),
            "shape": shape,
        }

    def _maps(self, layer: str, index: int) -> dict[str, Any]:
        row = self._row(layer)
        out = row["output_shape"][1:]
        images, labels = _mnist_test_digits()
        digit = images[max(index, 0)].astype(np.float32) / 255
        if len(out) == 3:
            c, h, w = out
            step = 28 // h
            base = digit[::step, ::step][:h, :w]
            maps = np.stack([np.roll(base, k, axis=k % 2) * (1 + k % 3) for k in range(c)])
        else:
            maps = np.linspace(0, 1, out[0], dtype=np.float32).reshape(1, 1, -1)
        lo = maps.reshape(len(maps), -1).min(axis=1)
        hi = maps.reshape(len(maps), -1).max(axis=1)
        span = np.where(hi > lo, hi - lo, 1)
        q = ((maps - lo[:, None, None]) / span[:, None, None] * 255).round().astype(np.uint8)
        label = int(labels[index]) if index >= 0 else None
        return {
            "layer": layer,
            "maps": q,
            "ranges": np.stack([lo, hi], axis=1),
            "shape": tuple(out),
            "index": index,
            "label": label,
            "pred": label,
        }

    def op_activations(self, layer: str, index: int, split: str = "test") -> dict[str, Any]:
        return self._maps(layer, index)

    def op_activations_many(
        self, layer: str, indices: list[int], split: str = "test"
    ) -> dict[str, Any]:
        return {"layer": layer, "items": [self._maps(layer, i) for i in indices]}

    def op_explain(
        self, layer: str, index: int, channel: int, i=None, j=None, split: str = "test"
    ) -> dict[str, Any]:
        """A payload shaped like Workbench.explain: patch, kernel and products per input channel
        of a 3x3 kernel, numbers that add up (i or j None: the map's strongest cell)."""
        row = self._row(layer)
        if row["type"] != "Conv2d":
            raise ValueError(f"{layer} is a {row['type']}; pick a conv layer to explain")
        in_c, (out_c, h, w) = row["input_shape"][1], row["output_shape"][1:]
        strongest = i is None or j is None
        if strongest and 0 <= channel < out_c:
            q = self._maps(layer, index)["maps"][channel]
            i, j = (int(v) for v in np.unravel_index(int(q.argmax()), q.shape))
        if not (0 <= channel < out_c and 0 <= i < h and 0 <= j < w):
            raise ValueError(f"cell ({channel}, {i}, {j}) is outside the layer's output")
        rng = np.random.default_rng(zlib.crc32(layer.encode()) + 31 * channel + i * w + j)
        patch = rng.standard_normal((in_c, 3, 3)).round(2)
        kernel = self.op_kernels(layer)["weights"][channel].astype(np.float64)
        products = patch * kernel
        contributions = products.sum(axis=(1, 2))
        total = float(contributions.sum()) + 0.01
        scale = 28 // h  # receptive field on the 28x28 input, clipped
        box = (max(i * scale - 1, 0), max(j * scale - 1, 0), i * scale + 2, j * scale + 2)
        return {
            "layer": layer,
            "out_channel": channel,
            "row": i,
            "col": j,
            "strongest": strongest,
            "channels": list(range(in_c)),
            "patch": patch,
            "kernel": kernel,
            "products": products,
            "contributions": contributions,
            "bias": 0.01,
            "sum": total - 0.01,
            "total": total,
            "captured": total,
            "input_box_clipped": tuple(min(v, 28) for v in box),
            "index": index,
        }

    def op_layer_story(self, layer: str, index: int, split: str = "test") -> dict[str, Any]:
        """A payload shaped like StoryOps.layer_story, computed with numpy."""
        from fake_layer_stories import fake_story

        row = self._row(layer)
        rng = np.random.default_rng(zlib.crc32(layer.encode()) % 1000 + max(index, 0))
        digit = _mnist_test_digits()[0][max(index, 0)].astype(np.float32) / 255
        return fake_story(row, digit, rng) | {"index": index}

    def op_misclassified(self, after: int = -1, split: str = "test") -> dict[str, Any]:
        wrong = [i for i in range(0, 10_000, 7)]
        later = [i for i in wrong if i > after]
        return {"index": later[0] if later else wrong[0], "count": len(wrong)}

    def op_image(self, path: str) -> dict[str, Any]:
        if not Path(path).is_file():
            raise ValueError(f"image file {path} does not exist; check the path")
        return self.op_sample(-1)

    def op_drawn(self, pixels: Any) -> dict[str, Any]:
        """The canvas back, flipped upside down (the "pre-processing"); the prediction is the
        number of inked pixels modulo 10, with 10% more probability per inked pixel."""
        canvas = np.asarray(pixels, dtype=np.float32)
        inked = int((canvas > 0.5).sum())
        probs = np.full(10, 0.01, dtype=np.float32)
        probs[inked % 10] = min(0.91, 0.1 * inked) if inked else 0.01
        image = np.rint(canvas[::-1] * 255).astype(np.uint8)
        return {"index": -1, "split": "test", "image": image, "label": None,
                "pred": inked % 10, "probs": probs, "blank": not image.any()}  # fmt: skip

    def op_save(self, path: str | None = None) -> dict[str, Any]:
        if self._training is None and self.weights_version == 0:
            raise ValueError(
                "nothing to save: this model has no training state; train it "
                "first (a loaded checkpoint is already on disk)"
            )
        return {"path": path or f"{self.run_dir}/manual.pt"}


def _make_app(fake: FakeEngine | None = None, **options: Any) -> tuple[CnnTuiApp, FakeEngine]:
    """The app over ``fake`` (a fresh FakeEngine by default), training tiny for two epochs."""
    fake = fake or FakeEngine()
    config = options.pop("config", make_config("fast", model="tiny", epochs=2))
    app = CnnTuiApp(
        AppOptions(config=config, seed=7, color_mode="truecolor", **options),
        engine_factory=lambda data_dir, log_file: fake,
    )
    return app, fake


async def _wait_for(
    pilot: Any, condition: Callable[[], object], what: str = "condition", timeout: float = 30.0
) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def _ready(pilot: Any) -> None:
    """Wait until the model has loaded and the first inspector requests are answered."""
    app = pilot.app
    await _wait_for(
        pilot,
        lambda: app.main.train.state == "idle" and app.main.train.layer_name is not None,
        what="the model to load",
    )
    await _wait_for(pilot, lambda: not app.link.pending, what="the first inspector requests")
    await pilot.pause()  # the answers reach the Train tab after the screen resolved them


def _ops(fake: FakeEngine) -> list[str]:
    """The ops sent to ``fake``, in order."""
    return [op for op, _ in fake.sent]


def _header(app: CnnTuiApp) -> str:
    """The status header's text."""
    return status_text(app.main.query_one(StatusHeader).status).plain


class EvalFakeEngine(FakeEngine):
    """FakeEngine plus the Evaluate ops, consistent with its ``sample`` op (every 7th digit
    is predicted as the next class)."""

    def predictions(self) -> tuple[np.ndarray, np.ndarray]:
        labels = _mnist_test_digits()[1].astype(np.int64)
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
            "images": _mnist_test_digits()[0][chosen],
        }

    def _digit(self, index: int, target) -> dict:
        labels, preds = self.predictions()
        return {
            "index": index,
            "split": "test",
            "image": _mnist_test_digits()[0][index],
            "label": int(labels[index]),
            "pred": int(preds[index]),
            "confidence": 0.8,
            "target": int(preds[index]) if target is None else int(target),
        }

    def op_saliency(self, index, target=None, split="test") -> dict:
        values = _mnist_test_digits()[0][index].astype(np.float32) / 255
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

    def op_attribute(self, index, method, layer=None, target=None, split="test") -> dict:
        # tests/tui/fake_attribution.py: this folder is on sys.path (pytest's rootdir conftest)
        from fake_attribution import attribute_payload

        return attribute_payload(self._digit(index, target), method, layer)

    def op_actmax(self, layer=None, channel=0, target_class=None, steps=None, seed=0) -> dict:
        """A class's (a bar at column 2K) or a channel's (flat, brighter by channel) picture."""
        image = np.zeros((28, 28), np.float32)
        common = {"layers": ["conv1", "conv2"], "image": image, "steps": steps or 400,
                  "seed": seed, "total_variation": 0.1, "noise_total_variation": 0.6}  # fmt: skip
        if target_class is not None:
            if not 0 <= target_class < 10:
                raise ValueError(f"class {target_class} is out of range; use 0 to 9")
            image[4:24, 2 * target_class : 2 * target_class + 3] = 1.0
            return {**common, "mode": "class", "layer": "fc2", "target": target_class,
                    "target_class": target_class, "channel": None, "channels": None,
                    "probability": 0.9 + target_class / 100, "start": -1.0, "end": 5.0}  # fmt: skip
        layer = layer or "conv2"
        channels = 8 if layer == "conv1" else 16
        image[:] = channel / channels
        return {**common, "mode": "channel", "layer": layer, "target": channel,
                "target_class": None, "channel": channel, "channels": channels,
                "probability": None, "start": 0.1, "end": 2.5}  # fmt: skip

    def op_export(self, name, run_dir=None, fallback_dir=None, **parts) -> dict:
        folder = run_dir or fallback_dir or self.run_dir
        names = [
            f"{name}-{part}" for kind in parts.values() if isinstance(kind, dict) for part in kind
        ]
        return {
            "paths": [f"{folder}/exports/{n}.png" for n in names],
            "folder": f"{folder}/exports",
        }


def _make_eval_app(**options) -> tuple[CnnTuiApp, EvalFakeEngine]:
    fake = EvalFakeEngine()
    config = make_config("fast", model="tiny", epochs=1)
    app = CnnTuiApp(
        AppOptions(config=config, seed=7, color_mode="truecolor", **options),
        engine_factory=lambda data_dir, log_file: fake,
    )
    return app, fake


async def _open_tab(pilot) -> EvaluatePane:
    app = pilot.app
    await _wait_for(
        pilot, lambda: app.main.train.state == "idle" and app.main.train.layer_name, "the model"
    )
    await pilot.press("3")
    pane = app.main.query_one(EvaluatePane)
    await _wait_for(pilot, lambda: pane.evaluation is not None, "the evaluation")
    return pane


async def _open_mistakes(pilot, pane: EvaluatePane, timeout: float = 30.0) -> None:
    """Press w (every misclassified digit) and wait for the gallery to arrive."""
    await pilot.press("w")
    await _wait_for(pilot, lambda: pane.gallery is not None, "the gallery", timeout=timeout)


def _sent(fake: FakeEngine, op: str) -> list[dict]:
    return [kwargs for name, kwargs in fake.sent if name == op]


def _text(pane: EvaluatePane, selector: str) -> str:
    content = pane.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)


# ----------------------------------------------------------------------------------- fixtures


def _fake_run(folder: Path, model: str, params: int, accs: list[float]) -> Path:
    """A run directory with a history index (kernels: one tiny layer), one epoch per acc."""
    from engine.training.history import write_snapshot

    for epoch, acc in enumerate(accs, start=1):
        write_snapshot(
            folder,
            epoch,
            {"conv1": np.zeros((2, 1, 3, 3), np.float32)},
            {"test_acc": acc, "train_loss": 1 / epoch, "seconds": 2.0, "elapsed": 2.0 * epoch},
            {"model": model, "params": params, "config": {"model": model}},
        )
    return folder


@pytest.fixture(scope="session")
def fake_run() -> Callable[..., Path]:
    """``fake_run(folder, model, params, accs) -> folder``: a run folder for compare tests."""
    return _fake_run


@pytest.fixture(scope="session")
def app_size() -> tuple[int, int]:
    """The terminal size of the Pilot tests (columns, rows)."""
    return APP_SIZE


@pytest.fixture(scope="session")
def fake_engine_class() -> type[FakeEngine]:
    """The fake engine (subclass it in a fixture to add ops)."""
    return FakeEngine


@pytest.fixture(scope="session")
def eval_engine_class() -> type[EvalFakeEngine]:
    """The fake engine with the Evaluate tab's ops."""
    return EvalFakeEngine


@pytest.fixture(scope="session")
def mnist_test_digits() -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """``mnist_test_digits() -> (images uint8 (N, 28, 28), labels uint8 (N,))``."""
    return _mnist_test_digits


@pytest.fixture(scope="session")
def make_app() -> Callable[..., tuple[CnnTuiApp, FakeEngine]]:
    """``make_app(fake=None, **AppOptions fields) -> (app, fake)``: the app over a FakeEngine."""
    return _make_app


@pytest.fixture(scope="session")
def make_eval_app() -> Callable[..., tuple[CnnTuiApp, EvalFakeEngine]]:
    """``make_eval_app(**AppOptions fields) -> (app, fake)``: the app over an EvalFakeEngine."""
    return _make_eval_app


@pytest.fixture(scope="session")
def wait_for() -> Callable[..., Any]:
    """``await wait_for(pilot, condition, what, timeout=30.0)``: run the app until it holds (the
    timeout only guards against a hang: a loaded CI machine is slow)."""
    return _wait_for


@pytest.fixture(scope="session")
def ready() -> Callable[..., Any]:
    """``await ready(pilot)``: the model loaded and the first inspector requests answered."""
    return _ready


@pytest.fixture(scope="session")
def ops() -> Callable[[FakeEngine], list[str]]:
    """``ops(fake)``: the ops sent to a fake engine, in order."""
    return _ops


@pytest.fixture(scope="session")
def sent() -> Callable[[FakeEngine, str], list[dict]]:
    """``sent(fake, op)``: the keyword arguments of every ``op`` request sent to a fake."""
    return _sent


@pytest.fixture(scope="session")
def header() -> Callable[[CnnTuiApp], str]:
    """``header(app)``: the status header's text."""
    return _header


@pytest.fixture(scope="session")
def text() -> Callable[[EvaluatePane, str], str]:
    """``text(pane, selector)``: the plain text of a Static inside the Evaluate tab."""
    return _text


@pytest.fixture(scope="session")
def open_tab() -> Callable[..., Any]:
    """``await open_tab(pilot) -> EvaluatePane``: the Evaluate tab shown, its evaluation in."""
    return _open_tab


@pytest.fixture(scope="session")
def open_mistakes() -> Callable[..., Any]:
    """``await open_mistakes(pilot, pane)``: w pressed and the gallery of mistakes in."""
    return _open_mistakes
