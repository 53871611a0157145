"""Measuring helpers for ``python -m tui.bench``: rates, RSS, first paint, headless trainer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.training.config import TrainConfig
from engine.training.events import Progress

REPO = Path(__file__).resolve().parents[2]
TARGETS = {
    "latency_p95_ms": 50.0,
    "throughput_ratio": 0.85,
    "first_paint_ratio": 0.25,
    "ui_rss_mb": 200.0,
}


@dataclass
class Rate:
    """Samples per second from Progress events: the trainer's own step count and clock."""

    batch_size: int
    events: list[tuple[float, int, float]] = field(default_factory=list)  # (wall, step, elapsed)

    def add(self, event: Progress) -> None:
        self.events.append((time.perf_counter(), event.global_step, event.elapsed))

    def samples_per_sec(
        self, start: float = 0.0, end: float = float("inf"), warmup: int = 3
    ) -> float | None:
        """Over the events that arrived between wall-clock ``start`` and ``end``."""
        points = [e for e in self.events if start <= e[0] <= end][warmup:]
        if len(points) < 2:
            return None
        (_, s0, t0), (_, s1, t1) = points[0], points[-1]
        return (s1 - s0) * self.batch_size / (t1 - t0) if t1 > t0 and s1 > s0 else None


def mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v]
    return sum(known) / len(known) if known else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process in MB (Linux), else the peak from getrusage."""
    result: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                result[key] = int(value.split()[0]) / 1024
    except OSError:
        import resource

        result["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss": result.get("VmRSS", 0.0), "peak": result.get("VmHWM", 0.0)}


# ------------------------------------------------------------------ first paint

FIRST_PAINT = textwrap.dedent("""
    import asyncio, sys
    from engine.process.remote import prepare_for_spawn
    from tui.app import AppOptions, CnnTuiApp
    prepare_for_spawn()
    app = CnnTuiApp(AppOptions(color_mode="256"))
    original = app._display
    def display(screen, renderable):
        original(screen, renderable)
        if renderable is not None and not getattr(app, "_bench_painted", False):
            app._bench_painted = True
            print("painted", flush=True)
            app.exit()
    app._display = display
    async def main():
        async with app.run_test(size=(120, 40)) as pilot:
            while not getattr(app, "_bench_painted", False):
                await pilot.pause(0.005)
    asyncio.run(main())
    print("torch" in sys.modules, flush=True)
""")


def time_until_line(argv: list[str], line: str | None) -> float:
    """Seconds from starting ``argv`` until it prints ``line`` (None: until it exits)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=REPO, stdout=subprocess.PIPE, text=True, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    elapsed = None
    for text in proc.stdout:
        if line is not None and text.strip() == line and elapsed is None:
            elapsed = time.perf_counter() - start
    proc.wait()
    if line is None:
        elapsed = time.perf_counter() - start
    if elapsed is None or proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed (exit {proc.returncode})")
    return elapsed


def first_paint(repeats: int = 3) -> dict[str, float]:
    paint = min(
        time_until_line([sys.executable, "-c", FIRST_PAINT], "painted") for _ in range(repeats)
    )
    torch = min(
        time_until_line([sys.executable, "-c", "import torch"], None) for _ in range(repeats)
    )
    return {"first_paint_s": paint, "import_torch_s": torch, "first_paint_ratio": paint / torch}


# -------------------------------------------------------------- headless trainer

HEADLESS = textwrap.dedent("""
    import json, sys
    from engine.training.config import TrainConfig
    from engine.training.events import Progress
    from engine.training.loop import train_events
    config = TrainConfig.from_dict(json.loads(sys.argv[1]))
    for event in train_events(config, overwrite=True):  # each round replaces the last
        if isinstance(event, Progress):
            print(json.dumps([event.global_step, event.elapsed]), flush=True)
""")


def headless_rate(config: TrainConfig, seconds: float) -> float | None:
    """The headless trainer's samples/s over about ``seconds`` of training."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HEADLESS, json.dumps(config.to_dict())],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    rate = Rate(config.batch_size)
    try:
        for line in proc.stdout:
            if line.startswith("["):
                rate.events.append((time.perf_counter(), *json.loads(line)))
                if rate.events[-1][2] - rate.events[0][2] >= seconds:
                    break
    finally:
        proc.terminate()
        proc.wait(30)
    return rate.samples_per_sec()


def grid_benchmark() -> dict[str, Any] | None:
    try:
        from tui.widgets.heatmap_bench import build_time_benchmark
    except ImportError:
        return None
    return build_time_benchmark()
