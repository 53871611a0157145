"""Activation maximisation of every class of a trained fast-net: recognised and smooth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli.model_source import model_from_checkpoint
from engine.inspect import activation_max, actmax_report
from engine.process.workbench import Workbench

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_every_class_is_recognised_with_p_090_and_smoother_than_half_noise(
    trained_fast_run: Path,
) -> None:
    model, info = model_from_checkpoint(trained_fast_run)
    bounds = actmax_report.pixel_bounds(info)
    for k in range(10):
        result = activation_max.activation_maximisation(
            model, target_class=k, input_shape=info.input_shape, bounds=bounds
        )
        # Measured here, not taken from the result: the model's softmax for the clamped image.
        pixels = actmax_report.to_pixels(result.image, info)
        x = (torch.from_numpy(pixels)[None] - info.mean[0]) / info.std[0]
        with torch.no_grad():
            probs = torch.softmax(model(x), dim=1)[0]
        tv, noise_tv = actmax_report.smoothness(pixels)
        print(f"class {k}: p={float(probs[k]):.3f} TV={tv:.3f} noise TV={noise_tv:.3f}")
        assert float(probs[k]) >= 0.9, f"class {k}: p={float(probs[k]):.3f}"
        assert tv < 0.5 * noise_tv, f"class {k}: TV {tv:.3f} vs noise {noise_tv:.3f}"
        assert result.probability == pytest.approx(float(probs[k]), abs=1e-4)
        assert result.end > result.start and result.layer == "fc2"


def test_the_actmax_op_reports_the_class_its_probability_and_smoothness(
    trained_fast_run: Path,
) -> None:
    bench = Workbench()
    bench.load(checkpoint=str(trained_fast_run))
    out = bench.actmax(target_class=3)
    assert out["mode"] == "class" and out["target"] == 3 and out["layer"] == "fc2"
    assert out["image"].shape == (28, 28) and 0 <= out["image"].min() <= out["image"].max() <= 1
    assert out["probability"] >= 0.9 and out["end"] > out["start"]
    assert out["total_variation"] < 0.5 * out["noise_total_variation"]
    assert out["steps"] == activation_max.ActMaxSettings().steps and out["seed"] == 0
    np.testing.assert_allclose(out["total_variation"],
                               actmax_report.total_variation(out["image"]), rtol=1e-5)  # fmt: skip
