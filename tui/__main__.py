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

from engine.errors import EngineError
from engine.training.config import RECIPES, make_config

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
        metavar="NAME|SPEC",
        help="model to open and train: a name (fast-net, basic-cnn, convnet, lenet5, "
        "mlp, alexnet, ...) or a spec such as c32-p-c64-p-f128 "
        "(default: the recipe's)",
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


def gpu_driver_present() -> bool:
    """Whether a GPU driver torch could use is installed, told without importing torch (which
    the UI process never does): NVIDIA's, WSL's or ROCm's device files on Linux, nvcuda.dll on
    Windows. A driver torch cannot use is reported by the engine when training starts."""
    if sys.platform == "win32":
        root = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
        return (root / "System32" / "nvcuda.dll").exists()
    if sys.platform != "linux":
        return False  # macOS: no CUDA
    dev = Path("/dev")
    return (
        Path("/proc/driver/nvidia/version").exists()
        or any(dev.glob("nvidia[0-9]*"))
        or (dev / "dxg").exists()
        or (dev / "kfd").exists()
    )


def check_paths(args: argparse.Namespace) -> str | None:
    """The first problem with the given paths, as one line, or None."""
    for flag, value in (
        ("--checkpoint", args.checkpoint),
        ("--image", args.image),
        ("--weights", args.weights),
    ):
        if value and not Path(value).expanduser().is_file():
            return f"{flag} {value}: no such file"
    if args.data_dir and not Path(args.data_dir).expanduser().is_dir():
        return f"--data-dir {args.data_dir}: no such folder"
    if (
        args.run_dir
        and Path(args.run_dir).expanduser().exists()
        and not Path(args.run_dir).expanduser().is_dir()
    ):
        return f"--run-dir {args.run_dir}: exists and is not a folder"
    if not DEVICE_RE.match(args.device):
        return f"--device {args.device}: use auto, cpu, cuda or cuda:N"
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
    return AppOptions(
        config=config,
        model=args.model,
        checkpoint=path(args.checkpoint),
        weights=path(args.weights),
        image=path(args.image),
        data_dir=path(args.data_dir),
        ascii=args.ascii,
        seed=args.seed,
        compare=tuple(path(d) for d in getattr(args, "compare", None) or ()),
    )


def main(argv: Sequence[str] | None = None) -> int:
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
    from tui.app import CnnTuiApp

    CnnTuiApp(options).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
