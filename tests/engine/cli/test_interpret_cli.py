"""``python -m engine interpret``: JSON values equal engine.inspect.attribution's, the terminal
picture, the PNG figure and one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine.cli.main import main
from engine.cli.model_source import model_from_checkpoint
from engine.data.mnist import load_split
from engine.inspect import attribution

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SAMPLE = 3


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def model_input(run_dir: Path) -> tuple[torch.nn.Module, torch.Tensor, int]:
    model, info = model_from_checkpoint(run_dir)
    split = load_split("test")
    x = (split.images[SAMPLE].float() / 255 - info.mean[0]) / info.std[0]
    return model, x[None, None], int(split.labels[SAMPLE])


def interpret_json(capsys, run_dir: Path, *extra: str) -> dict:
    code, out, err = run(
        capsys, "interpret", "--checkpoint", str(run_dir), "--sample", str(SAMPLE), "--json",
        *extra,
    )  # fmt: skip
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1  # one object
    return json.loads(out)


def test_saliency_json_equals_attribution(capsys, tiny_trained_run: Path) -> None:
    got = interpret_json(capsys, tiny_trained_run, "--method", "saliency")
    model, x, label = model_input(tiny_trained_run)
    expected, pred = attribution.saliency(model, x)
    assert got["method"] == "saliency" and got["sample"] == SAMPLE
    assert got["layer"] == "input" and got["target"] == pred == got["prediction"]
    assert got["label"] == label
    values = np.asarray(got["values"], dtype=np.float32)
    assert values.shape == (28, 28)
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-7)
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)[0]
    assert got["probability"] == pytest.approx(float(probs[pred]), abs=1e-5)


def test_gradcam_json_is_upsampled_to_the_input_and_names_its_layer(
    capsys, tiny_trained_run: Path
) -> None:
    model, x, _ = model_input(tiny_trained_run)
    layer = attribution.gradcam_layers(model, x)[-1]
    got = interpret_json(capsys, tiny_trained_run, "--method", "gradcam", "--target", "2")
    raw, scaled, target, name = attribution.grad_cam(model, x, None, 2)
    assert got["layer"] == name == layer and got["target"] == target == 2
    values = np.asarray(got["values"], dtype=np.float32)
    assert values.shape == (28, 28)  # the input's height x width, not the layer's
    upsampled = F.interpolate(torch.from_numpy(raw)[None, None], size=(28, 28), mode="bilinear")
    np.testing.assert_allclose(values, upsampled[0, 0].clamp(min=0).numpy(), rtol=1e-5, atol=1e-7)
    if values.max() > 0:  # the same map as attribution's, which scales it to its peak
        np.testing.assert_allclose(values / values.max(), scaled, rtol=1e-4, atol=1e-6)
    # --layer picks the conv layer itself
    conv = attribution.conv_layers(model, x)[0]
    chosen = interpret_json(capsys, tiny_trained_run, "--method", "gradcam", "--layer", conv)
    assert chosen["layer"] == conv


def test_occlusion_json_equals_attribution(capsys, tiny_trained_run: Path) -> None:
    got = interpret_json(capsys, tiny_trained_run, "--method", "occlusion", "--target", "1")
    model, x, _ = model_input(tiny_trained_run)
    blank = (0.0 - 0.1307) / 0.3081
    expected, _ = attribution.occlusion(model, x, 1, 6, 2, blank)
    np.testing.assert_allclose(np.asarray(got["values"]), expected, rtol=1e-5, atol=1e-6)
    assert got["layer"] == "input" and got["target"] == 1


def test_text_output_draws_the_digit_and_the_map_with_a_legend(
    capsys, tiny_trained_run: Path, tmp_path: Path
) -> None:
    png = tmp_path / "sal.png"
    code, out, err = run(
        capsys, "interpret", "--checkpoint", str(tiny_trained_run), "--sample", str(SAMPLE),
        "--method", "gradcam", "--ascii", "--png", str(png),
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert "Grad-CAM" in lines[0] and f"#{SAMPLE}" in lines[0]
    assert "the digit" in lines[1] and "class" in lines[1]
    assert any(line.startswith("target ") and "layer" in line for line in lines)
    assert any("argue for" in line for line in lines)  # how to read it
    assert sum(1 for line in lines if "@" in line) >= 3  # the pictures, in shading characters
    assert f"wrote {png}" in out
    with Image.open(png) as image:
        assert image.width > 2 * 224 and image.height > 224


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--sample", "100000", "--method", "saliency"], "out of range"),
        (["--sample", "-1", "--method", "saliency"], "--sample -1"),
        (["--sample", "0", "--method", "saliency", "--layer", "c1"], "gradcam only"),
        (["--sample", "0", "--method", "gradcam", "--layer", "nope"], "not a conv layer"),
        (["--sample", "0", "--method", "occlusion", "--target", "10"], "out of range"),
        (["--sample", "0", "--method", "saliency", "--png", "/no/such/dir/x.png"], "--png"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tiny_trained_run: Path, extra, needle) -> None:
    code, out, err = run(capsys, "interpret", "--checkpoint", str(tiny_trained_run), *extra)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_missing_checkpoint_and_unknown_method(capsys, tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "interpret", "--checkpoint", str(tmp_path / "none"), "--sample", "0",
        "--method", "saliency",
    )  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exit_info:
        main(["interpret", "--checkpoint", "x", "--sample", "0", "--method", "lime"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
