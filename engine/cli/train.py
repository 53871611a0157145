"""Subcommands ``train``, ``eval``, ``recipes`` and ``bench`` of ``python -m engine``."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from typing import Any

from engine.cli.progress import PlainView, RichView
from engine.training.config import (
    AUGMENTS,
    OPTIMIZERS,
    RECIPES,
    SCHEDULES,
    TrainConfig,
    make_config,
)

TRAIN_EPILOG = """examples:
  python -m engine train                          # the fast recipe (about 99 % in 1 epoch)
  python -m engine train --recipe seed-lenet5 --epochs 1
  python -m engine train --model c32-p-c64-p-f128 --optimizer sgd --lr 0.05 --schedule onecycle
  python -m engine train --resume runs/<run>/checkpoint.pt --epochs 4
Options override the recipe's values; with --resume they override the checkpoint's.
Ctrl-C stops cleanly and saves a checkpoint that --resume continues exactly."""


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a network on MNIST",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a network on the bundled MNIST, writing metrics.jsonl and "
        "checkpoints into a run folder (runs/<time>-<model>/ by default).",
    )
    train.add_argument(
        "--recipe", metavar="NAME", help=f"starting values: {', '.join(RECIPES)} (default fast)"
    )
    train.add_argument("--model", metavar="NAME|SPEC", help="registry name or spec string")
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--lr", type=float, metavar="LR", help="(peak) learning rate")
    train.add_argument("--momentum", type=float, help="SGD momentum")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--schedule", choices=SCHEDULES)
    train.add_argument("--batch-size", type=int, metavar="N")
    train.add_argument("--epochs", type=int, metavar="N")
    train.add_argument("--seed", type=int)
    train.add_argument("--device", metavar="auto|cpu|cuda|cuda:N")
    train.add_argument("--threads", type=int, metavar="N", help="CPU threads (0: measure)")
    train.add_argument("--label-smoothing", type=float, metavar="P")
    train.add_argument("--augment", choices=AUGMENTS, help="batch augmentation on the device")
    train.add_argument("--train-subset", type=int, metavar="N", help="train on the first N")
    train.add_argument("--test-subset", type=int, metavar="N", help="test on the first N")
    train.add_argument("--run-dir", metavar="DIR")
    train.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST IDX files")
    train.add_argument("--resume", metavar="PATH", help="continue from a checkpoint")
    train.set_defaults(handler=cmd_train)

    evaluate = subparsers.add_parser(
        "eval",
        help="test loss and accuracy of a checkpoint",
        description="Evaluate a checkpoint on the MNIST test split.",
    )
    evaluate.add_argument("--checkpoint", required=True, metavar="PATH")
    evaluate.add_argument("--data-dir", metavar="DIR")
    evaluate.add_argument("--device", default="auto", metavar="auto|cpu|cuda|cuda:N")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument(
        "--confusion",
        action="store_true",
        help="also the 10x10 confusion matrix (rows: true class)",
    )
    evaluate.add_argument(
        "--misclassified",
        type=int,
        default=0,
        metavar="N",
        help="also list the first N misclassified test digits",
    )
    evaluate.add_argument(
        "--saliency", type=int, metavar="N", help="also the saliency map of test digit N"
    )
    evaluate.set_defaults(handler=cmd_eval)

    recipes = subparsers.add_parser(
        "recipes",
        help="list the training recipes",
        description="Every recipe and what it is expected to reach.",
    )
    recipes.add_argument("--json", action="store_true")
    recipes.set_defaults(handler=cmd_recipes)

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


# ----------------------------------------------------------------------------- train


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "model": args.model,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "momentum": args.momentum,
        "weight_decay": args.weight_decay,
        "schedule": args.schedule,
        "augment": args.augment,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "seed": args.seed,
        "device": args.device,
        "threads": args.threads,
        "label_smoothing": args.label_smoothing,
        "train_subset": args.train_subset,
        "test_subset": args.test_subset,
        "run_dir": args.run_dir,
        "data_dir": args.data_dir,
    }


def build_train_config(args: argparse.Namespace) -> TrainConfig:
    """The recipe (or the checkpoint's config with --resume) with the given options applied."""
    from engine.errors import ConfigError

    overrides = _overrides(args)
    for name in ("batch_size", "epochs", "train_subset", "test_subset"):
        if overrides[name] is not None and overrides[name] < 1:
            raise ConfigError(f"bad training option: --{name.replace('_', '-')} must be at least 1")
    if args.resume:
        from engine.training.loop import resume_config

        if args.recipe:
            overrides["recipe"] = args.recipe
        return resume_config(args.resume, **overrides)
    return make_config(args.recipe or "fast", **overrides)


def _check_inputs(config: TrainConfig) -> None:
    """Fail fast, with one line and exit 2, on a bad model, device or data folder."""
    from engine.data.mnist import load_split
    from engine.errors import ConfigError
    from engine.models.registry import build_model
    from engine.training.device import resolve_device

    resolve_device(config.device)
    if config.model.strip() == "alexnet" or tuple(build_model(config.model)[1].input_shape) != (
        1,
        28,
        28,
    ):
        raise ConfigError(
            f"model {config.model!r} is for inspection only; train an MNIST model or a spec"
        )
    load_split("train", config.data_dir)
    load_split("test", config.data_dir)


@contextlib.contextmanager
def _ctrl_c_stops(control: Any, say: Any) -> Iterator[dict[str, bool]]:
    """First Ctrl-C: stop at the next step and save; a second one interrupts at once."""
    flag = {"interrupted": False}

    def handler(signum: int, frame: Any) -> None:
        if flag["interrupted"]:
            raise KeyboardInterrupt
        flag["interrupted"] = True
        control.stop()
        say("stopping after this step and saving a checkpoint (Ctrl-C again to abort)")

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_train(args: argparse.Namespace) -> int:
    from engine.training.events import Failed, Finished
    from engine.training.loop import Control, train_events

    config = build_train_config(args)
    _check_inputs(config)
    control = Control()
    view = RichView() if sys.stdout.isatty() else PlainView()
    code = 0
    with view, _ctrl_c_stops(control, view.say) as flag:
        for event in train_events(config, control, args.resume):
            view.show(event)
            if isinstance(event, Finished):
                acc = f"test accuracy {event.test_acc:.2%}, " if event.test_acc is not None else ""
                view.say(
                    f"finished ({event.reason}): {event.epochs_done} epoch(s), {acc}"
                    f"{event.seconds:.1f} s of training; checkpoint {event.checkpoint}"
                )
                code = 130 if flag["interrupted"] else 0
            elif isinstance(event, Failed):
                print(f"error: {event.message}", file=sys.stderr, flush=True)
                code = 1 if event.message.startswith("internal error") else 2
    return code


# ----------------------------------------------------------------------------- eval


def cmd_eval(args: argparse.Namespace) -> int:
    from engine.data.mnist import load_split
    from engine.training.checkpoint import model_from_checkpoint
    from engine.training.device import resolve_device
    from engine.training.loop import evaluate

    device = resolve_device(args.device)
    test = load_split("test", args.data_dir)
    model, info, ckpt = model_from_checkpoint(args.checkpoint, device=device)
    loss, acc = evaluate(model, test.to(device), mean=float(info.mean[0]), std=float(info.std[0]))
    result = {
        "checkpoint": str(args.checkpoint),
        "model": info.name,
        "epoch": ckpt["epoch"],
        "test_loss": loss,
        "test_acc": acc,
        "samples": len(test),
    }
    from engine.process.interpret_ops import eval_details, format_eval_report  # issue 5 extras
    from engine.render.terminal import color_mode

    details = eval_details(
        model, info, args.data_dir, args.confusion, args.misclassified, args.saliency
    )
    if args.json:
        print(json.dumps({**result, **(details or {})}))
    else:
        print(f"{args.checkpoint}: {info.name} after {ckpt['epoch']} epoch(s)")
        print(
            f"test loss {loss:.4f}  test accuracy {acc:.2%} ({round(acc * len(test))}/{len(test)})"
        )
        if details:
            print("\n" + format_eval_report(details, color_mode()))
    return 0


# ----------------------------------------------------------------------------- recipes


def recipe_rows() -> list[dict[str, Any]]:
    rows = []
    for name, cfg in RECIPES.items():
        optimiser = f"{cfg.optimizer} lr {cfg.lr:g}"
        if cfg.optimizer == "sgd":
            optimiser += f" momentum {cfg.momentum:g}"
        if cfg.label_smoothing:
            optimiser += f", smoothing {cfg.label_smoothing:g}"
        rows.append(
            {
                "name": name,
                "model": cfg.model,
                "augment": cfg.augment,
                "optimizer": optimiser,
                "schedule": cfg.schedule,
                "batch_size": cfg.batch_size,
                "epochs": cfg.epochs,
                "expected_acc": cfg.expected_acc,
            }
        )
    return rows


def cmd_recipes(args: argparse.Namespace) -> int:
    from engine.models.registry import describe

    rows = recipe_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = [("recipe", "network", "optimiser", "schedule", "batch", "epochs", "expected")]
    for r in rows:
        expected = f"{r['expected_acc']:.1%}" if r["expected_acc"] else "-"
        network = r["model"] + (f" + {r['augment']}" if r["augment"] != "none" else "")
        table.append(
            (
                r["name"],
                network,
                r["optimizer"],
                r["schedule"],
                str(r["batch_size"]),
                str(r["epochs"]),
                expected,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print()
    for r in rows:
        print(f"{r['model']}: {describe(r['model'])}")
    return 0


# ----------------------------------------------------------------------------- bench


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
        print(json.dumps(report))
        return 0
    print()
    for name, row in report["models"].items():
        print(
            f"{name:>10}: tutorials' loop {row['seed_loop_sps']:>9,.0f} samples/s   engine "
            f"{row['engine_sps']:>9,.0f} samples/s   ratio {row['ratio']:.2f}x"
        )
    fast = report["fast"]
    reached = (
        f"99.0 % after {fast['epochs_to_99']} epoch(s), {fast['seconds_to_99']:.1f} s of training"
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
