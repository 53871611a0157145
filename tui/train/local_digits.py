"""The MNIST test digits in the UI process (numpy only), so a sample key redraws the digit at once.

The engine child answers between training steps, 20-60 ms later on 2 busy cores; the digit
itself needs no model, so the UI reads the test split with the torch-free ``engine.data.idx`` reader
(7.8 MB) and draws it with its true label straight away. The prediction, the probabilities
and the feature maps follow when the engine replies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from textual.message import Message

MNIST_INPUT = (1, 28, 28)


class LocalDigitsLoaded(Message):
    """The test split, read by a thread worker (posted, never set from the thread)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        super().__init__()
        self.images, self.labels = images, labels


def read_test_digits(data_dir: str | Path | None) -> LocalDigitsLoaded | None:
    """The test split as a message, or None where it cannot be read (the engine, which
    reads the same files, reports why)."""
    from engine.data.idx import read_split
    from engine.errors import DataError

    try:
        images, labels = read_split("test", data_dir)
    except (DataError, OSError):
        return None
    return LocalDigitsLoaded(images, labels)


class LocalDigits:
    """The digits once loaded; ``preview`` builds a provisional ``sample`` payload."""

    def __init__(self) -> None:
        self.images: np.ndarray | None = None
        self.labels: np.ndarray | None = None

    def set(self, message: LocalDigitsLoaded) -> None:
        self.images, self.labels = message.images, message.labels

    def preview(self, index: int, model_info: dict[str, Any]) -> dict[str, Any] | None:
        """The sample reply's image and label for ``index`` (prediction pending), or None
        when the digits are not loaded or the model does not take MNIST digits."""
        if self.images is None or self.labels is None or not 0 <= index < len(self.images):
            return None
        if tuple(model_info.get("input_shape") or ()) != MNIST_INPUT:
            return None
        return {
            "index": index,
            "image": self.images[index],
            "label": int(self.labels[index]),
            "pred": None,
            "probs": None,
            "pending": True,
        }
