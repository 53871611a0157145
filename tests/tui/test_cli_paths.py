"""``cnn-tui``'s paths: --checkpoint takes a run folder as ``eval`` does, and a --run-dir that
cannot be written is one line and exit 2 before the app starts (no traceback, nothing painted
over the UI by the engine child)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui import __main__ as cli

ROOT = Path(__file__).resolve().parents[2]


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cnn-tui: error:") and "Traceback" not in err
    return err


def test_checkpoint_takes_a_run_folder(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    assert "checkpoint.pt does not exist" in _refused(["--checkpoint", str(run)], capsys)
    (run / "checkpoint.pt").write_bytes(b"checked by the engine child")
    args = cli.build_parser().parse_args(["--checkpoint", str(run)])
    assert cli.check_paths(args) is None
    # the app opens the file, so the run folder (history, metrics) is its parent
    checkpoint = cli.options_from_args(args).checkpoint
    assert checkpoint == str((run / "checkpoint.pt").resolve())
    assert Path(checkpoint).parent == run.resolve()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_run_dir_that_cannot_be_created_or_written_is_one_line(capsys) -> None:
    # /proc refuses new files even to root, for whom chmod'ed folders are still writable
    err = _refused(["--run-dir", "/proc/self/runs/a"], capsys)
    assert "cannot be created" in err and "choose a folder you can write to" in err
    err = _refused(["--run-dir", "/proc/self"], capsys)
    assert "is not writable" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert "cannot be created" in _refused(["--run-dir", str(locked / "run")], capsys)
        assert "is not writable" in _refused(["--run-dir", str(locked)], capsys)
    finally:
        locked.chmod(0o755)


def test_a_run_dir_that_is_a_file_is_refused(tmp_path, capsys) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    assert "exists and is not a folder" in _refused(["--run-dir", str(afile)], capsys)


def test_a_writable_run_dir_is_created_and_left_clean(tmp_path) -> None:
    target = tmp_path / "new" / "run"
    assert cli.run_dir_problem(target) is None
    assert target.is_dir() and list(target.iterdir()) == []  # the write probe is gone


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_the_engine_child_never_writes_over_the_ui_when_its_log_cannot_open() -> None:
    code = (
        "from engine.process.worker import _redirect_output\n"
        "_redirect_output('/proc/self/engine.log')\n"
        "print('to the log, not the terminal')\n"
        "import sys; sys.stderr.write('nor this')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_a_data_dir_that_is_a_file_is_named_as_a_file(tmp_path, capsys) -> None:
    file = tmp_path / "train-images-idx3-ubyte.gz"
    file.write_bytes(b"not a folder")
    err = _refused(["--data-dir", str(file)], capsys)
    assert "is a file, not a folder; pass the folder holding the four MNIST IDX files" in err
    assert "no such folder" in _refused(["--data-dir", str(tmp_path / "nowhere")], capsys)


def _launch_problem(argv: list[str]) -> str | None:
    """check_paths' line for ``argv``: asked first, so a regression fails instead of opening
    the app (which would wait for keys)."""
    return cli.check_paths(cli.build_parser().parse_args(argv))


def test_a_data_dir_without_mnist_is_refused_at_launch(tmp_path, capsys) -> None:
    assert _launch_problem(["--data-dir", str(tmp_path)]) is not None  # empty folder
    err = _refused(["--data-dir", str(tmp_path)], capsys)
    assert "holds none of the MNIST IDX files" in err, err


def test_a_data_dir_lacking_one_file_names_it(tmp_path, mnist_dir, capsys) -> None:
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes((mnist_dir / name).read_bytes())
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"raw files count too")
    assert _launch_problem(["--data-dir", str(tmp_path)]) is not None
    err = _refused(["--data-dir", str(tmp_path)], capsys)
    assert "lacks t10k-labels-idx1-ubyte(.gz); add it" in err, err
    assert "t10k-images" not in err and "train-" not in err
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)  # torchvision's layout is found too
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    assert _launch_problem(["--data-dir", str(tmp_path)]) is None
