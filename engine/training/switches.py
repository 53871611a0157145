"""CPU speed switches (bf16 autocast, torch.compile) measured by the bench, used where they pay off.

``python -m engine bench --efficiency`` times a ``convnet`` training step in float32 eager mode,
under bf16 autocast and through ``torch.compile``, side by side in one process, together with
each switch's warm-up (the first steps, which include compilation). A switch pays off when its
steady step is faster and the time it saves over one epoch exceeds its warm-up. The verdicts
are kept per machine (CPU, torch version, threads) in ``$XDG_CACHE_HOME/cnn-tui/``; the trainer
switches on, on the CPU, only what a verdict for this machine says pays off. With no verdict
both stay off. (Thread count and channels_last are measured at the start of every run by
``engine.training.device.choose_cpu_settings``: that costs milliseconds.)
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from engine.training.accel import Precision

SWITCHES = ("bf16", "compile")
EPOCH_STEPS = 938  # one MNIST epoch at batch 64: the run a warm-up must pay for


def cache_path() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "cnn-tui" / "cpu-switches.json"


def cpu_name() -> str:
    """The CPU's model name (Linux), else what platform knows; with torch's vector ISA, because
    a virtual machine may report only "AMD EPYC" for CPUs with and without native bf16."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name} ({torch.backends.cpu.get_cpu_capability()})"


def cpu_key() -> str:
    """What decides whether a switch pays off, thread count aside: the CPU and torch."""
    return f"{cpu_name()}|torch {torch.__version__}"


def machine_key(threads: int) -> str:
    return f"{cpu_key()}|{threads} threads"


def pays_off(base_ms: float, switch_ms: float, warmup_s: float, steps: int = EPOCH_STEPS) -> bool:
    """Faster per step, and the saving over ``steps`` exceeds the extra warm-up."""
    return switch_ms < base_ms and (base_ms - switch_ms) * steps / 1000 > warmup_s


def _step_fn(model: torch.nn.Module, bf16: bool, batch: int) -> Callable[[], None]:
    """One training step as the trainer runs it (engine.training.steps.train_step), on a fixed
    batch."""
    from engine.training.steps import train_step

    fmt = torch.channels_last
    model = model.to(memory_format=fmt).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.randint(0, 256, (batch, 28, 28), dtype=torch.uint8)  # as batches() yields
    labels = torch.randint(0, 10, (batch,))
    precision = Precision("cpu", torch.bfloat16) if bf16 else None

    def step() -> None:
        train_step(model, optimizer, None, images, labels, memory_format=fmt, precision=precision)

    return step


def _timed(step: Callable[[], None], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        step()
    return time.perf_counter() - start


def measure_switches(
    model_name: str = "convnet", batch: int = 64, rounds: int = 3, steps: int = 5
) -> dict[str, Any]:
    """Warm-up seconds and best step ms of float32 eager, bf16 autocast and torch.compile."""
    from engine.models.registry import build_model
    from engine.models.train_graph import training_graph

    variants: dict[str, Callable[[], None]] = {}
    warmup: dict[str, float] = {}
    for name in ("float32", *SWITCHES):
        torch.manual_seed(0)
        model = training_graph(build_model(model_name)[0])
        if name == "compile":
            model = torch.compile(model)
        step = _step_fn(model, bf16=name == "bf16", batch=batch)
        warmup[name] = _timed(step, 2)
        variants[name] = step
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):  # alternating, so that load from elsewhere hits all alike
        for name, step in variants.items():
            best[name] = min(best[name], _timed(step, steps) / steps * 1000)
    base = best["float32"]
    result: dict[str, Any] = {"model": model_name, "batch": batch, "float32_ms": round(base, 2)}
    for name in SWITCHES:
        extra = max(0.0, warmup[name] - warmup["float32"])
        result[name] = {
            "step_ms": round(best[name], 2),
            "warmup_s": round(extra, 2),
            "pays_off": pays_off(base, best[name], extra),
        }
    return result


def save_verdicts(result: dict[str, Any], threads: int) -> Path:
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    known = known_verdicts()
    known[machine_key(threads)] = {name: bool(result[name]["pays_off"]) for name in SWITCHES}
    path.write_text(json.dumps(known, indent=1))
    return path


def verdicts(threads: int) -> dict[str, bool]:
    """This machine's verdicts ({} when the bench has not measured it: all off).

    Measured at another thread count, the same CPU's verdicts stand in: whether the CPU has
    native bf16 does not depend on it, and the TUI's engine child trains on fewer threads than
    the bench measures with.
    """
    known = known_verdicts()
    same_cpu = cpu_key()
    entry = known.get(f"{same_cpu}|{threads} threads") or next(
        (value for key, value in known.items() if key.startswith(f"{same_cpu}|")), None
    )
    return {name: entry.get(name) is True for name in SWITCHES} if entry else {}


def known_verdicts() -> dict[str, dict[str, Any]]:
    """Every machine's verdicts in the cache file: {machine key: {switch: bool}}.

    A missing file gives {}; so does one that is not what the bench writes (a JSON list,
    garbage, unreadable), with one warning line on stderr, once per process: the run goes on
    with both switches off. Entries that are not objects are skipped.
    """
    path = cache_path()
    try:
        known = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError included
        known = exc
    if not isinstance(known, dict):
        _warn_once(path)
        return {}
    return {key: value for key, value in known.items() if isinstance(value, dict)}


_warned: set[Path] = set()


def _warn_once(path: Path) -> None:
    if path not in _warned:
        _warned.add(path)
        print(
            f"warning: ignoring {path}: not the verdicts `python -m engine bench --efficiency` "
            "writes (delete it, or run that bench again); training without bf16 and compile",
            file=sys.stderr,
        )


def apply_verdicts(
    train_model: torch.nn.Module, precision: Precision, threads: int
) -> tuple[torch.nn.Module, Precision]:
    """The CPU step as this machine's verdicts say: bf16 autocast and/or a compiled graph."""
    found = verdicts(threads)
    if found.get("bf16"):
        precision = Precision("cpu", torch.bfloat16)
    if found.get("compile"):
        train_model = torch.compile(train_model)  # type: ignore[assignment]
    return train_model, precision
