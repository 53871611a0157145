"""A user's model that fails to build (issue 15): the one line says what failed with the
error's summary (never its traceback inside parentheses), and the user's traceback follows on
the next lines: in a reopened checkpoint's error (the CLI prints it all) and in the engine's
reply (the app may show the first line only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ModelSourceError
from engine.models.registry import build_model
from engine.process.protocol import Request, error_text
from engine.process.workbench import Workbench
from engine.training.checkpoint_model import rebuild_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BROKEN = """import torch.nn as nn


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        raise ValueError("layer sizes do not add up")
"""


@pytest.fixture
def broken(tmp_path: Path) -> tuple[str, ModelSourceError]:
    """(the model source "/tmp/.../broken.py:Broken", the error building it raises)."""
    file = tmp_path / "broken.py"
    file.write_text(BROKEN)
    source = f"{file}:Broken"
    with pytest.raises(ModelSourceError) as caught:
        build_model(source, input_shape=(1, 8, 8), classes=("a", "b"))
    assert caught.value.details and "\n" not in caught.value.summary
    return source, caught.value


def test_a_checkpoint_whose_model_fails_names_the_summary_then_the_traceback(
    broken: tuple[str, ModelSourceError],
) -> None:
    source, built = broken
    info = {"source": source, "input_shape": [1, 8, 8], "classes": ["a", "b"]}
    ckpt = {"config": {"model": source}, "model": source, "info": info, "model_state": {}}
    with pytest.raises(ModelSourceError) as caught:
        rebuild_model(ckpt, "run/checkpoint.pt")
    first, *rest = str(caught.value).splitlines()
    expected = f"run/checkpoint.pt: its model from {source} cannot be built: {built.summary}"
    assert first == expected and caught.value.summary == expected
    assert "\n".join(rest) == built.details
    assert 'raise ValueError("layer sizes do not add up")' in built.details


def test_the_reply_has_the_summary_line_then_the_traceback(
    broken: tuple[str, ModelSourceError],
) -> None:
    source, built = broken
    reply = Workbench().handle(Request(1, "load", {"model": source}))
    assert not reply.ok
    first, *rest = reply.error.splitlines()
    assert first == built.summary
    assert "\n".join(rest) == built.details.strip("\n")


def test_error_text_keeps_other_errors_on_one_line() -> None:
    assert error_text(ValueError("bad\n  value   here")) == "bad"
    assert error_text(ModelSourceError("cannot import it", "")) == "cannot import it"
    assert error_text(ModelSourceError("a  b", "  File x.py\n")) == "a b\n  File x.py"
