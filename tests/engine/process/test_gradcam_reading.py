"""Grad-CAM's reading guide says "upsampled" only when its layer's map is smaller than the
input: relu1 of the tiny model is already 28x28. The same words reach the op's payload, the
CLI's text (engine.cli.interpret_text) and the PNG figure's caption."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.interpret_text import interpret_lines
from engine.cli.model_source import model_from_checkpoint
from engine.process.workbench import Workbench
from engine.render.attribution_figure import (
    attribution_figure,
    how_to_read,
    is_upsampled,
    payload_how_to_read,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def bench(tiny_trained_run: Path) -> Workbench:
    model, info = model_from_checkpoint(tiny_trained_run)
    workbench = Workbench()
    workbench.set_model(model, info)
    return workbench


def texts(payload: dict) -> list[str]:
    """The op's how-to-read lines, the PNG caption and the CLI's text of one payload."""
    return [
        *payload["how_to_read"],
        attribution_figure(payload)["caption"],
        "\n".join(interpret_lines(payload, "tiny", "ascii")),
    ]


def test_relu1_of_input_size_is_not_called_upsampled(bench: Workbench) -> None:
    payload = bench.attribute(0, "gradcam", layer="relu1")
    assert tuple(payload["layer_shape"]) == payload["maps"][0]["values"].shape == (28, 28)
    for text in texts(payload):
        assert "upsampled" not in text and "coarse" not in text, text
    assert "at the input's resolution" in payload["how_to_read"][0]
    assert "at the input's resolution" in attribution_figure(payload)["caption"]


def test_a_map_smaller_than_the_input_is_called_coarse_and_upsampled(bench: Workbench) -> None:
    payload = bench.attribute(0, "gradcam", layer="relu1")
    smaller = {**payload, "layer_shape": (7, 7)}  # as a deeper, pooled layer's map would be
    smaller["how_to_read"] = [payload_how_to_read(smaller, m["target"]) for m in payload["maps"]]
    for text in texts(smaller):
        assert "(coarse, upsampled)" in text, text
    assert is_upsampled(payload) is False and is_upsampled(smaller) is True
    assert is_upsampled({"method": "gradcam"}) is None  # not known: nothing said
    assert "upsampled" not in how_to_read("gradcam", "K", "relu2")
