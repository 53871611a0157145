"""Size and count options of the CLIs are bounded: a bad value is one line on stderr and exit 2.

Covers ``conv``'s padding, stride and pool stride (bounded by the kernel and the map), custom
kernels that overflow, the convlab display of inf/nan, every --width/--max of the inspection
commands, and ``python -m engine`` with no subcommand."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from engine.cli.arg_types import MAX_COLUMNS, bounded_int, columns_int
from engine.cli.main import main
from engine.convlab import display, explain, inputs, lab

HUGE_KERNEL = "custom:1e308,1e308;1e308,1e308"


def run_engine(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``python -m engine ARGV`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits by itself for usage errors and --help
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and fragment in err, err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- conv bounds


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--padding", "99999"], "padding 99999 is too large for the 3x3 kernel; use 0 to 2"),
        (["--padding", "3000", "--values"], "use 0 to 2"),
        (["--padding", "3"], "use 0 to 2"),
        (["--filter", "fixed", "--padding", "4"], "4x4 kernel; use 0 to 3"),
        (["--network", "--padding", "99999"], "4x4 kernel; use 0 to 3"),
        (["--stride", "99999"], "stride 99999 is larger than the padded input"),
        (["--stride", "9"], "use 1 to 8"),
        (["--padding", "2", "--stride", "13"], "use 1 to 12"),
        (["--pool", "max", "--pool-stride", "7"], "pool stride 7 is larger"),
        (["--pool", "avg", "--pool-stride", "99999"], "use 1 to 6"),
        (["--network", "--pool-stride", "99"], "pool stride 99 is larger"),
        (["--width", "-1"], "--width: -1 is out of range; use 1 to"),
        (["--width", "0"], "--width: 0 is out of range"),
        (["--width", "wide"], "expected a whole number"),
        (["--width", str(MAX_COLUMNS + 1)], "out of range"),
    ],
)
def test_conv_size_options_out_of_range_are_one_line(argv, fragment, capsys):
    assert_one_line_error(*run_engine(["conv", *argv], capsys), fragment)


@pytest.mark.parametrize(
    "argv, output_side",
    [
        (["--padding", "2"], 10),  # full padding of a 3x3 kernel on 8x8: 8 + 4 - 3 + 1
        (["--stride", "8"], 1),
        (["--padding", "2", "--stride", "12"], 1),
        (["--filter", "fixed", "--padding", "3"], 11),
    ],
)
def test_conv_accepts_the_largest_allowed_values(argv, output_side, capsys):
    code, out, err = run_engine(["conv", "--values", *argv], capsys)
    assert (code, err) == (0, "")
    assert f"{output_side}x{output_side}:" in out


def test_the_largest_pool_stride_is_accepted(capsys):
    code, out, err = run_engine(["conv", "--values", "--pool", "max", "--pool-stride", "6"], capsys)
    assert (code, err) == (0, "")
    assert "max pooled output 0, 3x1:" not in out and "pooled output 0, 3x3:" not in out
    assert "pooled output 0, 1x1:" in out  # floor((6 - 2) / 6) + 1 = 1


def test_padding_bound_is_the_labs_not_the_arithmetics():
    with pytest.raises(inputs.ConvError, match="use 0 to 2"):
        lab.run_lab("squares8", ["vertical"], 3)
    assert lab.run_lab("squares8", ["vertical"], 2).output.shape == (1, 10, 10)


# ---------------------------------------------------------------------------- overflow


@pytest.mark.parametrize("extra", [[], ["--values"], ["--explain", "0,0"], ["--ascii"]])
def test_a_kernel_whose_output_overflows_is_refused(extra, capsys):
    result = run_engine(["conv", "--filter", HUGE_KERNEL, *extra], capsys)
    assert_one_line_error(*result, "the convolution overflows")


def test_large_but_finite_kernels_still_work(capsys):
    code, out, err = run_engine(["conv", "--filter", "custom:1e300,0;0,1e300", "--values"], capsys)
    assert (code, err) == (0, "")
    assert "2e+300" in out  # the output grid, short: not 301 digits


@pytest.mark.parametrize(
    "value, text", [(np.inf, "inf"), (-np.inf, "-inf"), (np.nan, "nan"), (1e308, "1e+308")]
)
def test_format_number_spells_non_finite_values(value, text):
    assert display.format_number(value) == text
    assert display.format_number(value, 1) == text


def test_grids_and_explanations_show_inf_and_nan():
    grid = display.grid_lines(np.array([[np.inf, -np.inf], [np.nan, 1.5]]))
    assert grid == [" inf -inf", " nan  1.5"]
    with np.errstate(over="ignore"):
        exp = explain.explain_cell(np.ones((2, 2)), np.full((2, 2), 1e308))
    text = "\n".join(display.explanation_lines(exp))
    assert "sum of products = inf" in text and "= inf" in text


def test_colour_scale_ignores_non_finite_values():
    maps = [np.array([[0.0, 2.0], [np.inf, np.nan]]), np.array([[-np.inf, 1.0]])]
    assert display.shared_range(maps) == (0.0, 2.0, False)
    unit = display.to_unit(maps[0], 0.0, 2.0)
    assert np.isfinite(unit).all()
    assert unit.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert display.shared_range([np.array([np.nan, np.inf])]) == (0.0, 1.0, False)


# ---------------------------------------------------------------------------- inspection widths


@pytest.mark.parametrize("command", ["kernels", "featuremaps"])
@pytest.mark.parametrize(
    "option, value, fragment",
    [
        ("--width", "-5", "--width: -5 is out of range"),
        ("--width", "0", "--width: 0 is out of range"),
        ("--width", "x", "expected a whole number"),
        ("--width", "100000", "100000 is out of range"),
        ("--max", "-1", "--max: -1 is out of range; use 0 or more"),
    ],
)
def test_inspection_counts_out_of_range_are_one_line(command, option, value, fragment, capsys):
    argv = [command, "--model", "lenet5", "--layer", "conv1", option, value]
    assert_one_line_error(*run_engine(argv, capsys), fragment)


def test_kernels_in_channel_must_not_be_negative(capsys):
    argv = ["kernels", "--model", "lenet5", "--layer", "conv1", "--in-channel", "-1"]
    assert_one_line_error(*run_engine(argv, capsys), "--in-channel: -1 is out of range")


def test_bounded_int_reads_only_whole_numbers_in_its_range():
    one_to_three = bounded_int(1, 3)
    assert [one_to_three(t) for t in ("1", "3", " 2 ")] == [1, 3, 2]
    for bad in ("0", "4", "1.5", "", "two"):
        with pytest.raises(argparse.ArgumentTypeError, match="1 to 3"):
            one_to_three(bad)
    assert columns_int(str(MAX_COLUMNS)) == MAX_COLUMNS


# ---------------------------------------------------------------------------- no subcommand


def test_no_subcommand_prints_usage_and_one_error_line_on_stderr(capsys):
    code, out, err = run_engine([], capsys)
    assert code == 2 and out == ""
    usage, error = err.splitlines()
    assert usage.startswith("usage: python -m engine")
    assert error.startswith("python -m engine: error: choose a subcommand: ")
    assert "conv" in error and "kernels" in error and error.endswith("see --help")


def test_help_still_exits_0_on_stdout(capsys):
    code, out, err = run_engine(["--help"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("usage: python -m engine")
