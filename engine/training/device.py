"""Device selection, and the CPU settings (threads, channels_last) chosen by measurement.

``resolve_device`` turns ``auto | cpu | cuda | cuda:N`` into a ``torch.device`` or raises a
one-line DeviceError.

``choose_cpu_settings`` answers "how many intra-op threads, and channels_last or not?" for one
model and batch size on this machine, by measuring rather than by habit:

* candidates: thread counts 1, 2, 4, ... up to the cores torch sees (always including that
  number), crossed with channels_last off/on; a setting the caller fixed is not varied;
* each candidate runs two warm-up training steps (forward, backward, Adam step on random data of
  the real batch shape), then the candidates take turns in a few interleaved rounds of a few
  timed steps each, so that a burst of load from a neighbour on a shared CPU hits all of them
  alike; each candidate's score is its fastest round;
* the fastest candidate wins; a candidate with fewer threads within 3 % of it is preferred (it
  leaves a core to the UI and to other processes at no real cost);
* the answer is cached per process for (model, batch size, fixed settings), the measurement
  costs well under 2 s for the MNIST models, and it leaves torch's random state untouched so a
  seeded run gives the same numbers whether or not it measured first.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

import torch

from engine.errors import DeviceError
from engine.training.events import counted

DEVICE_NAMES = "auto, cpu, cuda or cuda:N"
_CUDA_NAME = re.compile(r"cuda(?::(\d+))?")


def cuda_available() -> bool:
    """Whether torch can use a CUDA device here (a separate function so tests can patch it)."""
    return torch.cuda.is_available()


def resolve_device(name: str | None = "auto") -> torch.device:
    """``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    key = (name or "auto").strip().lower()
    if key == "auto":
        return torch.device("cuda") if cuda_available() else torch.device("cpu")
    if key == "cpu":
        return torch.device("cpu")
    match = _CUDA_NAME.fullmatch(key)
    if not match:
        raise DeviceError(f"unknown device {name!r}; use {DEVICE_NAMES}")
    if not cuda_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise DeviceError(
            f"CUDA requested but not available (torch {torch.__version__}, {build}, "
            "no usable GPU found); use --device cpu"
        )
    index = int(match[1]) if match[1] is not None else None
    if index is not None and index >= torch.cuda.device_count():
        raise DeviceError(
            f"device {name!r} does not exist: {torch.cuda.device_count()} CUDA "
            f"device(s) found; use cuda:0 to cuda:{torch.cuda.device_count() - 1}"
        )
    return torch.device("cuda", index) if index is not None else torch.device("cuda")


def describe_device(device: torch.device) -> str:
    """A short human name: ``cpu (2 threads)`` or ``cuda:0 (NVIDIA H100)``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"cpu ({torch.get_num_threads()} threads)"


@dataclass(frozen=True)
class CpuSettings:
    """The chosen intra-op thread count and memory format, with how they were chosen."""

    threads: int
    channels_last: bool
    measured: bool
    timings_ms: tuple[tuple[int, bool, float], ...] = ()

    def describe(self) -> str:
        fmt = "channels_last" if self.channels_last else "contiguous"
        how = "measured" if self.measured else "as configured"
        return f"{counted(self.threads, 'thread')}, {fmt} ({how})"


_DEFAULT_THREADS = torch.get_num_threads()
_CACHE: dict[tuple, CpuSettings] = {}


def thread_candidates(cores: int | None = None) -> list[int]:
    """1, 2, 4, ... up to the core count, with the core count itself."""
    top = max(1, cores or _DEFAULT_THREADS or os.cpu_count() or 1)
    counts, n = [], 1
    while n < top:
        counts.append(n)
        n *= 2
    counts.append(top)
    return counts


def _time_steps(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int,
) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def choose_cpu_settings(
    model_name: str,
    batch_size: int,
    threads: int = 0,
    channels_last: bool | None = None,
    *,
    rounds: int = 3,
    steps: int = 3,
    input_shape: tuple[int, int, int] | None = None,
    classes: tuple[str, ...] | None = None,
) -> CpuSettings:
    """Threads (when ``threads`` is 0) and channels_last (when None) chosen by measurement,
    on the model built for ``input_shape`` and ``classes`` (None: the model's own).

    Leaves torch's thread count set to the winner and torch's random state as it found it.
    """
    if threads and channels_last is not None:
        torch.set_num_threads(threads)
        return CpuSettings(threads, channels_last, measured=False)
    key = (model_name, batch_size, threads, channels_last, input_shape, len(classes or ()))
    if key in _CACHE:
        torch.set_num_threads(_CACHE[key].threads)
        return _CACHE[key]
    from engine.models.registry import build_model

    thread_options = [threads] if threads else thread_candidates()
    format_options = [channels_last] if channels_last is not None else [False, True]
    candidates = [(t, cl) for t in thread_options for cl in format_options]
    best_ms: dict[tuple[int, bool], float] = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        prepared = []
        for t, cl in candidates:
            model, info = build_model(model_name, input_shape=input_shape, classes=classes)
            fmt = torch.channels_last if cl else torch.contiguous_format
            model = model.to(memory_format=fmt).train()
            x = torch.randn(batch_size, *(input_shape or info.input_shape)).contiguous(
                memory_format=fmt
            )
            y = torch.randint(0, len(classes) if classes else 10, (batch_size,))
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
            torch.set_num_threads(t)
            warm = _time_steps(model, optimizer, x, y, 2)
            prepared.append(((t, cl), model, optimizer, x, y))
            best_ms[(t, cl)] = warm * 1000
        # A model slow enough that the measurement itself would cost seconds gets one round.
        slow = max(best_ms.values()) > 250
        for _ in range(1 if slow else rounds):
            for cand, model, optimizer, x, y in prepared:
                torch.set_num_threads(cand[0])
                ms = _time_steps(model, optimizer, x, y, 1 if slow else steps) * 1000
                best_ms[cand] = min(best_ms[cand], ms) if not slow else ms
    fastest = min(best_ms.values())
    chosen = min(
        (c for c in candidates if best_ms[c] <= fastest * 1.03), key=lambda c: (c[0], best_ms[c])
    )
    settings = CpuSettings(
        chosen[0],
        chosen[1],
        measured=True,
        timings_ms=tuple((t, cl, round(best_ms[(t, cl)], 2)) for t, cl in candidates),
    )
    _CACHE[key] = settings
    torch.set_num_threads(settings.threads)
    return settings
