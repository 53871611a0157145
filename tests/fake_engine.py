"""An in-process stand-in for ``engine.process.remote.EngineProcess``: deterministic payloads, no torch.

The Pilot and snapshot tests run the real app against it, so they are fast and repeatable;
one slow test and the tmux test use the real child process. Digits are the bundled MNIST test
images (read with numpy); every other array is derived from fixed seeds.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from engine.process.protocol import Reply, Request
from engine.training.config import TrainConfig
from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started

MNIST = Path(__file__).resolve().parents[1] / "data" / "mnist"


def _read_idx(name: str, offset: int) -> np.ndarray:
    with gzip.open(MNIST / name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


_TEST: tuple[np.ndarray, np.ndarray] | None = None


def mnist_test_digits() -> tuple[np.ndarray, np.ndarray]:
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
                    self._queue.append(Paused(global_step=0))
            elif op == "resume":
                if self._training is not None and self._paused:
                    self._paused = False
                    self._queue.append(Resumed(global_step=0))
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
                    )
                    return
                global_step += 1
                self.weights_version = global_step
                if self.fail_training and global_step == 3:
                    yield Failed(message=self.fail_training)
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
        self, model: str | None = None, checkpoint: str | None = None, weights: str | None = None
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
                "weights": "random init",
            },
            "summary": summary_dict(),
            "layers": [x["name"] for x in TINY_LAYERS],
            "classes": [str(i) for i in range(10)],
        }

    def _row(self, layer: str) -> dict[str, Any]:
        for row in TINY_LAYERS:
            if row["name"] == layer:
                return row
        raise ValueError(f"unknown layer {layer!r}")

    def op_sample(self, index: int, split: str = "test") -> dict[str, Any]:
        images, labels = mnist_test_digits()
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
        images, labels = mnist_test_digits()
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
        self, layer: str, index: int, channel: int, i: int, j: int, split: str = "test"
    ) -> dict[str, Any]:
        """A payload shaped like Workbench.explain: per-input-channel terms of a 3x3 kernel."""
        row = self._row(layer)
        if row["type"] != "Conv2d":
            raise ValueError(f"{layer} is a {row['type']}; pick a conv layer to explain")
        in_c, (out_c, h, w) = row["input_shape"][1], row["output_shape"][1:]
        if not (0 <= channel < out_c and 0 <= i < h and 0 <= j < w):
            raise ValueError(f"cell ({channel}, {i}, {j}) is outside the layer's output")
        contributions = np.linspace(-0.5, 0.5, in_c) + 0.01 * (i + j + channel)
        total = float(contributions.sum()) + 0.01
        scale = 28 // h  # receptive field on the 28x28 input, clipped
        box = (max(i * scale - 1, 0), max(j * scale - 1, 0), i * scale + 2, j * scale + 2)
        return {
            "layer": layer,
            "out_channel": channel,
            "row": i,
            "col": j,
            "channels": list(range(in_c)),
            "contributions": contributions,
            "bias": 0.01,
            "sum": total - 0.01,
            "total": total,
            "captured": total,
            "input_box_clipped": tuple(min(v, 28) for v in box),
            "index": index,
        }

    def op_misclassified(self, after: int = -1, split: str = "test") -> dict[str, Any]:
        wrong = [i for i in range(0, 10_000, 7)]
        later = [i for i in wrong if i > after]
        return {"index": later[0] if later else wrong[0], "count": len(wrong)}

    def op_image(self, path: str) -> dict[str, Any]:
        if not Path(path).is_file():
            raise ValueError(f"image file {path} does not exist; check the path")
        return self.op_sample(-1)

    def op_save(self, path: str | None = None) -> dict[str, Any]:
        if self._training is None and self.weights_version == 0:
            raise ValueError(
                "nothing to save: this model has no training state; train it "
                "first (a loaded checkpoint is already on disk)"
            )
        return {"path": path or f"{self.run_dir}/manual.pt"}
