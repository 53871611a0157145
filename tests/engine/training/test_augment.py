"""Batch augmentation (engine.training.augment) and the challenge recipe: parses, builds, trains
a few steps with augmentation on the device."""

from __future__ import annotations

import pytest
import torch

from engine.errors import ConfigError
from engine.models.registry import build_model
from engine.training.augment import ShiftRotate, make_augment
from engine.training.config import AUGMENTS, RECIPES, make_config
from engine.training.events import Finished, Started
from engine.training.loop import train_events
from engine.training.steps import train_step


def digit_batch(count: int = 8) -> torch.Tensor:
    """A bar in the middle of an otherwise background image, values 0 (bar) and -1 (ink-less)."""
    x = torch.full((count, 1, 28, 28), -1.0)
    x[:, :, 10:18, 12:16] = 1.0
    return x


def test_shift_rotate_moves_pixels_but_keeps_shape_background_and_range() -> None:
    aug = ShiftRotate(background=-1.0)
    torch.manual_seed(0)
    x = digit_batch()
    out = aug(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)
    # Corners stay background: the warp is small and the uncovered area gets `background`.
    assert torch.allclose(out[:, :, 0, 0], torch.full((8, 1), -1.0))
    assert out.min() >= -1.0 - 1e-5 and out.max() <= 1.0 + 1e-5
    # Ink is moved, not destroyed: bilinear resampling keeps the mass roughly.
    ink_in, ink_out = (x + 1).sum(dim=(1, 2, 3)), (out + 1).sum(dim=(1, 2, 3))
    assert torch.allclose(ink_out, ink_in, rtol=0.15)


def test_shift_rotate_is_seeded_and_differs_per_image() -> None:
    aug = ShiftRotate()
    torch.manual_seed(3)
    first = aug(digit_batch())
    torch.manual_seed(3)
    again = aug(digit_batch())
    assert torch.equal(first, again)
    assert not torch.equal(first[0], first[1])


def test_shift_rotate_stays_within_its_limits() -> None:
    theta = ShiftRotate(max_shift=2.0, max_degrees=10.0).theta(500, 28, 28, torch.device("cpu"))
    assert theta.shape == (500, 2, 3)
    angles = torch.atan2(theta[:, 1, 0], theta[:, 0, 0]).rad2deg()
    assert angles.abs().max() <= 10.0 + 1e-4 and angles.abs().max() > 8.0
    shifts_px = theta[:, :, 2] * 28 / 2
    assert shifts_px.abs().max() <= 2.0 + 1e-4 and shifts_px.abs().max() > 1.5


def test_shift_rotate_is_identity_in_eval_mode() -> None:
    aug = ShiftRotate().eval()
    x = digit_batch()
    assert aug(x) is x


def test_make_augment_names() -> None:
    assert make_augment("none") is None and make_augment(None) is None
    assert isinstance(make_augment("shift-rotate"), ShiftRotate)
    with pytest.raises(ConfigError, match="shift-rotate"):
        make_augment("flip")
    assert set(AUGMENTS) == {"none", "shift-rotate"}


def test_config_rejects_an_unknown_augmentation_in_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        make_config("fast", augment="mixup")
    assert "--augment" in str(info.value) and "\n" not in str(info.value)


def test_challenge_recipe_is_within_the_issue_limits() -> None:
    cfg = RECIPES["challenge"]
    assert cfg.epochs <= 15 and cfg.expected_acc >= 0.995
    assert cfg.augment == "shift-rotate" and cfg.label_smoothing > 0
    assert cfg.schedule == "onecycle"
    model, info = build_model(cfg.model)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert model(torch.zeros(2, *info.input_shape)).shape == (2, 10)


def test_train_step_applies_the_augmentation() -> None:
    torch.manual_seed(0)
    model, _ = build_model("c4-p-f16")
    seen: list[torch.Tensor] = []

    class Spy(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x)
            return x * 0 - 0.4242

    images = torch.randint(0, 255, (16, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (16,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train_step(model, optimizer, None, images, labels, augment=Spy())
    assert len(seen) == 1 and seen[0].shape == (16, 1, 28, 28)


def test_challenge_recipe_runs_a_few_steps(tmp_path) -> None:
    config = make_config(
        "challenge",
        epochs=1,
        train_subset=256,
        test_subset=128,
        threads=1,
        channels_last=False,
        run_dir=str(tmp_path / "run"),
    )
    events = list(train_events(config))
    assert isinstance(events[0], Started) and events[0].config["augment"] == "shift-rotate"
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert 0.0 <= events[-1].test_acc <= 1.0
