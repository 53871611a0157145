"""The confusion matrix the app exports is labelled with the class names it sends (issue 15):
the export op writes the same picture ``eval --confusion-png`` draws with those names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.process.protocol import Request
from engine.process.workbench import Workbench
from engine.render.confusion_png import render_confusion
from tui.evaluate.views import matrix_export

NAMES = ["circle", "square", "triangle"]
COUNTS = np.array([[20, 0, 0], [1, 19, 0], [0, 2, 18]])


def test_the_exported_matrix_has_the_class_names_on_its_axes(tmp_path: Path) -> None:
    evaluation = {
        "confusion": COUNTS,
        "per_class": [1.0, 0.95, 0.9],
        "split": "test",
        "count": 60,
        "wrong": 3,
        "loss": 0.2,
        "accuracy": 0.95,
    }
    parts = matrix_export(evaluation, "shapes", NAMES)  # what the app sends
    assert parts["confusion"]["matrix"]["labels"] == NAMES
    reply = Workbench().handle(
        Request(1, "export", {"name": "confusion", "run_dir": str(tmp_path), **parts})
    )
    assert reply.ok, reply.error
    png = next(p for p in reply.payload["paths"] if p.endswith("confusion-matrix.png"))
    written = np.asarray(Image.open(png).convert("RGB"))
    title = parts["confusion"]["matrix"]["title"]
    labelled = np.asarray(render_confusion(COUNTS, title, NAMES))
    numbered = np.asarray(render_confusion(COUNTS, title))
    assert written.shape == labelled.shape and (written == labelled).all()
    assert written.shape != numbered.shape or (written != numbered).any()
