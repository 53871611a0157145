"""Subcommand ``train`` of ``python -m engine``: options over a recipe, progress, Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

from engine.cli.data_args import MODEL_HELP, MODEL_METAVAR, add_data_args
from engine.cli.progress import PlainView, RichView, finished_line
from engine.errors import Interrupted, raise_if_signalled
from engine.training.config import (
    AUGMENTS,
    OPTIMIZERS,
    PRECISIONS,
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
  python -m engine train --weights runs/<run>/checkpoint.pt --lr 0.01   # fine-tune: a new run
  python -m engine train --dataset fashion-mnist
  python -m engine train --model model.py:Net --dataset folder:~/pictures --input-shape 3,64,64
Options override the recipe's values; with --resume they override the checkpoint's.
A run records the threads, layout and precision it trained with (config.json, checkpoint);
--resume continues with them. A folder holding a run is refused without --resume/--overwrite.
Ctrl-C or SIGTERM stops cleanly and saves a checkpoint that --resume continues exactly
(exit 130 / 143)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``."""
    train = subparsers.add_parser(
        "train",
        help="train a network on MNIST, Fashion-MNIST, an image folder or CIFAR-10",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a network (a registry model, a spec or your own nn.Module) on the "
        "bundled MNIST or Fashion-MNIST, an image folder or CIFAR-10, writing metrics.jsonl and "
        "checkpoints into a run folder (runs/<time>-<model>/ by default).",
    )
    train.add_argument(
        "--recipe", metavar="NAME", help=f"starting values: {', '.join(RECIPES)} (default fast)"
    )
    train.add_argument("--model", metavar=MODEL_METAVAR, help=MODEL_HELP)
    add_data_args(train, "mnist (with --resume: the checkpoint's)")
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
    train.add_argument(
        "--log-every",
        type=int,
        metavar="N",
        help="print the tutorials' line 'Epoch [e/E], Step [s/S], Loss: x' every N steps",
    )
    train.add_argument(
        "--snapshots",
        type=int,
        metavar="N",
        help="kernel snapshots spread over the run's steps, initial and final weights included "
        "(default 24; 0 or 1: the initial weights and each epoch's end only)",
    )
    train.add_argument("--run-dir", metavar="DIR")
    train.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST IDX files")
    train.add_argument("--resume", metavar="PATH", help="continue from a checkpoint")
    train.add_argument(
        "--weights",
        metavar="FILE",
        help="start a new run (new folder, fresh optimizer and schedule) from these weights "
        "(fine-tuning): a checkpoint written by train, a state dict (.pt, .pth, .safetensors), "
        "one wrapped as state_dict/model_state/model, Lightning's or DataParallel's; not with "
        "--resume",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --run-dir (without it such a folder is refused)",
    )
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="float32, bf16 or fp16 (CUDA); default: autocast on CUDA, the bench's verdict on "
        "the CPU",
    )
    train.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        help="memory layout (default: measured on the CPU, on for CUDA)",
    )
    train.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        help="torch.compile the step (default: the bench's verdict on the CPU)",
    )
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
        "precision": args.precision,
        "channels_last": args.channels_last,
        "compile": args.compile,
        "label_smoothing": args.label_smoothing,
        "train_subset": args.train_subset,
        "test_subset": args.test_subset,
        "run_dir": args.run_dir,
        "log_every": args.log_every,
        "snapshots": args.snapshots,
        "data_dir": args.data_dir,
        "dataset": args.dataset,
        "input_shape": args.input_shape,
        "weights": args.weights,
    }


def build_train_config(args: argparse.Namespace) -> TrainConfig:
    """The recipe (or the checkpoint's config with --resume) with the given options applied."""
    overrides = _overrides(args)  # ranges: TrainConfig.validate (engine.training.options)
    if args.resume:
        if args.weights:
            from engine.errors import ConfigError

            raise ConfigError(
                "--weights starts a new run and --resume continues one; drop one of them"
            )
        from engine.training.resume import resume_config

        if args.recipe:
            overrides["recipe"] = args.recipe
        return resume_config(args.resume, **overrides)
    return make_config(args.recipe or "fast", **overrides)


def _check_inputs(config: TrainConfig) -> None:
    """Fail fast, with one line and exit 2, on a bad device, a model that is for inspection
    only, or a user's model file that is missing or lacks the name (the dataset's form and
    path: TrainConfig.validate). A user's file that fails while building is reported when the
    run builds it: the summary line first, then their traceback."""
    from engine.errors import ConfigError
    from engine.models.catalog import is_model_source, model_source_problem
    from engine.training.device import resolve_device

    resolve_device(config.device)
    if config.model.strip() == "alexnet":
        raise ConfigError(
            "model 'alexnet' is for inspection only (ImageNet's 1000 classes at 3x224x224); "
            "train a registry model, a spec or your own model (--model FILE.py:Name)"
        )
    if is_model_source(config.model):
        if problem := model_source_problem(config.model):
            raise ConfigError(problem)
        _try_user_model(config)


def _try_user_model(config: TrainConfig) -> None:
    """Build a user's model once for a dataset of ten classes (the MNISTs, CIFAR-10), so an
    error in their file is shown whole (summary line, then their traceback) before the run;
    an image folder's classes are known only once it is read, so the run checks that one."""
    from engine.data.dataset_ref import default_input_shape, parse_dataset
    from engine.models.registry import build_model

    ref = parse_dataset(config.dataset)
    if ref.kind == "folder":
        return
    shape = config.input_shape or default_input_shape(ref)
    build_model(config.model, input_shape=shape, classes=tuple(str(i) for i in range(10)))


@contextlib.contextmanager
def _signals_stop(control: Any, say: Any) -> Iterator[dict[str, int]]:
    """First Ctrl-C or SIGTERM: stop at the next step and save; a second one ends at once.

    Yields {"signal": number of the first signal, 0 while none came}."""
    raise_if_signalled()  # one that came during an import or was dropped by Python
    flag = {"signal": 0}

    def handler(signum: int, frame: Any) -> None:
        if flag["signal"]:
            raise Interrupted(flag["signal"])
        flag["signal"] = signum
        control.stop()
        what = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        say(f"{what}: stopping after this step and saving a checkpoint ({what} again to abort)")

    previous: dict[int, Any] = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield flag
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def cmd_train(args: argparse.Namespace) -> int:
    from engine.training.control import Control
    from engine.training.events import Failed, Finished
    from engine.training.loop import train_events

    config = build_train_config(args)
    _check_inputs(config)
    control = Control()
    view = RichView() if sys.stdout.isatty() else PlainView()
    code = 0
    with view, _signals_stop(control, view.say) as flag:
        for event in train_events(config, control, args.resume, overwrite=args.overwrite):
            view.show(event)
            if isinstance(event, Finished):
                view.say(finished_line(event))
                code = 128 + flag["signal"] if flag["signal"] else 0
            elif isinstance(event, Failed):
                print(f"error: {event.message}", file=sys.stderr, flush=True)
                code = 1 if event.message.startswith("internal error") else 2
    return code
