"""The inspection subcommands of ``python -m engine``: output and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli.main import main
from engine.cli.model_source import model_from_checkpoint
from engine.data.mnist import load_split
from engine.models.registry import build_model
from engine.render.terminal import strip_ansi

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("FORCE_COLOR", "1")  # captured stdout is not a terminal: colour anyway


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err + out
    for needle in needles:
        assert needle in err


@pytest.fixture
def checkpoint(tmp_path: Path) -> tuple[Path, torch.nn.Module]:
    torch.manual_seed(7)
    model, _ = build_model("lenet5")
    path = tmp_path / "lenet5.pt"
    torch.save(
        {
            "model": "lenet5",
            "model_state": model.state_dict(),
            "config": {"model": "lenet5"},
            "epoch": 1,
            "global_step": 10,
        },
        path,
    )
    return path, model


def test_models_lists_names_params_and_descriptions(capsys) -> None:
    code, out, _ = run(capsys, "models")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "61,706" in lines["lenet5"] and "LeNet-5" in lines["lenet5"]
    assert "61,100,840" in lines["alexnet"]
    assert "206,922" in lines["basic-cnn"] and "669,706" in lines["mlp"]


def test_summary_table_and_json(capsys) -> None:
    code, out, _ = run(capsys, "summary", "--model", "lenet5")
    assert code == 0
    assert "conv1 (Conv2d)" in out and "Total params: 61,706" in out
    assert "Estimated Total Size (MB): 0.35" in out
    code, out, _ = run(capsys, "summary", "--model", "c8b-p-f16", "--json")
    data = json.loads(out)
    assert code == 0 and data["layers"][1]["type"] == "BatchNorm2d"
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])


def test_summary_json_in_a_subprocess() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    result = subprocess.run(
        [sys.executable, "-m", "engine", "summary", "--model", "lenet5", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total_params"] == 61_706 and data["total_macs"] == 423_038
    assert [layer["name"] for layer in data["layers"]][:3] == ["conv1", "relu1", "pool1"]


def test_kernels_ascii_grid_with_legend(capsys) -> None:
    code, out, _ = run(capsys, "kernels", "--model", "lenet5", "--layer", "conv1", "--ascii")
    assert code == 0 and "\x1b[" not in out
    assert "6 of 6 output channels" in out and "input channel 0 of 1" in out
    assert out.splitlines()[1].split() == ["o0", "o1", "o2", "o3", "o4", "o5"]
    scale = next(line for line in out.splitlines() if line.startswith("shared scale"))
    lo, hi = (float(v) for v in scale.split()[2::2])
    assert lo == pytest.approx(-hi)  # diverging scale centred on 0
    assert 0 < hi <= 1 / np.sqrt(25) + 1e-6  # PyTorch's default init bound for 5x5x1 kernels


def test_kernels_truecolor_mean_and_max(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    code, out, _ = run(
        capsys, "kernels", "--model", "convnet", "--layer", "conv2", "--mean", "--max", "5"
    )
    assert code == 0 and "\x1b[38;2;" in out
    assert "5 of 64 output channels" in out and "mean over 32 input channels" in out
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = run(capsys, "kernels", "--model", "convnet", "--layer", "conv2", "--max", "2")
    assert code == 0 and "\x1b[" not in out


def test_kernels_of_dense_layers(capsys) -> None:
    code, out, _ = run(capsys, "kernels", "--model", "mlp", "--layer", "fc1", "--max", "3")
    assert code == 0 and "28x28 picture" in out and "\x1b[38;5;" in out
    assert strip_ansi(out).splitlines()[1].split() == ["u0", "u1", "u2"]
    code, out, _ = run(capsys, "kernels", "--model", "lenet5", "--layer", "fc2", "--ascii")
    assert code == 0 and "84x120 matrix" in out


def test_kernels_without_layer_lists_weight_layers(capsys) -> None:
    code, out, _ = run(capsys, "kernels", "--model", "lenet5")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == ["conv1", "conv2", "fc1", "fc2", "fc3"]


def test_featuremaps_for_a_test_sample(capsys) -> None:
    code, out, _ = run(
        capsys, "featuremaps", "--model", "lenet5", "--layer", "relu1", "--sample", "3", "--ascii"
    )
    assert code == 0
    label = int(load_split("test").labels[3])
    assert f"test sample 3 · true label {label} · predicted " in out
    assert "6 of 6 feature maps" in out and "shared scale 0 .. " in out
    assert out.splitlines()[2].strip() == ""  # the digit's blank top rows


def test_featuremaps_per_map_and_dense_layers(capsys) -> None:
    code, out, _ = run(
        capsys, "featuremaps", "--model", "lenet5", "--layer", "conv2", "--per-map", "--max", "4"
    )
    assert code == 0 and "4 of 16 feature maps" in out
    assert "each map scaled to its own range" in out
    code, out, _ = run(capsys, "featuremaps", "--model", "lenet5", "--layer", "fc1", "--ascii")
    assert code == 0 and "dense output: 120 values in rows of 64" in out


def test_featuremaps_without_layer_lists_layers(capsys) -> None:
    code, out, _ = run(capsys, "featuremaps", "--model", "basic-cnn")
    assert code == 0 and "conv1" in out and "relu3" in out and "[-1, 16, 28, 28]" in out


def test_featuremaps_for_a_picture(capsys, tmp_path: Path) -> None:
    picture = np.full((64, 64), 250, dtype=np.uint8)
    picture[10:54, 30:34] = 10
    path = tmp_path / "one.png"
    Image.fromarray(picture).save(path)
    code, out, _ = run(
        capsys, "featuremaps", "--model", "lenet5", "--layer", "conv1", "--image", str(path)
    )
    assert code == 0 and f"image {path} · true label unknown" in out


def test_checkpoint_is_loaded(capsys, checkpoint) -> None:
    path, model = checkpoint
    loaded, info = model_from_checkpoint(path)
    assert info.name == "lenet5"
    torch.testing.assert_close(loaded.conv1.weight, model.conv1.weight)
    code, out, _ = run(capsys, "kernels", "--checkpoint", str(path), "--layer", "conv1", "--ascii")
    assert code == 0 and "lenet5" in out
    code, out, _ = run(capsys, "featuremaps", "--checkpoint", str(path), "--layer", "pool2")
    assert code == 0 and "output [1, 16, 5, 5]" in out


def test_weights_file_for_a_registry_model(capsys, checkpoint, tmp_path: Path) -> None:
    _, model = checkpoint
    weights = tmp_path / "state.pt"
    torch.save(model.state_dict(), weights)
    code, out, _ = run(capsys, "summary", "--model", "lenet5", "--weights", str(weights))
    assert code == 0 and f"weights from {weights}" in out
    code, out, err = run(capsys, "summary", "--model", "mlp", "--weights", str(weights))
    assert_one_line_error(code, out, err, "does not fit model mlp")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["summary", "--model", "resnet9000"], "unknown model"),
        (["summary", "--model", "c32-q7"], "bad model spec"),
        (["kernels", "--model", "lenet5", "--layer", "conv7"], "conv1, conv2, fc1"),
        (["kernels", "--model", "lenet5", "--layer", "pool1"], "has no kernels"),
        (["featuremaps", "--model", "lenet5", "--layer", "bogus"], "unknown layer"),
        (
            ["featuremaps", "--model", "lenet5", "--layer", "conv1", "--image", "/no/such.png"],
            "does not exist",
        ),
        (
            ["featuremaps", "--model", "lenet5", "--layer", "conv1", "--sample", "10000"],
            "out of range",
        ),
        (
            ["featuremaps", "--model", "lenet5", "--layer", "conv1", "--sample", "-1"],
            "out of range",
        ),
        (
            ["featuremaps", "--model", "lenet5", "--layer", "conv1", "--data-dir", "/no/dir"],
            "/no/dir",
        ),
        (["kernels", "--checkpoint", "/no/such.pt", "--layer", "conv1"], "does not exist"),
        (["kernels", "--model", "lenet5", "--layer", "conv2", "--in-channel", "6"], "out of range"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, out, err, needle)


def test_bad_picture_and_corrupt_checkpoints(capsys, tmp_path: Path, checkpoint) -> None:
    picture = tmp_path / "broken.jpg"
    picture.write_bytes(b"not a jpeg at all")
    code, out, err = run(
        capsys, "featuremaps", "--model", "lenet5", "--layer", "conv1", "--image", str(picture)
    )
    assert_one_line_error(code, out, err, "broken.jpg")

    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(os.urandom(300))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(checkpoint[0].read_bytes()[:500])
    no_config = tmp_path / "no_config.pt"
    torch.save({"model_state": {}}, no_config)
    mismatched = tmp_path / "mismatched.pt"
    mlp, _ = build_model("mlp")
    torch.save({"model_state": mlp.state_dict(), "config": {"model": "lenet5"}}, mismatched)
    for path in (corrupt, truncated, no_config, mismatched):
        code, out, err = run(capsys, "summary", "--checkpoint", str(path))
        assert_one_line_error(code, out, err, path.name)


def test_usage_errors_exit_2(capsys) -> None:
    for argv in (["kernels", "--layer", "conv1"], ["summary", "--model", "a", "--checkpoint", "b"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
