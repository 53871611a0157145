"""A saved run opened in the app: its curves, accuracy and kernel history, and what t does.

``cnn-tui --checkpoint RUN/checkpoint.pt`` (or ``RUN``) opens the checkpoint's model; its
folder holds the rest, read here without torch (config.json, metrics.jsonl, steps.jsonl and
history/, through ``engine.training.history``). ``OpenedRun`` shows it: the training pane's
curves, the header's test accuracy and epochs, a line naming the kernel snapshots (e/E step
through them). On t, ``RunChoiceScreen`` asks what to train: continue the run (resume from the
checkpoint in its own folder: optimizer, schedule and counters as saved), fine-tune (a new
folder, the checkpoint's weights, a fresh optimizer and schedule) or start fresh (a new folder,
new weights); escape cancels. ``run_request`` is the engine request of each choice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import EngineError
from engine.training.config import TrainConfig

if TYPE_CHECKING:
    from tui.engine_service import EngineService
    from tui.train.tab import TrainTab
    from tui.train.training_actions import RunControl

CHOICES = ("continue", "finetune", "fresh")


@dataclass(frozen=True)
class SavedRun:
    """What a run folder says about the checkpoint in it.

    ``epochs_done`` counts the epochs its metrics.jsonl records; ``epochs_planned`` is its
    config's; ``snapshots`` the epochs with kernel snapshots (0: the initial weights)."""

    checkpoint: str
    run_dir: str
    config: TrainConfig
    epochs_done: int
    epochs_planned: int
    test_acc: float | None
    snapshots: tuple[int, ...]
    steps_per_epoch: int
    summary: dict[str, Any]
    last_step: int = 0  # the last global step steps.jsonl records (0: none)

    def stopped_at(self) -> tuple[int, int] | None:
        """(epoch from 1, step within it) where a run stopped mid-epoch; None otherwise."""
        done_steps = self.epochs_done * self.steps_per_epoch
        if self.finished or self.last_step <= done_steps:
            return None
        return self.epochs_done + 1, self.last_step - done_steps

    @property
    def finished(self) -> bool:
        return self.epochs_done >= self.epochs_planned

    def continued_epochs(self, more: int) -> int:
        """The epochs a continued run trains up to: the planned ones for a run stopped
        early, ``more`` beyond those done for a finished one."""
        return self.epochs_planned if not self.finished else self.epochs_done + max(1, more)


def read_saved_run(checkpoint: str) -> SavedRun | None:
    """The run around ``checkpoint`` (a file in its run folder); None where the folder holds
    no run (a checkpoint copied on its own)."""
    from engine.training.history import list_snapshots, load_history
    from engine.training.lr_plan import config_steps_per_epoch

    folder = Path(checkpoint).parent
    try:
        history = load_history(folder)
        snapshots = tuple(list_snapshots(folder))
    except EngineError:
        return None
    config = TrainConfig.from_dict(history.config) if history.config else None
    if config is None:
        return None
    done = len(history.epochs)
    last = history.epochs[-1] if history.epochs else {}
    global_step = int(last.get("global_step") or 0)
    steps = global_step // done if done and global_step else config_steps_per_epoch(config)
    summary = {**history.summary(), "config": history.config}
    recorded = summary["steps"]["step"]  # steps.jsonl, read once by the summary
    return SavedRun(
        str(checkpoint), str(folder), config, done, max(1, config.epochs),
        history.final_acc, snapshots, max(1, steps), summary,
        recorded[-1] if recorded else 0,
    )  # fmt: skip


def run_request(
    choice: str, saved: SavedRun, next_config: TrainConfig
) -> tuple[TrainConfig, str | None]:
    """(config, resume) of the engine's ``train`` request for ``choice`` (CHOICES).

    continue: the run's own config, resumed from its checkpoint into its own folder;
    finetune: the next run's config from the checkpoint's weights (``TrainConfig.weights``)
    into a new folder; fresh: the next run's config with new weights."""
    if choice == "continue":
        config = replace(
            saved.config,
            run_dir=None,  # the engine resumes next to the checkpoint
            epochs=saved.continued_epochs(next_config.epochs),
            device=next_config.device,
            data_dir=next_config.data_dir or saved.config.data_dir,
            weights=None,
        )
        return config, saved.checkpoint
    if choice == "finetune":
        return replace(next_config, model=saved.config.model, weights=saved.checkpoint), None
    return replace(next_config, weights=None), None


