"""Activation maximisation: total variation, channels, clamping, determinism and bad targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.errors import SpecError
from engine.inspect import activation_max, actmax_report, regularisers
from engine.models.registry import build_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def lenet() -> tuple[torch.nn.Module, object]:
    torch.manual_seed(0)
    model, info = build_model("lenet5")
    return model.eval(), info


def test_total_variation_of_flat_steps_and_noise() -> None:
    assert regularisers.total_variation(np.full((5, 5), 0.7)) == 0.0
    step = np.zeros((4, 4))
    step[:, 2:] = 1.0  # one vertical edge: 4 jumps of 1 over 16 pixels
    assert regularisers.total_variation(step) == pytest.approx(4 / 16)
    assert regularisers.total_variation(step[None]) == regularisers.total_variation(step)
    noise = regularisers.noise_total_variation((1, 64, 64), 0.0, 1.0, seed=3)
    assert noise == pytest.approx(2 / 3, rel=0.05)  # E|a - b| = 1/3, two neighbours a pixel
    assert regularisers.noise_total_variation((1, 64, 64), 0.0, 2.0, 3) == pytest.approx(2 * noise)
    with pytest.raises(ValueError, match="needs an"):
        regularisers.total_variation(np.zeros(5))


def test_the_torch_penalty_equals_the_measure_and_blur_keeps_the_mean() -> None:
    x = torch.rand(1, 2, 9, 7, generator=torch.Generator().manual_seed(1))
    assert float(regularisers.tv_penalty(x)) == pytest.approx(
        regularisers.total_variation(x[0].numpy()), rel=1e-5
    )
    blurred = regularisers.gaussian_blur(x, 1.0)
    assert blurred.shape == x.shape
    assert regularisers.total_variation(blurred[0].numpy()) < regularisers.total_variation(
        x[0].numpy()
    )
    assert regularisers.jitter(x, (1, -2))[0, 0, 1, 0] == x[0, 0, 0, 2]


def test_a_channel_rises_far_above_its_start_within_the_valid_range(lenet) -> None:
    model, info = lenet
    before = {k: v.clone() for k, v in model.state_dict().items()}
    bounds = actmax_report.pixel_bounds(info)
    result = activation_max.activation_maximisation(
        model, "conv2", 5, info.input_shape, steps=150, bounds=bounds
    )
    assert result.channel == 5 and result.target == 5 and result.probability is None
    assert result.end > result.start + 0.3  # the mean of ReLU(conv2[5]): 0 at the start
    assert bounds[0] - 1e-6 <= result.image.min() and result.image.max() <= bounds[1] + 1e-6
    assert result.image.max() == pytest.approx(bounds[1], abs=1e-4)  # it uses the range
    x = torch.from_numpy(result.image)[None]
    with torch.no_grad():
        measured = float(activation_max.channel_activation(model, model.conv2, 5, x, slope=0.0))
    assert measured == pytest.approx(result.end, rel=1e-5)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, before[key])


def test_the_same_seed_gives_the_same_picture_another_seed_another(lenet) -> None:
    model, info = lenet

    def run(seed: int) -> np.ndarray:
        return activation_max.activation_maximisation(
            model, target_class=2, input_shape=info.input_shape, steps=20, seed=seed
        ).image

    np.testing.assert_array_equal(run(4), run(4))
    assert not np.array_equal(run(4), run(5))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_class": 10}, "class 10 is out of range; use 0 to 9"),
        ({"target_class": -1}, "class -1 is out of range; use 0 to 9"),
        ({"layer": "conv2", "channel": 16}, "channel 16 is out of range for conv2; use 0 to 15"),
        ({"layer": "fc1", "channel": 0}, "'fc1' is not a conv layer; use one of conv1, conv2"),
        ({"layer": "nope", "channel": 0}, "layer 'nope' is not a layer of this model"),
        ({"target_class": 1, "steps": 0}, "steps 0 is out of range; use 1 to 100000"),
    ],
)
def test_a_bad_target_is_one_line_naming_the_valid_range(lenet, kwargs, message) -> None:
    model, info = lenet
    with pytest.raises(SpecError) as caught:
        activation_max.activation_maximisation(model, input_shape=info.input_shape, **kwargs)
    assert message in str(caught.value) and "\n" not in str(caught.value)
