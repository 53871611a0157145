"""Folders the app is given on its command line, checked before it opens (torch-free):
``--run-dir`` (created and written to) and ``--data-dir`` (the MNIST IDX files)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def run_dir_problem(folder: Path) -> str | None:
    """Why runs cannot write into ``folder`` (created here when missing), or None."""
    if folder.exists() and not folder.is_dir():
        return "exists and is not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot be created ({exc.strerror or exc}); choose a folder you can write to"
    try:  # a real write: os.access says yes to root on a read-only mount
        handle, probe = tempfile.mkstemp(prefix=".cnn-tui-probe-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return f"is not writable ({exc.strerror or exc}); choose a folder you can write to"
    return None


def data_dir_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be read as MNIST (missing, a file, lacking IDX files), or None;
    found without torch, so a bad --data-dir is refused before the app opens."""
    from engine.data.idx import SPLIT_FILES, missing_files

    if not folder.exists():
        return "no such folder"
    if not folder.is_dir():
        return "is a file, not a folder; pass the folder holding the four MNIST IDX files"
    missing = missing_files(folder)
    if len(missing) == sum(len(pair) for pair in SPLIT_FILES.values()):
        return (
            "holds none of the MNIST IDX files (train-images-idx3-ubyte.gz and the other "
            "three, gzip or raw); pass the folder holding the four MNIST IDX files"
        )
    if missing:
        names = ", ".join(f"{stem}(.gz)" for stem in missing)
        them = "it" if len(missing) == 1 else "them"
        return f"lacks {names}; add {them} or pass the folder holding the four MNIST IDX files"
    return None
