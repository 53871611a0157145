"""``python -m tui.bench [--json]``: drive the real app headless and time it.

Measured in one run, on this machine:

- key press to screen update while training at full speed (p50, p95): a key is posted every
  ``--key-interval`` seconds while the real child trains; the latency runs from posting the
  key to the first frame composed (and encoded for the terminal) after the key's action ran;
- training throughput inside the app versus the headless trainer (``engine.trainer`` in a
  plain process) with the same config, both from the trainer's own Progress events, in
  alternating windows (the app's run paused while the headless one trains) so that both see
  the same background load;
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.config import TrainConfig, make_config
from engine.events import Failed, Finished, Progress, Started

REPO = Path(__file__).resolve().parents[1]
TARGETS = {
    "latency_p95_ms": 50.0,
    "throughput_ratio": 0.85,
    "first_paint_ratio": 0.25,
    "ui_rss_mb": 200.0,
}
KEYS = ("j", "j", "l", "k", "k", "l", "j", "h")


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
    from engine.config import TrainConfig
    from engine.events import Progress
    from engine.trainer import train_events
    config = TrainConfig.from_dict(json.loads(sys.argv[1]))
    for event in train_events(config):
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


# ------------------------------------------------------------------ in the app


async def in_app(
    config: TrainConfig, key_interval: float, seconds: float, rounds: int = 3
) -> dict[str, Any]:
    """Train in the real app: ``rounds`` windows of ``seconds`` watching (the inspector
    refreshing live), each followed by as long of the headless trainer with the same config,
    give the throughputs; then ``seconds`` of key presses give the latencies."""
    from textual import events

    from tui.app import AppOptions, CnnTuiApp

    Path(config.run_dir or ".").mkdir(parents=True, exist_ok=True)
    app = CnnTuiApp(
        AppOptions(
            config=config,
            color_mode="256",
            log_file=str(Path(config.run_dir or ".") / "engine.log"),
        )
    )
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
    started: list[Started] = []
    ended: list[Any] = []
    original_pump = app.link.pump

    def pump(post, cancelled) -> None:  # runs in the app's worker thread
        def observe(message) -> None:
            event = getattr(message, "event", None)
            if isinstance(event, Progress):
                rate.add(event)
            elif isinstance(event, Started):
                started.append(event)
            elif isinstance(event, (Finished, Failed)):
                ended.append(event)
            post(message)

        original_pump(observe, cancelled)

    app.link.pump = pump  # type: ignore[method-assign]
    latencies: list[float] = []
    handled: list[float] = []

    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        for name in ("action_layer", "action_sample"):
            original = getattr(main, name)

            def wrapped(step: int, original=original) -> None:
                original(step)
                handled.append(time.perf_counter())

            setattr(main, name, wrapped)

        await wait(pilot, lambda: main.state == "idle", 120)
        await pilot.press("t")
        await wait(pilot, lambda: len(rate.events) > 3 or ended, 120)
        # Throughput: windows of watching the app train alternate with windows of the
        # headless trainer (the app's run paused meanwhile), so that both see the same load.
        app_rates, headless_rates = [], []
        for _ in range(rounds):
            window_start = time.perf_counter()
            await asyncio.sleep(seconds)
            app_rates.append(rate.samples_per_sec(window_start, time.perf_counter(), warmup=1))
            await pilot.press("space")
            await wait(pilot, lambda: main.state == "paused", 60)
            same = replace(
                config,
                threads=started[0].config.get("threads") or 0,
                run_dir=str(Path(config.run_dir or ".") / "headless"),
            )
            headless_rates.append(await asyncio.to_thread(headless_rate, same, seconds))
            await pilot.press("space")
            await wait(pilot, lambda: main.state == "training", 60)
            await asyncio.sleep(1.0)
        watch_end = time.perf_counter()
        index = 0
        while time.perf_counter() - watch_end < seconds and not ended:
            key = KEYS[index % len(KEYS)]
            index += 1
            handled.clear()
            posted = time.perf_counter()
            event = events.Key(key, key)  # as the terminal driver delivers a key press
            event.set_sender(app)
            app._driver.send_message(event)
            await wait_for_frame(frames, handled)
            after = [t for t in frames if handled and t >= handled[0]]
            if after:
                latencies.append(after[0] - posted)
            await asyncio.sleep(max(0.0, key_interval - (time.perf_counter() - posted)))
        complete = not ended
        if complete:
            await pilot.press("t")  # stop the run (it saves); the app closes the child on exit
        await wait(pilot, lambda: main.state in ("finished", "failed"), 120)
    if not complete or not started:
        raise RuntimeError(
            "the run ended before the measurement did; raise --train-subset"
            + (f" ({ended[0]})" if ended else "")
        )
    return {
        "app_samples_per_s": mean(app_rates),
        "headless_samples_per_s": mean(headless_rates),
        "app_samples_per_s_keys": rate.samples_per_sec(watch_end),
        "latencies": latencies,
        "threads": started[0].config.get("threads"),
        "frames": len(frames),
        "torch_in_ui": "torch" in sys.modules,
    }


async def wait(pilot, condition, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


async def wait_for_frame(frames: list[float], handled: list[float], timeout: float = 1.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if handled and frames and frames[-1] >= handled[0]:
            return
        await asyncio.sleep(0.002)


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
        # Enough epochs never to finish: the bench stops the run when it has its numbers.
        config = make_config(
            args.recipe,
            epochs=100,
            train_subset=args.train_subset,
            test_subset=1000,
            device=args.device,
            run_dir=str(Path(tmp) / "app"),
        )
        app = asyncio.run(in_app(config, args.key_interval, args.seconds, args.rounds))
        headless = app["headless_samples_per_s"]
        # For comparison: the trainer choosing its own thread count (the engine child trains
        # with the thread budget it was started with, to leave the UI a core).
        headless_auto = headless_rate(
            replace(config, threads=0, run_dir=str(Path(tmp) / "auto")), args.seconds
        )
    memory = rss_mb()
    paint = first_paint()
    latencies = [1000 * x for x in app["latencies"]]
    result: dict[str, Any] = {
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "config": {
            "recipe": args.recipe,
            "model": config.model,
            "batch_size": config.batch_size,
            "train_subset": args.train_subset,
            "device": args.device,
            "threads": app["threads"],
        },
        "keys": len(latencies),
        "latency_p50_ms": statistics.median(latencies) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95) if latencies else None,
        "latency_max_ms": max(latencies) if latencies else None,
        "app_samples_per_s": app["app_samples_per_s"],
        "app_samples_per_s_while_typing": app["app_samples_per_s_keys"],
        "headless_samples_per_s": headless,
        "headless_auto_threads_samples_per_s": headless_auto,
        "throughput_ratio": (
            app["app_samples_per_s"] / headless if app["app_samples_per_s"] and headless else None
        ),
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
        f"{c['batch_size']}, {c['train_subset'] or 60000} training digits, device "
        f"{c['device']}, {c['threads']} training thread(s) in the engine child; load average "
        f"{result['load_average'][0]:.2f} (other processes competing for the cores skew "
        "every number)",
        f"key -> screen while training: p50 {fmt(result['latency_p50_ms'])} ms, p95 "
        f"{fmt(result['latency_p95_ms'])} ms, max {fmt(result['latency_max_ms'])} ms over "
        f"{result['keys']} keys (target p95 <= {TARGETS['latency_p95_ms']:.0f} ms)"
        + mark("latency_p95_ms"),
        f"training throughput: app {fmt(result['app_samples_per_s'], ',.0f')} samples/s "
        f"(watching; {fmt(result['app_samples_per_s_while_typing'], ',.0f')} while typing), "
        f"headless same config {fmt(result['headless_samples_per_s'], ',.0f')} samples/s, "
        f"ratio {fmt(result['throughput_ratio'], '.2f')} (target >= "
        f"{TARGETS['throughput_ratio']})" + mark("throughput_ratio"),
        f"  (headless with the trainer's own thread choice: "
        f"{fmt(result['headless_auto_threads_samples_per_s'], ',.0f')} samples/s)",
        f"first paint {fmt(1000 * result['first_paint_s'], '.0f')} ms vs import torch "
        f"{fmt(1000 * result['import_torch_s'], '.0f')} ms: ratio "
        f"{fmt(result['first_paint_ratio'], '.2f')} (target <= "
        f"{TARGETS['first_paint_ratio']})" + mark("first_paint_ratio"),
        f"UI process RSS {fmt(result['ui_rss_mb'], '.0f')} MB, peak "
        f"{fmt(result['ui_peak_rss_mb'], '.0f')} MB (target <= {TARGETS['ui_rss_mb']:.0f} MB)"
        + mark("ui_rss_mb")
        + (
            "" if not result["torch_in_ui_process"] else "  (torch was imported in the UI process!)"
        ),
    ]
    grid = result.get("heatmap_grid")
    if grid:
        lines.append(
            "heatmap grid: "
            + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in grid.items()
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui.bench",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--recipe", default="fast", help="training recipe (default: fast)")
    parser.add_argument("--device", default="cpu", help="training device (default: cpu)")
    parser.add_argument(
        "--train-subset",
        type=int,
        default=None,
        help="training digits per run (default: all 60,000)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="length of each throughput window (app or headless) and of the "
        "typing phase (default: 10)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating app / headless throughput windows (default: 3)",
    )
    parser.add_argument(
        "--key-interval", type=float, default=0.1, help="seconds between key presses (default: 0.1)"
    )
    parser.add_argument(
        "--startup",
        action="store_true",
        help="only first paint vs import torch and the UI's RSS (no training)",
    )
    args = parser.parse_args(argv)
    if args.startup:
        from tui.bench_startup import startup, startup_report

        quick = startup()
        print(json.dumps(quick, indent=2) if args.json else startup_report(quick))
        return 0
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
