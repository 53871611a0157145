"""Values that are not numbers (a checkpoint with a NaN kernel) are drawn as a mark, named in
a caption, and ``eval`` says in one line why its test loss is not a number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli.main import main
from engine.render.ascii_ramp import NEGATIVE_SHADES, POSITIVE_SHADES
from engine.render.colormap import DIVERGING, NONFINITE_CHAR, SEQUENTIAL
from engine.render.maps import scale_maps
from engine.render.terminal import heatmap_lines, strip_ansi

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def nan_checkpoint(tmp_path_factory) -> Path:
    """A trained few-step checkpoint whose first conv kernel is all NaN and one weight +inf."""
    from engine.training.config import make_config
    from engine.training.loop import train_events

    folder = tmp_path_factory.mktemp("nan")
    config = make_config("fast", model="c4-p-f16", epochs=1, train_subset=128, test_subset=64,
                         batch_size=64, threads=1, channels_last=False,
                         run_dir=str(folder / "run"))  # fmt: skip
    assert list(train_events(config))[-1].kind == "finished"
    checkpoint = torch.load(folder / "run" / "checkpoint.pt", weights_only=True)
    weight = checkpoint["model_state"]["conv1.weight"].clone()
    weight[0] = float("nan")
    weight[1, 0, 0, 0] = float("inf")
    checkpoint["model_state"]["conv1.weight"] = weight
    path = folder / "nan.pt"
    torch.save(checkpoint, path)
    return path


def test_kernels_mark_a_nan_kernel_and_say_so(nan_checkpoint: Path, capsys) -> None:
    code = main(["kernels", "--checkpoint", str(nan_checkpoint), "--layer", "conv1", "--ascii"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(NONFINITE_CHAR)]
    assert rows and all(line.split()[0] == NONFINITE_CHAR * len(line.split()[0]) for line in rows)
    assert "! = NaN/inf: 10 of 36 values" in out


def test_kernels_without_ascii_mark_the_nan_kernel_too(nan_checkpoint: Path, capsys) -> None:
    main(["kernels", "--checkpoint", str(nan_checkpoint), "--layer", "conv1"])
    out = strip_ansi(capsys.readouterr().out)
    assert NONFINITE_CHAR * 3 in out and "! = NaN/inf" in out


def test_featuremaps_of_a_nan_kernel_are_marked(nan_checkpoint: Path, capsys) -> None:
    code = main(["featuremaps", "--checkpoint", str(nan_checkpoint), "--layer", "conv1",
                 "--ascii"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and NONFINITE_CHAR * 20 in out and "! = NaN/inf" in out


def test_eval_says_why_the_loss_is_not_a_number(nan_checkpoint: Path, capsys) -> None:
    assert main(["eval", "--checkpoint", str(nan_checkpoint)]) == 0
    lines = capsys.readouterr().out.splitlines()
    said = [line for line in lines if line.startswith("test loss is nan")]
    state = torch.load(nan_checkpoint, weights_only=True)["model_state"]
    total = sum(v.numel() for k, v in state.items() if "running" not in k and "batches" not in k)
    assert len(said) == 1 and f"10 of {total:,} weights are not finite" in said[0]


def test_eval_of_a_finite_checkpoint_has_no_such_line(nan_checkpoint: Path, capsys) -> None:
    run = nan_checkpoint.parent / "run" / "checkpoint.pt"
    assert main(["eval", "--checkpoint", str(run)]) == 0
    assert "not finite" not in capsys.readouterr().out


@pytest.mark.parametrize("cmap", [SEQUENTIAL, DIVERGING])
@pytest.mark.parametrize("mode", ["ascii", "256", "truecolor"])
@pytest.mark.parametrize("height", [3, 4])
def test_a_non_finite_value_is_never_drawn_as_a_number(cmap, mode: str, height: int) -> None:
    values = np.zeros((height, 5))
    values[-1, 2] = np.nan
    values[0, 4] = -np.inf
    scaled = scale_maps(values[None], symmetric=cmap is DIVERGING).values[0]
    shown = [strip_ansi(line) for line in heatmap_lines(scaled, cmap, mode)]
    assert shown[-1][2] == NONFINITE_CHAR and shown[0][4] == NONFINITE_CHAR
    assert sum(line.count(NONFINITE_CHAR) for line in shown) == 2
    if mode != "ascii":
        assert all(line.endswith("\x1b[0m") for line in heatmap_lines(scaled, cmap, mode))


def test_ascii_diverging_maps_keep_the_sign() -> None:
    values = np.array([[-1.0, -0.5, 0.0, 0.5, 1.0]])
    scaled = scale_maps(values[None], symmetric=True).values[0]
    (line,) = heatmap_lines(np.vstack([scaled, scaled]), DIVERGING, "ascii")
    assert line[2] == " " and set(line[:2]) <= set(NEGATIVE_SHADES)
    assert set(line[3:]) <= set(POSITIVE_SHADES)


def test_grad_cam_of_a_nan_model_says_it_is_not_a_number(nan_checkpoint: Path, capsys) -> None:
    assert main(["eval", "--checkpoint", str(nan_checkpoint), "--gradcam", "0"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("Grad-CAM of test digit 0") and "not a number" in last


def test_the_evaluate_op_counts_weights_that_are_not_numbers(nan_checkpoint: Path) -> None:
    from engine.process.workbench import Workbench

    bench = Workbench()
    bench.load(checkpoint=str(nan_checkpoint))
    result = bench.evaluate(limit=50)
    assert result["nonfinite_weights"] == 10 and not np.isfinite(result["loss"])
    cam = bench.gradcam(0)
    assert cam["nonfinite"] and not cam["empty"]


@pytest.mark.parametrize("flag", ["--saliency", "--gradcam"])
def test_a_negative_digit_index_is_one_line(nan_checkpoint: Path, capsys, flag: str) -> None:
    assert main(["eval", "--checkpoint", str(nan_checkpoint), flag, "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {flag} -1: use a test digit index, 0 or more"
