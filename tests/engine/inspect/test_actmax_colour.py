"""Act-max of a colour model is sent as its RGB picture (issue 15), which the app's grid draws
in colour; a one-channel model's stays the (H, W) picture it was; the headless command still
prints one value per pixel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from engine.cli.actmax import grey, json_object
from engine.process.current_model import CurrentModel
from engine.process.interpret_ops import EvaluateOps
from tests.engine.process.test_user_model_ops import INFO, ColourInputs
from tests.zoo.tiny_resnet import TinyResNet
from tui.evaluate.actmax_state import CLASSES, ActMaxState, grid_maps, rgb_panels

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _actmax(model: torch.nn.Module, info: Any, **kwargs: Any) -> dict[str, Any]:
    current = CurrentModel()
    current.set_model(model.eval(), info)
    return EvaluateOps(current, ColourInputs(current)).actmax(steps=10, **kwargs)


def test_a_colour_model_sends_its_rgb_picture_and_the_grid_draws_it_in_colour() -> None:
    torch.manual_seed(0)
    payload = _actmax(TinyResNet(num_classes=3, in_channels=3), INFO, target_class=1)
    image = payload["image"]
    assert image.dtype == np.float32 and image.shape == (3, 16, 16)
    assert image.min() >= 0.0 and image.max() <= 1.0
    np.testing.assert_array_equal(image, payload["pixels"])
    assert not np.allclose(image[0], image[1])  # colour, not a grey picture repeated
    state = ActMaxState()
    state.target, state.counts = CLASSES, {CLASSES: 3}
    state.items = {CLASSES: {1: payload}}
    maps, _ = grid_maps(state)
    assert maps.shape == (3, 3, 16, 16)  # (panels, RGB, H, W): the view's colour branch
    drawn = rgb_panels(maps)[1]
    assert drawn.shape == (16, 16, 3) and (drawn[..., 0] != drawn[..., 1]).any()
    # the headless command keeps one value per pixel: the channels' mean
    values = np.asarray(json_object(payload, 3)["values"])
    np.testing.assert_allclose(values, image.mean(axis=0), rtol=1e-6)
    assert grey(payload).shape == (16, 16)


def test_a_one_channel_model_still_sends_an_hw_picture() -> None:
    from engine.models.registry import build_model

    torch.manual_seed(0)
    model, info = build_model("lenet5")
    payload = _actmax(model, info, target_class=3)
    assert payload["image"].shape == (28, 28) and payload["pixels"].shape == (1, 28, 28)
    np.testing.assert_array_equal(payload["image"], payload["pixels"][0])
