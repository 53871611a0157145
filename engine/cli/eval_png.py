"""``eval --confusion-png FILE``: the checkpoint's test confusion matrix as a readable PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import EngineError


class ConfusionPngError(EngineError):
    """--confusion-png names a file in a folder that does not exist."""


def check_png_path(path: str) -> Path:
    """``path`` expanded; ConfusionPngError (one line) when its folder does not exist, checked
    before the evaluation so a typo costs no time."""
    target = Path(path).expanduser()
    if not target.parent.is_dir():
        raise ConfusionPngError(
            f"--confusion-png {path}: folder {target.parent} does not exist; create it"
        )
    return target


def write_confusion_png(
    path: str, model: Any, info: Any, data_dir: str | None, checkpoint: str
) -> Path:
    """Evaluate ``model`` on its dataset's test split and write its confusion matrix (counts
    in cells, class names, title with model, run and accuracy) to ``path``; returns the path."""
    from engine.process.workbench import Workbench
    from engine.render.confusion_png import save_confusion_png

    bench = Workbench(data_dir)
    bench.set_model(model, info)
    report = bench.evaluate()
    title = (
        f"{info.name} · {checkpoint} · test accuracy {report['accuracy']:.2%} "
        f"({report['count'] - report['wrong']:,}/{report['count']:,})"
    )
    labels = [str(name) for name in info.classes]
    return save_confusion_png(check_png_path(path), report["confusion"], title, labels)
