"""``python -m engine bench``: the tutorials' training loop against the engine's, and the fast
recipe's time to 99 % test accuracy.

(a) The tutorials' loop: a torch DataLoader (batch 64, shuffled, no workers) over a Dataset that
    turns each uint8 digit into a PIL image and applies torchvision's ToTensor + Normalize per
    item, as torchvision.datasets.MNIST does; Adam lr 1e-3; ``loss.item()`` and the accuracy
    count read every batch, as the tutorials print them; torch's default thread count.
(b) The engine's trainer step (engine.training.steps.train_step): the same network (a fresh copy
    with the same initial weights), batch 64, Adam lr 1e-3, uint8 batches sliced from the preloaded
    split and normalised per batch, threads and channels_last chosen by measurement
    (engine.training.device.choose_cpu_settings).

Both run in the same process in alternating rounds (a, b, a, b, ...) so that load from other
processes on a shared CPU hits both alike; samples/s is all samples over all timed seconds.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from engine.data.idx import MNIST_MEAN, MNIST_STD
from engine.data.mnist import MnistSplit, batches, load_split
from engine.errors import EngineError
from engine.models.registry import build_model
from engine.training.config import make_config
from engine.training.device import choose_cpu_settings, resolve_device
from engine.training.events import EpochEnd, Failed, Finished, Started, started_line
from engine.training.loop import train_events
from engine.training.steps import train_step

BATCH = 64
DEFAULT_MODELS = ("lenet5", "convnet")


class TutorialDataset(torch.utils.data.Dataset):
    """MNIST as the tutorials read it: PIL image per item, ToTensor, Normalize."""

    def __init__(self, split: MnistSplit) -> None:
        from torchvision import transforms

        self.images = split.images.numpy()
        self.labels = split.labels.numpy()
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))]
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        image = Image.fromarray(np.ascontiguousarray(self.images[index]), mode="L")
        return self.transform(image), int(self.labels[index])


def _cycle(make: Callable[[], Any]) -> Iterator[Any]:
    while True:
        yield from make()


def _seed_loop(model_name: str, split: MnistSplit, threads: int) -> Callable[[int], float]:
    torch.manual_seed(0)
    model, _ = build_model(model_name)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = torch.nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(TutorialDataset(split), batch_size=BATCH, shuffle=True)
    stream = _cycle(lambda: loader)

    def run(count: int) -> float:
        torch.set_num_threads(threads)
        start = time.perf_counter()
        running_loss, correct = 0.0, 0
        for images, labels in itertools.islice(stream, count):
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            _, predicted = torch.max(outputs.data, 1)
            correct += (predicted == labels).sum().item()
        return time.perf_counter() - start

    return run


def _engine_loop(model_name: str, split: MnistSplit) -> tuple[Callable[[int], float], str]:
    settings = choose_cpu_settings(model_name, BATCH)
    fmt = torch.channels_last if settings.channels_last else torch.contiguous_format
    torch.manual_seed(0)
    model, info = build_model(model_name)
    model = model.to(memory_format=fmt).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    epochs = itertools.count()
    stream = _cycle(lambda: batches(split, BATCH, shuffle=True, seed=0, epoch=next(epochs)))

    def run(count: int) -> float:
        torch.set_num_threads(settings.threads)
        start = time.perf_counter()
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        for images, labels in itertools.islice(stream, count):
            loss, right = train_step(model, optimizer, None, images, labels, memory_format=fmt)
            loss_sum += loss
            correct += right
        float(loss_sum), int(correct)  # metrics are read once per round, as the trainer does
        return time.perf_counter() - start

    return run, settings.describe()


def compare_loops(
    model_name: str,
    split: MnistSplit,
    *,
    rounds: int,
    steps: int,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Interleaved samples/s of the tutorials' loop and the engine's step loop."""
    default_threads = torch.get_num_threads()
    seed = _seed_loop(model_name, split, default_threads)
    engine, how = _engine_loop(model_name, split)
    seed(2)  # warm-up: first batches pay for allocation and kernel selection
    engine(2)
    seed_time = engine_time = 0.0
    for _ in range(rounds):
        seed_time += seed(steps)
        engine_time += engine(steps)
    torch.set_num_threads(default_threads)
    samples = rounds * steps * BATCH
    seed_sps, engine_sps = samples / seed_time, samples / engine_time
    log(
        f"{model_name}: tutorials' loop {seed_sps:,.0f} samples/s ({default_threads} threads), "
        f"engine {engine_sps:,.0f} samples/s ({how}): {engine_sps / seed_sps:.2f}x"
    )
    return {
        "seed_loop_sps": round(seed_sps, 1),
        "engine_sps": round(engine_sps, 1),
        "ratio": round(engine_sps / seed_sps, 3),
    }


