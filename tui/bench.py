"""``python -m tui.bench [--json]``: drive the real app headless and time it.

Measured in one run, on this machine:

- key press to screen update while training at full speed (p50, p95): a key is posted every
  ``--key-interval`` seconds while the real child trains; the latency runs from posting the
  key to the first frame composed (and encoded for the terminal) after the key's action ran;
- training throughput inside the app versus the headless trainer (``engine.trainer`` in a
  plain process) with the same config, both from the trainer's own Progress events;
- time to the first painted frame of ``cnn-tui`` versus ``python -c "import torch"``, both as
  fresh processes;
- the UI process's resident memory (current and peak);
- the heatmap grid's build time (32 maps of 28x28), when the widget provides a benchmark.

Targets (issue 3): p95 <= 50 ms on 2 cores, throughput ratio >= 0.85, first paint / torch
import <= 0.25, UI RSS <= 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import TrainConfig, make_config
from engine.events import EpochEnd, Failed, Finished, Progress

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"latency_p95_ms": 50.0, "throughput_ratio": 0.85, "first_paint_ratio": 0.25,
           "ui_rss_mb": 200.0}
KEYS = ("j", "j", "l", "k", "k", "l", "j", "h")


@dataclass
class Rate:
    """Samples per second from Progress events (skipping the first ``warmup`` of them)."""

    batch_size: int
    warmup: int = 3
    events: list[tuple[int, float]] = field(default_factory=list)

    def add(self, event: Progress) -> None:
        self.events.append((event.global_step, event.elapsed))

    @property
    def samples_per_sec(self) -> float | None:
        points = self.events[self.warmup:]
        if len(points) < 2:
            return None
        (s0, t0), (s1, t1) = points[0], points[-1]
        return (s1 - s0) * self.batch_size / (t1 - t0) if t1 > t0 else None


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
    from engine.remote import prepare_for_spawn
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
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.DEVNULL)
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
    paint = min(time_until_line([sys.executable, "-c", FIRST_PAINT], "painted")
                for _ in range(repeats))
    torch = min(time_until_line([sys.executable, "-c", "import torch"], None)
                for _ in range(repeats))
    return {"first_paint_s": paint, "import_torch_s": torch, "first_paint_ratio": paint / torch}


# -------------------------------------------------------------- headless trainer

HEADLESS = textwrap.dedent("""
    import json, sys
    from engine.config import TrainConfig
    from engine.events import Progress
    from engine.trainer import train_events
    config = TrainConfig.from_dict(json.loads(sys.argv[1]))
    for event in train_events(config):
        if isinstance(event, Progress):
            print(json.dumps([event.global_step, event.elapsed]), flush=True)
