"""``python -m engine conv``: heatmaps with a scale per kind of panel, numeric grids, formulas, the
fixed-filter network, the cell explainer, and one-line errors with exit code 2."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import numpy as np
import pytest

from engine.cli import conv as cli_conv
from engine.cli.main import OneLineParser
from engine.convlab import inputs, lab
from engine.errors import EngineError


def run_conv(argv, capsys, monkeypatch):
    """Run the conv subcommand through a parser of its own; (exit code, stdout, stderr)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    parser = OneLineParser(prog="python -m engine")
    cli_conv.register(parser.add_subparsers(dest="command", parser_class=OneLineParser))
    try:
        args = parser.parse_args(["conv", *argv])
        code = int(args.handler(args) or 0)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_heatmaps_show_input_filter_output_each_with_its_legend(capsys, monkeypatch):
    code, out, err = run_conv(
        [
            "--input",
            "digit:7",
            "--filter",
            "sobel-x",
            "--padding",
            "same",
            "--stride",
            "2",
            "--ascii",
            "--width",
            "120",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0 and err == ""
    assert "\x1b[" not in out  # --ascii: no colour codes
    lines = out.splitlines()
    title = next(line for line in lines if re.match(r"input +sobel-x", line))
    assert "sobel-x" in title and "output" in title  # side by side on one row
    assert "floor((28 + 2*1 - 3) / 2) + 1 = 14" in out and "actual output 1x14x14" in out
    result = lab.run_lab("digit:7", ["sobel-x"], "same", 2)
    magnitude = abs(result.output).max()  # each kind of panel has its own legend and range
    expected = {"input": (0, 1), "kernels": (-2, 2), "outputs": (-magnitude, magnitude)}
    for label, (lo, hi) in expected.items():
        assert out.count(f"{label} scale:") == 1, label
        row = next(i for i, line in enumerate(lines) if f"{label} scale:" in line)
        column = lines[row].index(f"{label} scale:")
        numbers = leading_numbers(lines[row + 2][column:])  # the legend's lo [0] hi
        assert numbers[0] == pytest.approx(lo, rel=1e-3), label
        assert numbers[-1] == pytest.approx(hi, rel=1e-3), label


def leading_numbers(text: str) -> list[float]:
    """The numbers at the start of ``text`` (up to the first word that is not one)."""
    numbers = []
    for word in text.split():
        try:
            numbers.append(float(word))
        except ValueError:
            break
    return numbers


def test_colour_heatmaps_use_half_blocks(capsys, monkeypatch):
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.setenv("FORCE_COLOR", "1")  # captured stdout is not a terminal: colour anyway
    code, out, _ = run_conv(["--input", "squares8", "--filter", "vertical"], capsys, monkeypatch)
    assert code == 0
    assert "\u2580" in out and "\x1b[38;2;" in out


def test_values_print_the_digit_pixels_and_numeric_grids(capsys, monkeypatch):
    code, out, _ = run_conv(
        ["--input", "digit:0", "--filter", "vertical", "--values"], capsys, monkeypatch
    )
    assert code == 0
    pixels, label = inputs.read_test_digit(0)
    assert f"(label {label}): pixel values 0-255" in out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "pixel values 0-255" in line) + 1
    grid = np.array([[int(v) for v in line.split()] for line in lines[start : start + 28]])
    np.testing.assert_array_equal(grid, pixels)
    assert "output 0 (vertical), 26x26:" in out
    assert "floor((28 + 2*0 - 3) / 1) + 1 = 26" in out


def test_values_of_the_number_map(capsys, monkeypatch):
    code, out, _ = run_conv(
        ["--input", "map4", "--filter", "custom:1,1;1,1", "--values", "--pool", "max"],
        capsys,
        monkeypatch,
    )
    assert code == 0
    assert " 1  2  3  4\n 5  6  7  8" in out
    assert "14 18 22" in out  # 2x2 sums of 1..16 with stride 1: 1+2+5+6 = 14, ...
    assert "max pooled output 0, 1x1:" in out


def test_several_filters_and_pooling(capsys, monkeypatch):
    code, out, _ = run_conv(
        [
            "--input",
            "squares8",
            "--filter",
            "sobel",
            "--pool",
            "avg",
            "--pool-size",
            "2",
            "--ascii",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0
    assert "out 0" in out and "out 1" in out and "avg 0" in out and "avg 1" in out
    assert "actual output 2x6x6" in out and "actual pooled output 2x3x3" in out


def test_multi_channel_volume(capsys, monkeypatch):
    code, out, _ = run_conv(
        ["--input", "volume", "--filter", "vertical", "--ascii"], capsys, monkeypatch
    )
    assert code == 0
    assert "input c0" in out and "input c2" in out and "(6x6x3)" in out
    assert "actual output 1x4x4" in out


def test_network_shows_each_stage(capsys, monkeypatch):
    code, out, _ = run_conv(["--input", "digit:7", "--network", "--ascii"], capsys, monkeypatch)
    assert code == 0
    for stage in ("input:", "conv:", "relu:", "pool:"):
        assert re.search(rf"^{stage}", out, re.M)
    assert "-> 25x25" in out and "-> 12x12" in out


def test_explain_prints_the_multiply_adds(capsys, monkeypatch):
    code, out, _ = run_conv(
        ["--input", "map4", "--filter", "vertical", "--explain", "0,1", "--ascii"],
        capsys,
        monkeypatch,
    )
    assert code == 0
    assert "output cell [0, 0, 1]" in out and "sum of products = -6" in out


def test_list(capsys, monkeypatch):
    code, out, _ = run_conv(["--list"], capsys, monkeypatch)
    assert code == 0 and "digit:N" in out and "sobel-x" in out and "custom:ROWS" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--input", "squares8", "--filter", "fixed", "--padding", "same"], "odd kernel"),
        (["--stride", "0"], "stride 0"),
        (["--stride", "-1"], "stride -1"),
        (
            ["--input", "map4", "--filter", "custom:" + ";".join(["1,1,1,1,1"] * 5)],
            "larger than the padded",
        ),
        (["--filter", "custom:1,0,-1;1,0"], "different lengths"),
        (["--filter", "custom:1,x,3"], "not a number"),
        (["--input", "cat"], "unknown input"),
        (["--filter", "laplace"], "unknown filter"),
        (["--input", "digit:123456"], "out of range"),
        (["--padding", "lots"], "not understood"),
        (["--pool", "max", "--pool-size", "9"], "pooling window"),
        (["--explain", "a,b"], "not a cell"),
        (["--explain", "9,9"], "outside"),
    ],
)
def test_bad_settings_are_one_line_errors_with_exit_2(argv, fragment, capsys, monkeypatch):
    code, out, err = run_conv(argv, capsys, monkeypatch)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and fragment in err
    assert err.count("\n") == 1


def test_python_dash_m_engine_conv():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "conv",
            "--input",
            "digit:7",
            "--filter",
            "sobel-x",
            "--padding",
            "same",
            "--stride",
            "2",
            "--ascii",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "actual output 1x14x14" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "engine", "conv", "--filter", "fixed", "--padding", "same"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "odd kernel" in bad.stderr


def test_register_adds_the_conv_command():
    parser = argparse.ArgumentParser()
    cli_conv.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["conv", "--filter", "sobel-x", "--filter", "sobel-y"])
    assert args.filters == ["sobel-x", "sobel-y"] and args.handler is cli_conv.run