def fast_recipe(
    *,
    quick: bool,
    device: str = "auto",
    data_dir: str | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Train the fast recipe; epochs and training seconds to reach 99.0 % test accuracy."""
    extra: dict[str, Any] = {}
    if quick:
        extra = {"train_subset": 4096, "test_subset": 1000, "epochs": 1}
    result: dict[str, Any] = {
        "model": make_config("fast").model,
        "epochs_to_99": None,
        "seconds_to_99": None,
        "final_test_acc": None,
    }
    with tempfile.TemporaryDirectory(prefix="cnn-tui-bench-") as folder:
        config = make_config("fast", run_dir=folder, device=device, data_dir=data_dir, **extra)
        elapsed = 0.0
        for event in train_events(config):
            if isinstance(event, Started):  # the train command's first line, less its folder
                log(f"fast recipe: {started_line(event).splitlines()[0]}")
            elif isinstance(event, EpochEnd):
                elapsed += event.seconds
                log(
                    f"  epoch {event.epoch}: test accuracy {event.test_acc:.2%} after "
                    f"{elapsed:.1f} s of training"
                )
                if event.test_acc >= 0.99 and result["epochs_to_99"] is None:
                    result["epochs_to_99"] = event.epoch
                    result["seconds_to_99"] = round(elapsed, 2)
            elif isinstance(event, Finished):
                result["final_test_acc"] = event.test_acc
            elif isinstance(event, Failed):
                raise EngineError(f"the fast recipe failed: {event.message}")
    return result


def measure_cpu_switches(quick: bool, threads: int, log: Callable[[str], None]) -> dict:
    """bf16 autocast and torch.compile against float32 eager (engine.training.switches); the
    verdicts are saved for this machine, and the trainer follows them."""
    from engine.training.switches import SWITCHES, measure_switches, save_verdicts

    torch.set_num_threads(threads)
    result = measure_switches(rounds=1 if quick else 3, steps=2 if quick else 5)
    result["saved_to"] = str(save_verdicts(result, threads))
    for name in SWITCHES:
        r = result[name]
        log(
            f"switch {name}: step {r['step_ms']:.1f} ms vs float32 {result['float32_ms']:.1f} ms, "
            f"warm-up {r['warmup_s']:.1f} s: {'on' if r['pays_off'] else 'off'} (pays off: "
            f"{'yes' if r['pays_off'] else 'no'})"
        )
    return result


def run_bench(
    models: list[str],
    *,
    quick: bool = False,
    device: str = "auto",
    data_dir: str | None = None,
    efficiency: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Everything ``python -m engine bench`` reports, as the --json object."""
    resolve_device(device)  # CUDA asked for but absent fails here, before anything is timed
    for name in models:
        build_model(name)  # as does an unknown name
    split = load_split("train", data_dir)
    rounds, steps = (2, 5) if quick else (6, 40)
    report: dict[str, Any] = {"models": {}, "fast": {}}
    for name in models:
        report["models"][name] = compare_loops(name, split, rounds=rounds, steps=steps, log=log)
    report["fast"] = fast_recipe(quick=quick, device=device, data_dir=data_dir, log=log)
    if efficiency:  # engine.bench.efficiency documents the FLOP count
        from engine.bench.efficiency import measure_efficiency

        report["efficiency"] = measure_efficiency(
            split, rounds=2 if quick else 6, steps=2 if quick else 10, log=log
        )
        report["switches"] = measure_cpu_switches(quick, report["efficiency"]["threads"], log)
    return report
