"""``python -m tui.bench [--json]``: drive the real app headless and time it.

Measured in one run, on this machine:

- key press to screen update while training at full speed (p50, p95): a key is posted every
  ``--key-interval`` seconds while the real child trains; the latency runs from posting the
  key to the first frame composed (and encoded for the terminal) after the key's action ran;
- training throughput inside the app versus the headless trainer (``engine.training.loop`` in a
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
import os
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.render.json_out import strict_json
from engine.training.config import make_config
from tui.bench.in_app import in_app
from tui.bench.measure import (
    TARGETS,
    first_paint,
    grid_benchmark,
    headless_rate,
    percentile,
    rss_mb,
)

# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    from engine.process.remote import prepare_for_spawn

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
        from tui.bench.startup import startup, startup_report

        quick = startup()
        print(strict_json(quick, indent=2) if args.json else startup_report(quick))
        return 0
    result = run(args)
    print(strict_json(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
