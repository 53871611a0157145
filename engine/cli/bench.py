"""Subcommand ``bench`` of ``python -m engine``: the tutorials' loop against the engine's."""

from __future__ import annotations

import argparse

from engine.render.json_out import strict_json
from engine.training.events import counted


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench``."""
    bench = subparsers.add_parser(
        "bench",
        help="training speed: the tutorials' loop against the engine's",
        description="Samples/s of the tutorials' DataLoader loop and of the engine's trainer "
        "(interleaved, same process), and the fast recipe's time to 99 % test "
        "accuracy.",
    )
    bench.add_argument("--models", default="lenet5,convnet", metavar="NAME[,NAME...]")
    bench.add_argument(
        "--quick",
        action="store_true",
        help="a few steps and a small fast-recipe run (a smoke test)",
    )
    bench.add_argument(
        "--device",
        default="auto",
        metavar="auto|cpu|cuda|cuda:N",
        help="device for the fast recipe",
    )
    bench.add_argument("--data-dir", metavar="DIR")
    bench.add_argument(
        "--efficiency",
        action="store_true",
        help="also convnet's training GFLOP/s against the float32 matmul peak",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from engine.bench.loops import run_bench

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        from engine.errors import ConfigError

        raise ConfigError("--models needs at least one model name, e.g. lenet5,convnet")
    report = run_bench(
        models,
        quick=args.quick,
        device=args.device,
        data_dir=args.data_dir,
        efficiency=args.efficiency,
        log=(lambda _: None) if args.json else (lambda s: print(s, flush=True)),
    )
    if args.json:
        print(strict_json(report))
        return 0
    print()
    for name, row in report["models"].items():
        print(
            f"{name:>10}: tutorials' loop {row['seed_loop_sps']:>9,.0f} samples/s   engine "
            f"{row['engine_sps']:>9,.0f} samples/s   ratio {row['ratio']:.2f}x"
        )
    fast = report["fast"]
    reached = (
        f"99.0 % after {counted(fast['epochs_to_99'], 'epoch')}, "
        f"{fast['seconds_to_99']:.1f} s of training"
        if fast["epochs_to_99"]
        else "did not reach 99.0 %"
    )
    final = f"{fast['final_test_acc']:.2%}" if fast["final_test_acc"] is not None else "-"
    print(f"fast recipe ({fast['model']}): {reached}; final test accuracy {final}")
    if eff := report.get("efficiency"):
        print(
            f"efficiency ({eff['model']}, batch {eff['batch_size']}): {eff['model_gflops']:.1f} "
            f"model GFLOP/s / {eff['peak_gflops']:.1f} matmul peak GFLOP/s = "
            f"{eff['ratio']:.0%} (target >= 60 %)"
        )
    if switches := report.get("switches"):
        chosen = [n for n in ("bf16", "compile") if switches[n]["pays_off"]]
        print(
            f"cpu switches (bf16 autocast, torch.compile): on for {', '.join(chosen) or 'none'}"
            f" on this machine; verdicts saved to {switches['saved_to']}"
        )
    return 0
