"""Progress views of ``python -m engine train``: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

from typing import Any

from engine.training.events import counted, started_line


def epoch_line(ev: Any, epochs: int) -> str:
    return (
        f"epoch {ev.epoch}/{epochs}  train loss {ev.train_loss:.4f} acc {ev.train_acc:.2%}  "
        f"test loss {ev.test_loss:.4f} acc {ev.test_acc:.2%}  lr {ev.lr:.3g}  "
        f"{ev.seconds:.1f} s"
    )


def finished_line(ev: Any) -> str:
    """The run's last line: how it ended (a stopped run: where), epochs, accuracy, checkpoint."""
    where = f" at {ev.where()}" if ev.stopped and ev.where() else ""
    acc = f"test accuracy {ev.test_acc:.2%}, " if ev.test_acc is not None else ""
    return (
        f"finished ({ev.reason}){where}: {counted(ev.epochs_done, 'epoch')}, {acc}"
        f"{ev.seconds:.1f} s of training; checkpoint {ev.checkpoint}"
    )


class PlainView:
    """One line per epoch, for pipes and logs."""

    def __init__(self) -> None:
        self.epochs = 0

    def say(self, text: str) -> None:
        print(text, flush=True)

    def __enter__(self) -> PlainView:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def show(self, ev: Any) -> None:
        from engine.training import events as e

        if isinstance(ev, e.Started):
            self.epochs = ev.epochs
            self.say(started_line(ev))
        elif isinstance(ev, e.EpochEnd):
            self.say(epoch_line(ev, self.epochs))
        elif isinstance(ev, e.CheckpointSaved):
            self.say(f"checkpoint {ev.path}")
        elif isinstance(ev, e.StepLogged):
            self.say(ev.line())


class RichView(PlainView):
    """A rich progress bar per epoch with live loss, accuracy and speed."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = Console()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.task: Any = None

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def __enter__(self) -> RichView:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def show(self, ev: Any) -> None:
        from engine.training import events as e

        if isinstance(ev, e.Started):
            self.epochs, self.steps = ev.epochs, ev.steps_per_epoch
            self.say(started_line(ev))
        elif isinstance(ev, e.Progress):
            if (
                self.task is None
                or self.progress.tasks[self.task].description != f"epoch {ev.epoch}/{self.epochs}"
            ):
                self.task = self.progress.add_task(
                    f"epoch {ev.epoch}/{self.epochs}", total=ev.steps_per_epoch, stats=""
                )
            self.progress.update(
                self.task,
                completed=ev.step,
                stats=f"loss {ev.loss:.4f} acc {ev.acc:.2%} lr {ev.lr:.3g} "
                f"{ev.samples_per_sec:,.0f}/s",
            )
        elif isinstance(ev, e.EpochEnd):
            if self.task is not None:
                self.progress.update(self.task, completed=self.steps)
            self.say(epoch_line(ev, self.epochs))
        elif isinstance(ev, e.CheckpointSaved):
            self.say(f"checkpoint {ev.path}")
        elif isinstance(ev, e.StepLogged):
            self.say(ev.line())
        elif isinstance(ev, e.Paused):
            self.say("paused")
