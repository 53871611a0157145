"""``python -m engine actmax``: the picture, one JSON object, a PNG, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli.main import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["actmax", *map(str, args)])
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_of_a_class_of_the_trained_fast_net(capsys, trained_fast_run: Path) -> None:
    code, out, err = run(capsys, "--checkpoint", trained_fast_run, "--class", 7, "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["mode"] == "class" and obj["target"] == 7 and obj["layer"] == "fc2"
    values = np.asarray(obj["values"])
    assert values.shape == (28, 28) and 0 <= values.min() <= values.max() <= 1
    assert obj["probability"] >= 0.9
    assert obj["total_variation"] < 0.5 * obj["noise_total_variation"]
    assert obj["end"] > obj["start"] and obj["steps"] == 400 and obj["seed"] == 0


def test_json_of_a_channel_has_no_probability(capsys, tiny_trained_run: Path) -> None:
    code, out, _ = run(capsys, "--checkpoint", tiny_trained_run, "--layer", "conv1",
                       "--channel", 2, "--steps", 60, "--seed", 3, "--json")  # fmt: skip
    obj = json.loads(out)
    assert code == 0 and obj["mode"] == "channel" and obj["layer"] == "conv1"
    assert obj["target"] == 2 and obj["probability"] is None
    assert obj["steps"] == 60 and obj["seed"] == 3 and obj["end"] >= obj["start"]
    assert np.asarray(obj["values"]).shape == (28, 28)


def test_the_picture_legend_summary_and_png(capsys, tiny_trained_run, tmp_path) -> None:
    png = tmp_path / "c1.png"
    code, out, _ = run(capsys, "--checkpoint", tiny_trained_run, "--class", 1, "--steps", 40,
                       "--ascii", "--png", png)  # fmt: skip
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("class 1")
    assert len([line for line in lines[1:15] if line.strip()]) >= 10  # 28 rows as half-lines
    summary = next(line for line in lines if line.startswith("class 1: p = "))
    assert "total variation" in summary and "uniform noise of the same range" in summary
    assert any(line.startswith("bright: the input that raises class 1") for line in lines)
    assert lines[-1] == f"wrote {png}"
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 200 and image.height > 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--class", 10], "class 10 is out of range; use 0 to 9"),
        (["--class", -1], "class -1 is out of range; use 0 to 9"),
        (["--layer", "fc1", "--channel", 0], "'fc1' is not a conv layer; use one of conv1"),
        (["--layer", "fc", "--channel", 0], "'fc' is not a layer of this model; use one of conv1"),
        (["--layer", "conv1", "--channel", 4], "channel 4 is out of range for conv1; use 0 to 3"),
        (["--layer", "conv1"], "--layer and --channel go together"),
        (["--class", 1, "--layer", "conv1", "--channel", 0], "either --class K or --layer"),
        ([], "say what to maximise: --class K or --layer L --channel C"),
        (["--class", 1, "--png", "/nonexistent-dir/x.png"], "does not exist; create it"),
        (["--class", 1, "--steps", 0], "0 is out of range; use 1 to 100000"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tiny_trained_run, args, message) -> None:
    code, out, err = run(capsys, "--checkpoint", tiny_trained_run, *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_missing_checkpoint_is_one_line(capsys, tmp_path) -> None:
    code, out, err = run(capsys, "--checkpoint", tmp_path / "none", "--class", 1)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_an_unwritable_png_is_one_line(capsys, tiny_trained_run, tmp_path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    target = folder / "x.png"
    target.mkdir()  # a folder where the file should go: the write fails whoever runs it
    code, out, err = run(capsys, "--checkpoint", tiny_trained_run, "--class", 1, "--steps", 5,
                         "--png", target)  # fmt: skip
    assert code == 2 and "cannot write" in err and err.count("\n") == 1
