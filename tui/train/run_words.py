"""What the Train tab says of runs: the header fields of a model and of a run, where a run is
at a given step, and the training pane's words between runs (the previous run labelled)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.training.events import Failed, Finished, Started, precision_label

if TYPE_CHECKING:
    from tui.train.tab import TrainTab
    from tui.train.training_actions import RunState

IDLE_MESSAGE = "t: train · c: set up the run"
INSPECT_ONLY_MESSAGE = "inspection only · c: choose a model to train"
# The header fields of a run; a newly opened model has none of them.
NO_RUN = dict(epoch=None, epochs=None, step=None, steps=None, samples_per_sec=None, test_acc=None)


def started_device(event: Started) -> dict[str, str]:
    """The header's device and precision of a run: ``cuda:0 (H200)`` and ``bf16``."""
    return {
        "device": event.device_name or event.device,
        "precision": precision_label(event.precision),
    }


def model_status(payload: dict[str, Any]) -> dict[str, Any]:
    """The header of a newly opened model: where it computes, no run fields, and
    "untrained" where its weights are random."""
    weights = str(payload.get("info", {}).get("weights", ""))
    return {
        **NO_RUN,
        "device": payload.get("device") or "?",
        "precision": payload.get("precision"),
        "note": "untrained" if weights.startswith("random") else None,
    }


def step_at(global_step: int, steps_per_epoch: int | None) -> dict[str, int]:
    """The header's epoch and step at ``global_step`` (Progress is throttled, so the last one
    may predate a pause by a few steps); {} where unknown."""
    if not steps_per_epoch or global_step <= 0:
        return {}
    epoch, step = divmod(global_step, steps_per_epoch)
    if step == 0:  # at an epoch's end: that epoch, at its last step
        return {"epoch": epoch, "step": steps_per_epoch}
    return {"epoch": epoch + 1, "step": step}


def how_it_ended(event: Finished | Failed) -> tuple[str, str]:
    """The header's word for a run's last event (stopped, finished, failed, diverged) and
    the training pane's line: ``Run stopped at epoch 1 step 518/938 · test acc 97.10%``."""
    if isinstance(event, Failed):
        diverged = event.reason == "diverged"
        title = "Training diverged" if diverged else "Training failed"
        detail = event.message.removeprefix("training diverged: ")
        return ("diverged" if diverged else "failed"), f"{title}: {detail}"
    state = "stopped" if event.stopped else "finished"
    where = f" at {event.where()}" if event.stopped and event.where() else ""
    accuracy = "" if event.test_acc is None else f" · test acc {100 * event.test_acc:.2f}%"
    return state, f"Run {state}{where}{accuracy}"


class RunWords:
    """The training pane's message while no run of the model in view exists."""

    def __init__(self, run: RunState, tab: TrainTab) -> None:
        self.run = run
        self.tab = tab

    def idle_message(self) -> str:
        """The training pane's words with no run of the model in view: the keys, or the
        previous run (still reachable through compare) labelled as such, in two short lines
        (the pane shows two); the message's tooltip has the whole of it."""
        last = self.run.last_run
        message = self.tab.training.query_one("#train-message")
        keys = IDLE_MESSAGE if self.run.trainable else INSPECT_ONLY_MESSAGE
        if last is None:
            message.tooltip = None
            return keys
        hint = self.compare_hint()
        message.tooltip = f"Previous run {last.summary()}{hint}\n{keys}"
        width = max(24, self.tab.training.content_size.width - 1)  # (the message's padding)
        folder = last.run_dir if len(last.run_dir) <= width else "…" + last.run_dir[1 - width :]
        lines = [last.label(), folder]
        for i, line in enumerate(lines):  # the compare key where it fits whole
            if hint and len(line + hint) <= width:
                lines[i], hint = line + hint, ""
        return "\n".join(lines)

    def compare_hint(self) -> str:
        """How to see the previous run again: the app's compare key where it has one."""
        active_keys = getattr(self.tab.screen, "active_keys", None)
        for key, _ in active_keys() if active_keys else []:
            if "compare" in key.action:
                return f" · {key.display}: compare"
        return ""