class RunChoiceScreen(ModalScreen[str | None]):
    """Continue, fine-tune or start fresh (c, f, n or the list); escape cancels (None)."""

    BINDINGS = [
        Binding("c", "choose('continue')", "Continue"),
        Binding("f", "choose('finetune')", "Fine-tune"),
        Binding("n", "choose('fresh')", "Start fresh"),
        Binding("escape", "choose(None)", "Cancel"),
    ]

    def __init__(self, saved: SavedRun, next_config: TrainConfig) -> None:
        super().__init__(id="run-choice")
        self.saved, self.next_config = saved, next_config

    def descriptions(self) -> dict[str, str]:
        saved, nxt = self.saved, self.next_config
        name = Path(saved.run_dir).name
        upto = saved.continued_epochs(nxt.epochs)
        first = saved.epochs_done + 1
        epochs = f"epoch {upto}" if first == upto else f"epochs {first}-{upto}"
        return {
            "continue": f"c  Continue the run: train {epochs} of {upto} in {name}, resuming "
            "its optimizer and schedule from the checkpoint",
            "finetune": f"f  Fine-tune: a new run of {nxt.epochs} epoch(s) in a new folder "
            "from these weights, with a fresh optimizer and schedule",
            "fresh": f"n  Start fresh: a new run of {nxt.model} with new random weights "
            "in a new folder",
        }

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Train from this checkpoint?", classes="dialog-title")
            done = f"{self.saved.epochs_done} of {self.saved.epochs_planned} epoch(s) trained"
            yield Static(f"{self.saved.run_dir}: {done}", markup=False)
            texts = self.descriptions()
            yield OptionList(*(Option(texts[c], id=c) for c in CHOICES), id="run-choices")
            yield Static("enter or c/f/n: choose · esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)


class OpenedRun:
    """The saved run of the checkpoint in view (None: the model in view is not one)."""

    def __init__(self, control: RunControl, engine: EngineService, tab: TrainTab) -> None:
        self.control, self.engine, self.tab = control, engine, tab
        self.saved: SavedRun | None = None

    def loaded(self, checkpoint: str | None) -> None:
        """A model was opened: from ``checkpoint``, show its run; else forget the last one
        and show the next run's planned learning rate."""
        pane = self.tab.training
        self.saved = read_saved_run(checkpoint) if checkpoint else None
        saved = self.saved
        if saved is None:
            pane.set_plan(self.tab.run.next_config.to_dict())
            return
        pane.show_run(saved.summary, saved.steps_per_epoch)
        history = " · e/E: its kernel history" if saved.snapshots else ""
        pane.set_message(f"t: continue, fine-tune or start fresh{history}")
        stopped = saved.stopped_at()
        if stopped is not None:  # the header says where it stopped, as it did when it did
            epoch, step = stopped
            self.tab.update_status(state="stopped", epoch=epoch, step=step,
                                   steps=saved.steps_per_epoch)  # fmt: skip
        else:
            self.tab.update_status(state="finished" if saved.finished else "stopped",
                                   epoch=saved.epochs_done, step=None)  # fmt: skip
        self.tab.update_status(test_acc=saved.test_acc, epochs=saved.epochs_planned)

    def ask(self) -> bool:
        """On t with a saved run in view: ask what to train (True), else False."""
        saved = self.saved
        if saved is None:
            return False

        def chosen(choice: str | None) -> None:
            if choice in CHOICES:
                self.train(choice)

        self.tab.app.push_screen(RunChoiceScreen(saved, self.tab.run.next_config), chosen)
        return True

    def train(self, choice: str) -> None:
        """Send the engine the run ``choice`` asks for (the checkpoint is then left behind)."""
        assert self.saved is not None
        config, resume = run_request(choice, self.saved, self.tab.run.next_config)
        if resume is None:
            config = self.control.fresh_folder(config)
        if self.engine.train(config, resume=resume) is None:
            self.tab.error("The engine is not running; restart cnn-tui.")
            return
        self.saved = None
        self.tab.set_state("starting")
        what = {"continue": "Continuing", "finetune": "Fine-tuning", "fresh": "Starting"}[choice]
        self.tab.training.set_message(f"{what} {config.model}: {config.epochs} epoch(s)…")
