"""The headless command line, ``python -m engine``: one subcommand per module, one-line errors."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from engine.errors import (
    EngineError,
    Interrupted,
    exit_code_of,
    raise_if_signalled,
    signals_interrupt,
)

# Each module exposes register(subparsers) which adds its subcommands and sets `handler`.
COMMAND_MODULES = (
    "engine.cli.inspection",
    "engine.cli.train",
    "engine.cli.evaluate",
    "engine.cli.recipes",
    "engine.cli.bench",
    "engine.cli.conv",
    "engine.cli.interpret",
    "engine.cli.actmax",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m engine",
        description="cnn-tui's headless engine: inspect, train, evaluate and explain image "
        "classifiers from the shell: the tutorials' networks (see `models`), specs "
        "such as c32-p-c64-p-f128, or your own nn.Module (--model FILE.py:Name or "
        "package.module:Name), on the bundled MNIST or Fashion-MNIST, an image folder "
        "(--dataset folder:PATH) or CIFAR-10 (--dataset cifar10:PATH). Bad input prints one "
        "line and exits 2.",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=OneLineParser
    )
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    # Named in the one line that `python -m engine` without a subcommand prints.
    parser.set_defaults(command_names=tuple(subparsers.choices))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its exit code (2: bad input, 130: Ctrl-C, 143: SIGTERM)."""
    with signals_interrupt():  # first: a signal during start-up is one line too
        try:
            code = _run(argv)
            raise_if_signalled()  # one that came during an import or was dropped by Python
            return code
        except EngineError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt as exc:
            print(exc if isinstance(exc, Interrupted) else "interrupted", file=sys.stderr)
            return exit_code_of(exc)
        except BrokenPipeError:
            return 0


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        # No subcommand: usage and one line on stderr (stdout stays clean for pipes), exit 2.
        names = ", ".join(args.command_names)
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: choose a subcommand: {names}; see --help", file=sys.stderr)
        return 2
    return int(args.handler(args) or 0)
