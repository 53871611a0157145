"""Subcommand ``train`` of ``python -m engine``: options over a recipe, progress, Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
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
    """Add ``train``."""
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
        from engine.training.resume import resume_config

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
    from engine.training.control import Control
    from engine.training.events import Failed, Finished
    from engine.training.loop import train_events

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
