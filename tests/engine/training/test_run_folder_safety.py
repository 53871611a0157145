"""Run folders: a resume writes next to its checkpoint, a folder holding a run is refused, one
run at a time holds a folder, and failed or killed runs leave nothing behind."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.training.control import Control
from engine.training.events import Failed, Finished
from engine.training.loop import train_events
from engine.training.resume import resume_config
from engine.training.run_claim import LOCK_NAME, claim_run_folder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but the lock) with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def finish(events: list) -> Finished | Failed:
    end = events[-1]
    assert isinstance(end, (Finished, Failed))
    return end


@pytest.fixture
def trained(tiny_config, tmp_path: Path) -> Path:
    """runs/A: one finished epoch of the tiny run."""
    config = tiny_config("runs/A")
    assert isinstance(finish(list(train_events(config))), Finished)
    return tmp_path / "runs" / "A"


# ------------------------------------------------------------------------------ 1. resume


def test_resume_of_a_copied_run_writes_the_copy_and_leaves_the_original(trained: Path) -> None:
    copy = trained.parent / "B"
    shutil.copytree(trained, copy)
    before = digest(trained)
    end = finish(list(train_events(resume_config(copy / "checkpoint.pt", epochs=2), resume=copy)))
    assert isinstance(end, Finished) and end.epochs_done == 2
    assert digest(trained) == before  # the folder recorded inside the checkpoint is untouched
    assert end.checkpoint == str(copy / "checkpoint.pt")
    assert len((copy / "metrics.jsonl").read_text().splitlines()) == 2


def test_resume_never_recreates_the_folder_named_in_the_checkpoint(trained: Path) -> None:
    copy = trained.parent / "B"
    shutil.copytree(trained, copy)
    shutil.rmtree(trained)
    assert main(["train", "--resume", str(copy / "checkpoint.pt"), "--epochs", "2"]) == 0
    assert not trained.exists()
    assert json.loads((copy / "metrics.jsonl").read_text().splitlines()[-1])["epoch"] == 2


def test_resume_into_run_dir_writes_there(trained: Path, tmp_path: Path) -> None:
    before = digest(trained)
    target = tmp_path / "elsewhere"
    code = main(["train", "--resume", str(trained), "--epochs", "2", "--run-dir", str(target)])
    assert code == 0
    assert digest(trained) == before
    assert (target / "checkpoint.pt").is_file()


def test_resume_config_drops_the_stored_run_dir(trained: Path) -> None:
    assert resume_config(trained / "checkpoint.pt").run_dir is None
    assert resume_config(trained, run_dir="X").run_dir == "X"


# ----------------------------------------------------------------- 2. refuse, overwrite, lock


def test_a_new_run_into_a_folder_holding_a_run_is_refused(
    trained: Path, tiny_config, capsys
) -> None:
    before = digest(trained)
    end = finish(list(train_events(tiny_config("runs/A", seed=1))))
    assert isinstance(end, Failed)
    assert "already holds a run" in end.message and "--overwrite" in end.message
    assert digest(trained) == before
    code = main(["train", "--model", "c4-p-f16", "--train-subset", "64", "--run-dir", str(trained)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "already holds a run" in err
    assert digest(trained) == before


@pytest.mark.parametrize("leftover", ["metrics.jsonl", "config.json", "history"])
def test_any_run_file_marks_a_folder_as_holding_a_run(tmp_path: Path, leftover: str) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / leftover).mkdir() if leftover == "history" else (folder / leftover).write_text("")
    with pytest.raises(Exception, match="already holds a run"):
        claim_run_folder(folder)


def test_overwrite_replaces_the_old_run_and_its_later_snapshots(
    tiny_config, tmp_path: Path
) -> None:
    old = tiny_config("runs/A", epochs=3)
    assert isinstance(finish(list(train_events(old))), Finished)
    folder = tmp_path / "runs" / "A"
    assert (folder / "history" / "epoch-0003.npz").is_file()
    end = finish(list(train_events(tiny_config("runs/A", seed=3), overwrite=True)))
    assert isinstance(end, Finished)
    assert len((folder / "metrics.jsonl").read_text().splitlines()) == 1
    assert sorted(p.name for p in (folder / "history").glob("*.npz")) == [
        "epoch-0000.npz",
        "epoch-0001.npz",
        *(f"step-{s:08d}.npz" for s in (1, 2, 3)),  # the new run's own (none of the old's 5-11)
    ]
    assert json.loads((folder / "config.json").read_text())["seed"] == 3


def test_overwrite_keeps_the_old_run_when_the_new_one_cannot_start(
    trained: Path, tiny_config
) -> None:
    before = digest(trained)
    bad = tiny_config("runs/A", data_dir=str(trained / "no-such-data"))
    assert isinstance(finish(list(train_events(bad, overwrite=True))), Failed)
    assert digest(trained) == before


def test_a_second_run_into_a_locked_folder_is_refused(tiny_config, tmp_path: Path) -> None:
    """While one run trains into a folder (paused here), another into it gets one line."""
    reached = threading.Event()
    control = Control(between_steps=lambda state: reached.set())
    control.pause()
    events: list = []
    first = threading.Thread(
        target=lambda: events.extend(train_events(tiny_config("shared"), control))
    )
    first.start()
    assert reached.wait(120)
    second = finish(list(train_events(tiny_config("shared"), overwrite=True)))
    control.stop()
    first.join(120)
    assert isinstance(second, Failed)
    assert "in use by another training run" in second.message
    assert isinstance(events[-1], Finished)  # the first run was not disturbed
    assert "\n" not in second.message


# ------------------------------------------------------------------------------ 3. leftovers


def test_stale_temporaries_are_removed_on_start(trained: Path) -> None:
    stale = [trained / ".checkpoint.pt.k1ll3d.tmp", trained / ".metrics.jsonl.42.tmp"]
    for path in stale:
        path.write_bytes(b"half a checkpoint")
    end = finish(list(train_events(resume_config(trained, epochs=2), resume=trained)))
    assert isinstance(end, Finished)
    assert not any(path.exists() for path in stale)


def test_a_failed_fresh_run_leaves_no_folder(tiny_config, tmp_path: Path) -> None:
    bad = tiny_config("runs/new", data_dir=str(tmp_path / "missing"))
    assert isinstance(finish(list(train_events(bad))), Failed)
    assert not (tmp_path / "runs" / "new").exists()


def test_a_fresh_run_failing_in_its_first_epoch_takes_its_files_back(
    tiny_config, tmp_path: Path
) -> None:
    def boom(state) -> None:
        raise RuntimeError("boom")

    end = finish(list(train_events(tiny_config("runs/new"), Control(boom))))
    assert isinstance(end, Failed) and end.checkpoint is None
    assert not (tmp_path / "runs" / "new").exists()


def test_a_failed_fresh_run_keeps_a_folder_it_did_not_make(tiny_config, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    bad = tiny_config("mine", data_dir=str(tmp_path / "missing"))
    assert isinstance(finish(list(train_events(bad))), Failed)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_failed_resume_leaves_config_and_metrics_as_they_were(trained: Path) -> None:
    before = digest(trained)

    def boom(state) -> None:
        raise RuntimeError("boom")

    config = resume_config(trained, epochs=3, lr=0.5, batch_size=32)
    end = finish(list(train_events(config, Control(boom), resume=trained)))
    assert isinstance(end, Failed)
    assert digest(trained) == before  # config.json not rewritten for a checkpoint never made
