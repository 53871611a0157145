"""An exception raised in the user's own model code, as one summary line and their traceback
trimmed to their files (never cnn-tui's frames, importlib's or the libraries' they call)."""

from __future__ import annotations

import os
import sysconfig
import traceback
from pathlib import Path

from engine.errors import ModelSourceError

ENGINE_DIR = str(Path(__file__).resolve().parents[1])  # cnn-tui's engine package
# Where Python's own and installed libraries live: frames there are not the user's, even when a
# virtual environment sits inside the folder of their model file.
LIBRARY_DIRS = sorted(
    {str(Path(path).resolve()) for key, path in sysconfig.get_paths().items() if "lib" in key}
)
TRACEBACK_HEAD = "Traceback (most recent call last; your files only):"


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def is_user_file(filename: str, roots: tuple[str, ...]) -> bool:
    """Whether a frame's file is the user's: inside one of ``roots`` (their model's folder,
    package or file) and not cnn-tui's engine nor a library folder that the root is not in."""
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    path = os.path.realpath(filename)
    if _inside(path, ENGINE_DIR):
        return False
    for root in roots:
        if _inside(path, root) and not any(
            _inside(path, lib) and not _inside(root, lib) for lib in LIBRARY_DIRS
        ):
            return True
    return False


def exception_text(exc: BaseException, limit: int = 240) -> str:
    """ "NameError: name 'x' is not defined": type and message on one line, cut at ``limit``."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exception_message(exc: BaseException, limit: int = 240) -> str:
    """The exception's own message on one line (its type when it has none), cut at ``limit``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def user_error(exc: BaseException, roots: tuple[str, ...], what: str) -> ModelSourceError:
    """ModelSourceError for ``exc`` raised while running the user's code.

    The summary names the deepest frame in the user's files ("model.py:12 in __init__:
    NameError: name 'x' is not defined"), or ``what`` ("building Net") when none is theirs;
    the details are those frames, formatted as Python does, then the exception."""
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        where = f"{Path(exc.filename).name}:{exc.lineno}"
        details = "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
        return ModelSourceError(f"{where}: SyntaxError: {exc.msg}", details)
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if is_user_file(frame.filename, roots)
    ]
    if not frames:
        return ModelSourceError(f"{what}: {exception_text(exc)}")
    last = frames[-1]
    summary = f"{Path(last.filename).name}:{last.lineno} in {last.name}: {exception_text(exc)}"
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return ModelSourceError(summary, TRACEBACK_HEAD + "\n" + "".join(lines).rstrip())
