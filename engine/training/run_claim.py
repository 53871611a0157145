"""Claiming a run folder: one run at a time, no silent replacement of a saved run, no leftovers.

A run claims its folder before it builds anything: it takes an exclusive ``fcntl.flock`` on
``RUN/.lock`` (held until the run ends, so a second run into the same folder is refused at
once), removes the temporary files a killed save left behind, and refuses a folder that holds
another run's files unless it is resuming that run or was told to overwrite it. A fresh run that
ends without writing a checkpoint (it failed or was aborted) takes its files back out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ConfigError
from engine.training.config import TrainConfig
from engine.training.history import HISTORY_DIR
from engine.training.run_folder import run_dir_for, write_run_files
from engine.training.run_paths import CHECKPOINT_NAME, RUN_FILES, resolve_checkpoint_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.training.state import TrainState

try:
    import fcntl
except ImportError:  # not on POSIX: runs are not locked
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"
# Temporaries of atomic writes (checkpoint.atomic_save, run_folder.write_text, history).
STALE_PATTERNS = tuple(f".{name}.*" for name in RUN_FILES[:3]) + (f"{HISTORY_DIR}/.*",)


class RunFolderInUse(ConfigError):
    """Another training run holds the run folder's lock."""


class RunFolderTaken(ConfigError):
    """The run folder holds another run and neither resume nor overwrite was asked for."""


def _unwritable(folder: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"cannot create run folder {folder}: {exc.strerror or exc}; choose a writable --run-dir"
    )


class RunClaim:
    """The lock on one run folder and what the run may do to it.

    ``folder``: the run folder; ``created``: this run made it; ``resuming_here``: the run
    continues the checkpoint in it; ``previous``: the run files found there; ``replaces``:
    they are another run's and --overwrite lets this run replace them; ``started``: the run
    has begun writing its own files.
    """

    def __init__(
        self, folder: Path, created: bool, lock_fd: int | None, resuming_here: bool
    ) -> None:
        self.folder = folder
        self.created = created
        self.resuming_here = resuming_here
        self.previous: list[str] = []
        self.replaces = False
        self.started = False
        self._lock_fd = lock_fd

    def start(self) -> None:
        """The run can start: remove the run it replaces, if any; its files are now its own."""
        if self.replaces:
            _remove(self.folder, self.previous)
        self.started = True

    def discard(self) -> None:
        """Take out what a run that saved no checkpoint wrote (its run files, once it started;
        the lock file) and the folder if this run made it. A resumed run's folder is kept."""
        if self.resuming_here:
            return
        if self.started:
            _remove(self.folder, RUN_FILES)
        if not any((self.folder / name).exists() for name in RUN_FILES):
            with contextlib.suppress(OSError):
                (self.folder / LOCK_NAME).unlink()
        if self.created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def release(self) -> None:
        """Let the next run have the folder (closing the descriptor drops the flock)."""
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None


def _remove(folder: Path, names: list[str] | tuple[str, ...]) -> None:
    for name in names:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _lock(folder: Path) -> int | None:
    """An exclusive, non-blocking flock on ``folder/.lock`` (with our pid written in it)."""
    if fcntl is None:
        return None
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _unwritable(folder, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        who = f" (process {holder})" if holder.isdigit() else ""
        raise RunFolderInUse(
            f"run folder {folder} is in use by another training run{who}; wait for it to "
            "finish or choose another --run-dir"
        ) from None
    with contextlib.suppress(OSError):  # who holds it is for the message only (a full disk)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
    return fd


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files of saves that were killed half-way; returns them."""
    stale = [path for pattern in STALE_PATTERNS for path in folder.glob(pattern)]
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()
    return stale


def claim_run_folder(
    folder: Path, *, resuming_here: bool = False, overwrite: bool = False
) -> RunClaim:
    """Make and lock ``folder`` for one run; ConfigError if it cannot be used.

    ``resuming_here``: the run continues the checkpoint in this folder (its files are the
    run's own). ``overwrite``: another run's files may be replaced (``RunClaim.start``
    removes them once the new run can start). Raises RunFolderInUse when another run holds
    the lock, RunFolderTaken when the folder holds a run and neither applies.
    """
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(folder, exc) from None
    try:
        claim = RunClaim(folder, created, _lock(folder), resuming_here)
    except BaseException:
        if created:  # leave no empty folder behind
            RunClaim(folder, created, None, resuming_here).discard()
        raise
    try:
        remove_stale_temporaries(folder)
        claim.previous = [name for name in RUN_FILES if (folder / name).exists()]
        claim.replaces = bool(claim.previous) and overwrite and not resuming_here
        if claim.previous and not (resuming_here or overwrite):
            raise RunFolderTaken(
                f"run folder {folder} already holds a run ({', '.join(claim.previous)}); "
                f"continue it with --resume {folder}, replace it with --overwrite, or choose "
                "another --run-dir"
            )
    except BaseException:
        claim.release()
        raise
    return claim


class RunBook:
    """A training generator's bookkeeping shared with its error handler: the last checkpoint
    written (or the one resumed) and its claim on the run folder."""

    def __init__(self) -> None:
        self.checkpoint: str | None = None
        self.claim: RunClaim | None = None
        # config.json and metrics.jsonl describe this run; a resumed run writes them with its
        # first checkpoint, so a resume that fails before one leaves them as they were
        self.files_written = True
        # Takes back what the run wrote beside its checkpoint (step snapshots) when it ends
        # without saving one, so a resume that fails leaves its folder as it was
        self.undo_unsaved: Callable[[], None] | None = None
        self.saved_one = False

    def claim_folder(self, config: TrainConfig, resume: str | Path | None, overwrite: bool) -> Path:
        """Claim the run's folder (run_dir_for: --run-dir, else the resumed checkpoint's, else
        a new one) with claim_run_folder; returns it."""
        folder = run_dir_for(config, resume)
        source = resolve_checkpoint_path(resume) if resume is not None else None
        here = source is not None and source.parent.resolve() == folder.resolve()
        self.claim = claim_run_folder(folder, resuming_here=here, overwrite=overwrite)
        self.checkpoint = str(source) if source is not None else None
        self.files_written = source is None
        return folder

    def saved(self, state: TrainState, path: Path) -> None:
        """A checkpoint is in the run folder: the run files now describe this run."""
        self.checkpoint = str(path)
        self.saved_one = True
        if not self.files_written:
            write_run_files(state)
            self.files_written = True

    def start(self) -> None:
        """The run is built and starts writing (RunClaim.start)."""
        assert self.claim is not None
        self.claim.start()

    def close(self) -> None:
        """Release the run folder; if it holds no checkpoint (the run failed or was aborted
        before its first save), take out what this run wrote there."""
        claim, self.claim = self.claim, None
        if claim is None:
            return
        if not self.saved_one and self.undo_unsaved is not None:
            self.undo_unsaved()
        try:
            if not (claim.folder / CHECKPOINT_NAME).exists():
                claim.discard()
        finally:
            claim.release()
