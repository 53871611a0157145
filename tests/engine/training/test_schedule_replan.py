"""Issue 12 point 6: a resume with another batch size or subset re-plans its schedule from the
epochs done and the new steps per epoch, so OneCycle (and cosine) end at their final rate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from engine.cli.main import main
from engine.training.checkpoint import load_checkpoint
from engine.training.config import make_config
from engine.training.events import EpochEnd, Failed, Finished
from engine.training.loop import train_events
from engine.training.resume import resume_config
from engine.training.steps import ONECYCLE_DIV, ONECYCLE_FINAL_DIV, advance, schedule_at

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step"),
]
PEAK = 0.01
FINAL = PEAK / (ONECYCLE_DIV * ONECYCLE_FINAL_DIV)  # OneCycle's last learning rate


def run(config, resume=None) -> list:
    events = list(train_events(config, resume=resume))
    assert not any(isinstance(e, Failed) for e in events), events[-1]
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    return events


def last_lr(events: list) -> float:
    return [e.lr for e in events if isinstance(e, EpochEnd)][-1]


@pytest.fixture
def one_epoch(tiny_config, tmp_path: Path) -> Path:
    """A one-epoch OneCycle run on 512 digits at batch 64 (8 steps); its checkpoint."""
    config = tiny_config("first", schedule="onecycle", lr=PEAK, train_subset=512)
    events = run(config)
    assert last_lr(events) == pytest.approx(FINAL)  # a fresh run ends at the final rate
    return Path(config.run_dir) / "checkpoint.pt"


@pytest.mark.parametrize(
    "changes",
    [
        {"batch_size": 128},  # fewer steps per epoch: crashed "Tried to step 13 times"
        {"batch_size": 32},  # more: ended at a high learning rate
        {"batch_size": 100},  # 6 steps, the last one folded (512 = 5 x 100 + 12)
        {"train_subset": 1024},  # another subset: 16 steps per epoch
        {"train_subset": 320},
    ],
)
def test_resume_with_other_steps_per_epoch_ends_at_the_final_rate(
    one_epoch: Path, tmp_path: Path, changes: dict
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(one_epoch.parent, copy)
    config = resume_config(copy / "checkpoint.pt", epochs=2, **changes)
    events = run(config, resume=copy / "checkpoint.pt")
    assert last_lr(events) == pytest.approx(FINAL)
    saved = load_checkpoint(copy / "checkpoint.pt")
    assert saved["epoch"] == 2
    steps = saved["steps_per_epoch"]
    assert saved["global_step"] == 8 + steps  # epoch 2 trained whole at the new size


def test_the_issues_example_fast_recipe_resumed_at_512_and_128(tmp_path: Path, capsys) -> None:
    first = tmp_path / "A"
    common = ["--test-subset", "200", "--threads", "1"]
    argv = ["train", "--recipe", "fast", "--epochs", "1", "--train-subset", "4096"]
    assert main([*argv, *common, "--run-dir", str(first)]) == 0
    for batch in ("512", "128"):
        folder = tmp_path / f"B{batch}"
        shutil.copytree(first, folder)
        resume = ["train", "--resume", str(folder / "checkpoint.pt"), "--epochs", "2"]
        assert main([*resume, "--batch-size", batch, *common]) == 0, capsys.readouterr().err
        lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch 2/2")]
        final = make_config("fast").lr / (ONECYCLE_DIV * ONECYCLE_FINAL_DIV)
        assert len(lines) == 1 and lines[0].split("  lr ")[1].split()[0] == f"{final:.3g}"


def test_a_same_size_resume_with_more_epochs_still_ends_at_the_final_rate(
    one_epoch: Path,
) -> None:
    config = resume_config(one_epoch, epochs=3)
    assert last_lr(run(config, resume=one_epoch)) == pytest.approx(FINAL)


@pytest.mark.parametrize("schedule", ["onecycle", "cosine", "step", "constant"])
def test_schedule_at_equals_stepping_a_fresh_schedule(schedule: str) -> None:
    config = make_config("fast", schedule=schedule, lr=PEAK, epochs=3)

    def optimizer() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=PEAK)

    for position in (0, 5, 12, 29, 30):
        stepped_opt = optimizer()
        stepped = schedule_at(stepped_opt, config, 10, 0)
        for _ in range(position):
            advance(stepped)
        placed_opt = optimizer()
        schedule_at(placed_opt, config, 10, position)
        lr = placed_opt.param_groups[0]["lr"]
        assert lr == pytest.approx(stepped_opt.param_groups[0]["lr"]), (schedule, position)


def test_onecycle_never_steps_past_its_final_rate() -> None:
    config = make_config("fast", schedule="onecycle", lr=PEAK, epochs=1)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=PEAK)
    scheduler = schedule_at(opt, config, 8, 8)
    for _ in range(5):  # stepping on (a resume that had nothing left) neither raises nor rises
        advance(scheduler)
    assert opt.param_groups[0]["lr"] == pytest.approx(FINAL)