""")


def headless_rate(config: TrainConfig) -> float | None:
    result = subprocess.run([sys.executable, "-c", HEADLESS, json.dumps(config.to_dict())],
                            cwd=REPO, capture_output=True, text=True, check=True)
    rate = Rate(config.batch_size)
    rate.events = [tuple(json.loads(line)) for line in result.stdout.splitlines()
                   if line.startswith("[")]
    return rate.samples_per_sec


# ------------------------------------------------------------------ in the app


async def in_app(config: TrainConfig, key_interval: float, seconds: float) -> dict[str, Any]:
    from tui.app import AppOptions, CnnTuiApp

    Path(config.run_dir or ".").mkdir(parents=True, exist_ok=True)
    app = CnnTuiApp(AppOptions(config=config, color_mode="256",
                               log_file=str(Path(config.run_dir or ".") / "engine.log")))
    frames: list[float] = []
    original_display = app._display

    def display(screen, renderable) -> None:
        original_display(screen, renderable)
        if renderable is not None:
            render = getattr(renderable, "render_segments", None)
            if render is not None:  # headless skips encoding for the terminal: do it here
                render(app.console)
            frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    rate = Rate(config.batch_size)
    finished: list[Any] = []
    latencies: list[float] = []

    original_pump = app.link.pump

    def pump(post, cancelled) -> None:  # runs in the app's worker thread
        def observe(message) -> None:
            event = getattr(message, "event", None)
            if isinstance(event, Progress):
                rate.add(event)
            elif isinstance(event, (Finished, EpochEnd, Failed)):
                finished.append(event)
            post(message)

        original_pump(observe, cancelled)

    app.link.pump = pump  # type: ignore[method-assign]

    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        handled: list[float] = []
        for name in ("action_layer", "action_sample"):
            original = getattr(main, name)

            def wrapped(step: int, original=original) -> None:
                original(step)
                handled.append(time.perf_counter())

            setattr(main, name, wrapped)

        await wait(pilot, lambda: main.state == "idle", 120)
        await pilot.press("t")
        await wait(pilot, lambda: len(rate.events) > rate.warmup, 120)
        start = time.perf_counter()
        index = 0
        while time.perf_counter() - start < seconds and not finished:
            key = KEYS[index % len(KEYS)]
            index += 1
            handled.clear()
            posted = time.perf_counter()
            await pilot.press(key)
            await wait_for_frame(pilot, frames, handled)
            if handled:
                after = [t for t in frames if t >= handled[0]]
                if after:
                    latencies.append(after[0] - posted)
            await asyncio.sleep(max(0.0, key_interval - (time.perf_counter() - posted)))
        app_rate = rate.samples_per_sec
        state = main.state
        await pilot.press("t")  # stop the run (it saves); the app closes the child on exit
        await wait(pilot, lambda: main.state in ("finished", "failed"), 120)
    return {"app_samples_per_s": app_rate, "latencies": latencies, "state": state,
            "frames": len(frames), "torch_in_ui": "torch" in sys.modules}


async def wait(pilot, condition, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


async def wait_for_frame(pilot, frames: list[float], handled: list[float],
                         timeout: float = 1.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if handled and frames and frames[-1] >= handled[0]:
            return
        await asyncio.sleep(0.001)


def grid_benchmark() -> dict[str, Any] | None:
    try:
        from tui.widgets.heatmap import build_time_benchmark
    except ImportError:
        return None
    return build_time_benchmark()


# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    from engine.remote import prepare_for_spawn

    prepare_for_spawn()
    with tempfile.TemporaryDirectory(prefix="cnn-tui-bench-") as tmp:
        config = make_config(args.recipe, epochs=1, train_subset=args.train_subset,
                             test_subset=1000, device=args.device,
                             run_dir=str(Path(tmp) / "app"))
        app = asyncio.run(in_app(config, args.key_interval, args.seconds))
        headless_config = make_config(args.recipe, epochs=1, train_subset=args.train_subset,
                                      test_subset=1000, device=args.device,
                                      run_dir=str(Path(tmp) / "headless"))
        headless = headless_rate(headless_config)
    memory = rss_mb()
    paint = first_paint()
    latencies = [1000 * x for x in app["latencies"]]
    result: dict[str, Any] = {
        "cores": os.cpu_count(),
        "config": {"recipe": args.recipe, "model": config.model,
                   "batch_size": config.batch_size, "train_subset": args.train_subset,
                   "device": args.device},
        "keys": len(latencies),
        "latency_p50_ms": statistics.median(latencies) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95) if latencies else None,
        "latency_max_ms": max(latencies) if latencies else None,
        "app_samples_per_s": app["app_samples_per_s"],
        "headless_samples_per_s": headless,
        "throughput_ratio": (app["app_samples_per_s"] / headless
                             if app["app_samples_per_s"] and headless else None),
        **paint,
        "ui_rss_mb": memory["rss"],
        "ui_peak_rss_mb": memory["peak"],
        "torch_in_ui_process": app["torch_in_ui"],
        "heatmap_grid": grid_benchmark(),
    }
    result["targets"] = TARGETS
    result["met"] = {
        "latency_p95_ms": _le(result["latency_p95_ms"], TARGETS["latency_p95_ms"]),
        "throughput_ratio": _ge(result["throughput_ratio"], TARGETS["throughput_ratio"]),
        "first_paint_ratio": _le(result["first_paint_ratio"], TARGETS["first_paint_ratio"]),
        "ui_rss_mb": _le(result["ui_peak_rss_mb"], TARGETS["ui_rss_mb"]),
    }
    return result


def _le(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


def _ge(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def report(result: dict[str, Any]) -> str:
    def fmt(value: Any, spec: str = ".1f") -> str:
        return "n/a" if value is None else format(value, spec)

    def mark(key: str) -> str:
        met = result["met"].get(key)
        return "" if met is None else ("  ok" if met else "  MISSED")

    c = result["config"]
    lines = [
        f"cnn-tui bench on {result['cores']} cores: {c['model']} ({c['recipe']}), batch "
        f"{c['batch_size']}, {c['train_subset']} training digits, device {c['device']}",
        f"key -> screen while training: p50 {fmt(result['latency_p50_ms'])} ms, p95 "
        f"{fmt(result['latency_p95_ms'])} ms, max {fmt(result['latency_max_ms'])} ms over "
        f"{result['keys']} keys (target p95 <= {TARGETS['latency_p95_ms']:.0f} ms)"
        + mark("latency_p95_ms"),
        f"training throughput: app {fmt(result['app_samples_per_s'], ',.0f')} samples/s, "
        f"headless {fmt(result['headless_samples_per_s'], ',.0f')} samples/s, ratio "
        f"{fmt(result['throughput_ratio'], '.2f')} (target >= {TARGETS['throughput_ratio']})"
        + mark("throughput_ratio"),
        f"first paint {fmt(1000 * result['first_paint_s'], '.0f')} ms vs import torch "
        f"{fmt(1000 * result['import_torch_s'], '.0f')} ms: ratio "
        f"{fmt(result['first_paint_ratio'], '.2f')} (target <= "
        f"{TARGETS['first_paint_ratio']})" + mark("first_paint_ratio"),
        f"UI process RSS {fmt(result['ui_rss_mb'], '.0f')} MB, peak "
        f"{fmt(result['ui_peak_rss_mb'], '.0f')} MB (target <= {TARGETS['ui_rss_mb']:.0f} MB)"
        + mark("ui_rss_mb") + ("" if not result["torch_in_ui_process"]
                               else "  (torch was imported in the UI process!)"),
    ]
    grid = result.get("heatmap_grid")
    if grid:
        lines.append("heatmap grid: " + ", ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in grid.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.bench", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--recipe", default="fast", help="training recipe (default: fast)")
    parser.add_argument("--device", default="cpu", help="training device (default: cpu)")
    parser.add_argument("--train-subset", type=int, default=16384,
                        help="training digits per run (default: 16384)")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="how long to press keys while training (default: 15)")
    parser.add_argument("--key-interval", type=float, default=0.1,
                        help="seconds between key presses (default: 0.1)")
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
