"""Issue 12: the one-line messages of a run say what is true: a data folder that is a file, a
full disk on a fresh run (no checkpoint written), the step that diverged, and a resume with
nothing left to train (refused before anything in its folder changes)."""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.cli.main import main
from engine.data.idx import locate_file, resolve_data_dir
from engine.errors import CheckpointError, ConfigError, DataError
from engine.training import checkpoint as checkpoint_module
from engine.training import snapshots
from engine.training.checkpoint import atomic_save
from engine.training.events import Failed
from engine.training.loop import train_events
from engine.training.watch import StepWatch

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FILE_NOT_FOLDER = "is a file, not a folder; pass the folder holding the four MNIST IDX files"


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def disk_full(*args, **kwargs) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


# ----------------------------------------------------------------------------- data folder


def test_a_data_dir_that_is_a_file_is_named_as_a_file(tmp_path: Path, monkeypatch) -> None:
    file = tmp_path / "train-images-idx3-ubyte.gz"
    file.write_bytes(b"not a folder")
    for find in (lambda: resolve_data_dir(file), lambda: locate_file(file, "t10k-images")):
        with pytest.raises(DataError) as exc:
            find()
        assert str(exc.value) == f"{file} {FILE_NOT_FOLDER}"
    monkeypatch.setenv("CNN_TUI_DATA", str(file))  # the environment's folder, too
    with pytest.raises(DataError, match="is a file, not a folder"):
        resolve_data_dir()
    with pytest.raises(DataError, match="does not exist"):  # a missing one still says so
        resolve_data_dir(tmp_path / "nowhere")


def test_missing_files_names_what_a_folder_lacks(tmp_path: Path, mnist_dir: Path) -> None:
    from engine.data.idx import missing_files

    assert missing_files(mnist_dir) == []
    assert len(missing_files(tmp_path)) == 4
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"):
        (tmp_path / name).write_bytes(b"")
    assert missing_files(tmp_path) == ["t10k-labels-idx1-ubyte"]


def test_cli_train_with_a_data_dir_file_is_one_line(tmp_path: Path, capsys) -> None:
    file = tmp_path / "mnist.gz"
    file.write_bytes(b"x")
    code = main(
        ["train", "--model", "c4-p-f16", "--data-dir", str(file), "--run-dir", str(tmp_path / "r")]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and FILE_NOT_FOLDER in err, err
    assert "does not exist" not in err


# ----------------------------------------------------------------------------- full disk


def test_disk_full_on_a_fresh_run_says_no_checkpoint_was_written(tiny_config, monkeypatch) -> None:
    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    config = tiny_config()
    failed = list(train_events(config))[-1]
    assert isinstance(failed, Failed), failed
    assert "no checkpoint was written" in failed.message, failed.message
    assert "intact" not in failed.message and "unchanged" not in failed.message
    assert not (Path(config.run_dir) / "checkpoint.pt").exists()


def test_disk_full_over_a_checkpoint_says_it_is_intact(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "checkpoint.pt"
    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    with pytest.raises(CheckpointError) as exc:
        atomic_save({"a": 1}, target)
    assert "no checkpoint was written" in str(exc.value) and not target.exists()
    target.write_bytes(b"the previous checkpoint")
    with pytest.raises(CheckpointError) as exc:
        atomic_save({"a": 1}, target)
    assert "the previous checkpoint is intact" in str(exc.value)
    assert target.read_bytes() == b"the previous checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temporaries


def test_a_snapshot_failing_on_a_fresh_run_says_no_checkpoint_was_written(
    tiny_config, monkeypatch
) -> None:
    monkeypatch.setattr(snapshots, "write_snapshot", disk_full)
    failed = list(train_events(tiny_config()))[-1]
    assert isinstance(failed, Failed), failed
    assert "cannot write the epoch snapshot" in failed.message
    assert "no checkpoint was written" in failed.message, failed.message
    assert "unchanged" not in failed.message


def test_a_snapshot_failing_after_a_checkpoint_says_it_is_unchanged(
    tiny_trained_run: Path, tmp_path: Path, monkeypatch
) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_trained_run, run)
    state = SimpleNamespace(run_dir=run, epoch=1, model=None)
    monkeypatch.setattr(snapshots, "model_kernels", lambda model: {})
    monkeypatch.setattr(snapshots, "write_snapshot", disk_full)
    state.model = SimpleNamespace(parameters=lambda: [])
    with pytest.raises(Exception, match="the last checkpoint is unchanged"):
        snapshots.record_epoch(state)


# ----------------------------------------------------------------------------- divergence


def test_divergence_names_a_step_within_the_epoch(tiny_config) -> None:
    # 128 digits in batches of 64: 2 steps; lr 1e6 runs away (tester: "step 3" of 2)
    config = tiny_config(lr=1e6, train_subset=128, batch_size=64, epochs=1)
    failed = list(train_events(config))[-1]
    assert isinstance(failed, Failed) and failed.reason == "diverged", failed
    where = re.search(r"at epoch (\d+), step (\d+)", failed.message)
    assert where is not None, failed.message
    assert where.group(1) == "1" and 1 <= int(where.group(2)) <= 2, failed.message


def test_the_watch_names_the_step_under_way_or_the_last_counted() -> None:
    config = SimpleNamespace(schedule="constant")
    state = SimpleNamespace(epoch=0, step_in_epoch=2, steps_per_epoch=2, lr=1.0, config=config)
    assert "at epoch 1, step 2 " in str(StepWatch().error(state, None, 1e9, counted=True))
    state.step_in_epoch = 1  # the second step's own loss went NaN before it was counted
    assert "at epoch 1, step 2 " in str(StepWatch().error(state, None, float("nan")))
    state.step_in_epoch = 2  # even uncounted, never past the epoch's last step
    assert "at epoch 1, step 2 " in str(StepWatch().error(state, None, float("nan")))


# ----------------------------------------------------------------------------- nothing to do


def test_resume_with_nothing_to_train_is_refused_and_touches_nothing(
    tiny_trained_run: Path, tmp_path: Path, capsys
) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_trained_run, run)
    before = folder_bytes(run)
    for target in (run, run / "checkpoint.pt"):
        assert main(["train", "--resume", str(target), "--epochs", "1"]) == 2
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert "\n" not in err and "Traceback" not in err, err
        assert f"{target} has already trained 1 epoch;" in err, err
        assert "pass --epochs N with N > 1 to train more" in err
        assert "finished" not in captured.out.lower()
        assert folder_bytes(run) == before  # checkpoint, config.json, history, lock


def test_resume_with_nothing_to_train_is_refused_for_another_folder(
    tiny_trained_run: Path, tiny_config, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    events = list(train_events(tiny_config("other"), resume=tiny_trained_run))
    assert isinstance(events[-1], Failed) and len(events) == 1, events
    assert "has already trained 1 epoch;" in events[-1].message
    assert not other.exists()  # not even created


def test_resume_with_epochs_left_is_not_refused(tiny_trained_run: Path) -> None:
    from engine.training.checkpoint import load_checkpoint
    from engine.training.resume import check_work_left, resume_config

    ckpt = load_checkpoint(tiny_trained_run)
    check_work_left(ckpt, resume_config(tiny_trained_run, epochs=2), tiny_trained_run)
    with pytest.raises(ConfigError, match="N > 1"):
        check_work_left(ckpt, resume_config(tiny_trained_run), tiny_trained_run)
