"""``cnn-tui``: parse the command line cheaply (no torch), then run the workbench.

Everything that can be checked without torch is checked here and reported as one line with
exit code 2: files that must exist, the device's syntax, CUDA asked for on a machine with no
GPU driver, the recipe. A model name or spec is
checked by the engine when it builds the model; a bad one shows a message in the app.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from engine.errors import (
    ConfigError,
    EngineError,
    Interrupted,
    exit_code_of,
    raise_if_signalled,
    signals_interrupt,
)
from engine.models.catalog import parse_input_shape
from engine.training.config import RECIPES, make_config
from tui.devices import gpu_driver_present
from tui.folder_checks import data_dir_problem, run_dir_problem
from tui.source_args import (
    DATASETS_HELP,
    dataset_problem,
    model_problem,
    with_data,
)
from tui.widgets.graphics import CHOICES as GRAPHICS_CHOICES
from tui.widgets.graphics import ENV_VAR as GRAPHICS_ENV
from tui.widgets.graphics import decide_graphics, graphics_choice, usable_graphics

DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def build_parser() -> OneLineParser:
    p = OneLineParser(
        prog="cnn-tui",
        description="A terminal workbench for convolutional networks on MNIST: train a "
        "network and watch its kernels and feature maps form. Press ? inside "
        "for every key.",
    )
    p.add_argument(
        "--model",
        metavar="NAME|SPEC|FILE.py:Name",
        help="model to open and train: a name (fast-net, basic-cnn, convnet, lenet5, "
        "mlp, alexnet, ...), a spec such as c32-p-c64-p-f128, or your own nn.Module: "
        "path/model.py:Name or package.module:Name (default: the recipe's)",
    )
    p.add_argument("--dataset", metavar="NAME|folder:PATH|cifar10:PATH", help=DATASETS_HELP)
    p.add_argument(
        "--input-shape",
        type=input_shape_arg,
        metavar="C,H,W",
        help="the model's input (default: the dataset's, e.g. 1,28,28 or 3,32,32)",
    )
    p.add_argument(
        "--recipe",
        default="fast",
        choices=list(RECIPES),
        metavar="NAME",
        help=f"training recipe: {', '.join(RECIPES)} (default: fast)",
    )
    p.add_argument(
        "--device",
        default="auto",
        metavar="auto|cpu|cuda",
        help="where to train (default: auto, the GPU when there is one)",
    )
    p.add_argument("--checkpoint", metavar="PATH", help="open a saved checkpoint for inspection")
    p.add_argument("--run-dir", metavar="DIR", help="where runs save checkpoints and logs")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the MNIST IDX files (default: the bundled copy)",
    )
    p.add_argument(
        "--image",
        metavar="PATH",
        help="inspect this picture instead of MNIST digits (e.g. with alexnet)",
    )
    p.add_argument("--weights", metavar="PATH", help="weights file for --model (e.g. AlexNet's)")
    p.add_argument(
        "--ascii", action="store_true", help="draw heatmaps with ASCII shading instead of colour"
    )
    p.add_argument(
        "--graphics",
        default="auto",
        type=graphics_choice,
        metavar="auto|kitty|sixel|iterm|off",
        help="draw the digit at full resolution with a terminal graphics protocol; auto "
        "(default) decides from the environment (TERM, TERM_PROGRAM; never inside tmux) "
        "without querying the terminal; also the CNN_TUI_GRAPHICS variable",
    )
    p.add_argument(
        "--compare",
        nargs="+",
        metavar="RUN_DIR",
        help="compare runs: their curves overlaid, final accuracy, parameters and "
        "training time side by side",
    )
    # Hidden: small runs for tests and demos.
    p.add_argument("--epochs", type=positive_int, help=argparse.SUPPRESS)
    p.add_argument("--batch-size", type=positive_int, help=argparse.SUPPRESS)
    p.add_argument("--train-subset", type=positive_int, help=argparse.SUPPRESS)
    p.add_argument("--test-subset", type=positive_int, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    return p


def input_shape_arg(text: str) -> tuple[int, int, int]:
    """argparse type of --input-shape: ``C,H,W``, checked by the engine's own rule."""
    try:
        return parse_input_shape(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_paths(args: argparse.Namespace) -> str | None:
    """The first problem with the given paths, as one line, or None."""
    from engine.training.run_paths import resolve_checkpoint_path  # torch-free

    if args.checkpoint:
        try:  # a checkpoint file or its run folder, as every engine command accepts; the
            # app goes on with the file (its folder is the run's: kernel history, metrics)
            args.checkpoint = str(resolve_checkpoint_path(args.checkpoint))
        except EngineError as exc:
            return f"--checkpoint: {exc}"
    if args.model and (problem := model_problem(args.model)):
        return f"--model {args.model}: {problem}"
    if args.dataset and (problem := dataset_problem(args.dataset)):
        return f"--dataset {args.dataset}: {problem}"
    for flag, value in (("--image", args.image), ("--weights", args.weights)):
        if value and not Path(value).expanduser().is_file():
            return f"{flag} {value}: no such file"
    if args.data_dir:
        problem = data_dir_problem(Path(args.data_dir).expanduser())
        if problem:
            return f"--data-dir {args.data_dir}: {problem}"
    if args.run_dir:
        problem = run_dir_problem(Path(args.run_dir).expanduser())
        if problem:
            return f"--run-dir {args.run_dir}: {problem}"
    if not DEVICE_RE.match(args.device):
        return f"--device {args.device}: use auto, cpu, cuda or cuda:N"
    from_env = os.environ.get(GRAPHICS_ENV, "")
    if from_env.strip() and from_env.strip().lower() not in GRAPHICS_CHOICES:
        return f"{GRAPHICS_ENV}={from_env}: use one of {', '.join(GRAPHICS_CHOICES)}, or unset it"
    if args.device.startswith("cuda") and not gpu_driver_present():
        return (
            f"--device {args.device}: CUDA requested but this machine has no GPU driver "
            "(no /proc/driver/nvidia, /dev/nvidia*, /dev/dxg or /dev/kfd); use --device cpu"
        )
    from engine.training.history import check_run_dir  # torch-free

    for run_dir in getattr(args, "compare", None) or ():
        try:
            check_run_dir(run_dir)
        except EngineError as exc:
            return f"--compare: {exc}"
    return None


def options_from_args(args: argparse.Namespace):
    """AppOptions for the parsed command line (raises EngineError for a bad combination)."""
    from tui.app import AppOptions

    def path(value: str | None) -> str | None:
        return str(Path(value).expanduser().resolve()) if value else None

    config = make_config(
        args.recipe,
        model=args.model,
        device=args.device,
        run_dir=path(args.run_dir),
        data_dir=path(args.data_dir),
        weights=path(args.weights),
        epochs=args.epochs,
        batch_size=args.batch_size,
        train_subset=args.train_subset,
        test_subset=args.test_subset,
        seed=args.seed,
    )
    config = with_data(config, args.dataset, args.input_shape)
    compare = tuple(path(d) for d in getattr(args, "compare", None) or ())
    no_colour = args.ascii or bool(os.environ.get("NO_COLOR"))  # no-color.org: set, not empty
    graphics = decide_graphics(os.environ, args.graphics, "ascii" if no_colour else "256")
    return AppOptions(
        config=config,
        model=args.model,
        # --compare alone: behind the compare view (escape), the first run's trained model
        checkpoint=path(args.checkpoint) or compared_checkpoint(compare, args.model),
        weights=path(args.weights),
        image=path(args.image),
        data_dir=path(args.data_dir),
        dataset=args.dataset,
        input_shape=args.input_shape,
        ascii=args.ascii,
        graphics=graphics.protocol,
        seed=args.seed,
        compare=compare,
    )


def compared_checkpoint(run_dirs: Sequence[str | None], model: str | None) -> str | None:
    """The checkpoint of the first compared run that has one (None with --model, which asks
    for another model, or where none has)."""
    from engine.training.run_paths import CHECKPOINT_NAME

    if model:
        return None
    found = (Path(d) / CHECKPOINT_NAME for d in run_dirs if d)
    return next((str(file) for file in found if file.is_file()), None)


def main(argv: Sequence[str] | None = None) -> int:
    """cnn-tui's exit code: 0, 2 (bad input), 130 (Ctrl-C / SIGINT), 143 (SIGTERM), 1 (crash)."""
    with signals_interrupt():  # first: a signal during start-up is one line, not a traceback
        try:
            return _main(argv)
        except KeyboardInterrupt as exc:
            print(exc if isinstance(exc, Interrupted) else "interrupted", file=sys.stderr)
            return exit_code_of(exc)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = check_paths(args)
    if problem:
        parser.error(problem)
    try:
        options = options_from_args(args)
    except EngineError as exc:
        parser.error(str(exc))
    # Start multiprocessing's resource tracker while stderr is still a real descriptor: inside
    # the running app it is not, and spawning the engine would fail.
    from engine.process.remote import prepare_for_spawn

    prepare_for_spawn()
    if args.run_dir:
        Path(options.config.run_dir).mkdir(parents=True, exist_ok=True)
    if options.log_file is None and options.config.run_dir:
        options = replace(options, log_file=os.path.join(options.config.run_dir, "engine.log"))
    options = replace(options, graphics=usable_graphics(options.graphics))
    from tui.app import CnnTuiApp

    app = CnnTuiApp(options)
    raise_if_signalled()  # one that came during an import or was dropped by Python
    app.catch_signals()  # from here a signal stops a run cleanly (it saves), then quits
    app.run()
    # Textual prints a crash's traceback and sets return_code 1; never report it as success.
    return app.signal_code or app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
