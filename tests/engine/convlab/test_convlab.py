"""The convolution lab's engine: hand and vectorised convolution, pooling, inputs, filters,
errors (the torch-side network and explainer: tests/test_convlab_torch.py)."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.convlab import arithmetic, display, explain, inputs, lab
from engine.convlab.inputs import ConvError
from engine.errors import DataError, EngineError

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_conv(x, w, b, padding, stride):
    """torch's conv2d (float64) with the lab's padding resolved to numbers."""
    pad = arithmetic.resolve_padding(padding, w.shape)
    out = F.conv2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(w),
        None if b is None else torch.from_numpy(b),
        stride=stride,
        padding=pad,
    )
    return out[0].numpy()


@st.composite
def conv_cases(draw):
    channels = draw(st.integers(1, 3))
    filters = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    odd = kh % 2 == 1 and kw % 2 == 1
    padding = draw(st.sampled_from(["valid", "same", 0, 1, 2, 3] if odd else ["valid", 0, 1, 2, 3]))
    ph, pw = arithmetic.resolve_padding(padding, (kh, kw))
    h = draw(st.integers(max(1, kh - 2 * ph), 12))
    w = draw(st.integers(max(1, kw - 2 * pw), 12))
    stride = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(channels, h, w))
    weights = rng.normal(size=(filters, channels, kh, kw))
    bias = rng.normal(size=filters) if draw(st.booleans()) else None
    return x, weights, bias, padding, stride


# ------------------------------------------------------------------------------- convolution


@PROPERTY
@given(conv_cases())
def test_hand_and_vectorised_conv_equal_torch(case):
    x, w, b, padding, stride = case
    expected = torch_conv(x, w, b, padding, stride)
    by_hand = arithmetic.conv2d_by_hand(x, w, b, padding, stride)
    vectorised = arithmetic.conv2d_vectorised(x, w, b, padding, stride)
    np.testing.assert_allclose(by_hand, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(vectorised, expected, rtol=1e-10, atol=1e-10)


@PROPERTY
@given(conv_cases())
def test_output_size_formula_matches_the_actual_shape(case):
    x, w, b, padding, stride = case
    ph, pw = arithmetic.resolve_padding(padding, w.shape)
    out = arithmetic.conv2d_vectorised(x, w, b, padding, stride)
    assert out.shape == (
        w.shape[0],
        arithmetic.output_size(x.shape[1], w.shape[2], ph, stride),
        arithmetic.output_size(x.shape[2], w.shape[3], pw, stride),
    )
    assert out.shape == torch_conv(x, w, b, padding, stride).shape


@PROPERTY
@given(conv_cases(), st.data())
def test_explain_cell_sums_to_the_output_cell(case, data):
    x, w, b, padding, stride = case
    out = arithmetic.conv2d_by_hand(x, w, b, padding, stride)
    k = data.draw(st.integers(0, out.shape[0] - 1))
    i = data.draw(st.integers(0, out.shape[1] - 1))
    j = data.draw(st.integers(0, out.shape[2] - 1))
    exp = explain.explain_cell(x, w, b, padding, stride, k, i, j)
    assert exp.total == pytest.approx(out[k, i, j], abs=1e-10)
    assert exp.sum == pytest.approx(exp.products.sum(), abs=1e-12)
    np.testing.assert_allclose(exp.products, exp.patch * exp.kernel)
    np.testing.assert_allclose(exp.channel_sums, exp.products.sum(axis=(1, 2)))
    assert exp.bias == (0.0 if b is None else b[k])
    ph, pw = arithmetic.resolve_padding(padding, w.shape)
    assert exp.rows == (i * stride - ph, i * stride - ph + w.shape[2])
    assert exp.cols == (j * stride - pw, j * stride - pw + w.shape[3])
    # the patch is the input under the window, zero where the window covers padding
    for c in range(x.shape[0]):
        for u in range(w.shape[2]):
            for v in range(w.shape[3]):
                r, q = exp.rows[0] + u, exp.cols[0] + v
                inside = 0 <= r < x.shape[1] and 0 <= q < x.shape[2]
                assert exp.patch[c, u, v] == (x[c, r, q] if inside else 0.0)


def test_the_classic_vertical_edge_example():
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)
    out = arithmetic.conv2d_by_hand(image, inputs.FILTERS["vertical"][1])
    np.testing.assert_array_equal(out[0], np.array([[0, 30, 30, 0]] * 4))


def test_a_2d_filter_is_applied_across_all_channels_of_a_volume():
    volume = inputs.load_input("volume").values
    kernel = inputs.FILTERS["vertical"][1]
    out = arithmetic.conv2d_vectorised(volume, kernel)
    per_channel = sum(arithmetic.conv2d_vectorised(volume[c], kernel) for c in range(3))
    assert out.shape == (1, 4, 4)
    np.testing.assert_allclose(out, per_channel)


def test_several_filters_give_several_output_channels():
    result = lab.run_lab("squares8", ["sobel-x", "sobel-y", "blur"], "same", 1)
    assert result.output.shape == (3, 8, 8)
    for k, name in enumerate(["sobel-x", "sobel-y", "blur"]):
        np.testing.assert_allclose(
            result.output[k],
            arithmetic.conv2d_by_hand(result.input.values, inputs.FILTERS[name][1], None, "same")[
                0
            ],
        )


def test_same_padding_keeps_the_size_and_stride_shrinks_it():
    image = inputs.load_input("squares8").values
    assert arithmetic.conv2d_vectorised(image, np.ones((3, 3)), padding="same").shape == (1, 8, 8)
    assert arithmetic.conv2d_vectorised(image, np.ones((5, 5)), padding="same").shape == (1, 8, 8)
    assert arithmetic.conv2d_vectorised(image, np.ones((3, 3)), padding="same", stride=2).shape == (
        1,
        4,
        4,
    )
    assert arithmetic.conv2d_vectorised(image, np.ones((3, 3)), stride=2).shape == (1, 3, 3)


def test_output_size_formula():
    assert arithmetic.output_size(28, 3, 1, 2) == 14
    assert arithmetic.output_size(6, 3, 0, 1) == 4
    assert arithmetic.output_size(7, 3, 0, 2) == 3
    assert arithmetic.formula_text(28, 3, 1, 2) == "floor((28 + 2*1 - 3) / 2) + 1 = 14"


def test_formula_lines_show_the_numbers_and_the_actual_shape():
    result = lab.run_lab("digit:7", ["sobel-x"], "same", 2, pool="max")
    conv_line, pool_line = result.formula_lines()
    assert "floor((28 + 2*1 - 3) / 2) + 1 = 14" in conv_line
    assert "1x14x14" in conv_line
    assert "floor((14 - 2) / 2) + 1 = 7" in pool_line and "1x7x7" in pool_line


# ------------------------------------------------------------------------------- pooling


@PROPERTY
@given(
    st.integers(1, 3),
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from(["max", "avg"]),
    st.integers(0, 2**31 - 1),
)
def test_pooling_equals_torch(channels, h, w, size, stride, mode, seed):
    if size > min(h, w):
        with pytest.raises(ConvError):
            arithmetic.pool2d(np.zeros((channels, h, w)), size, stride, mode)
        return
    x = np.random.default_rng(seed).normal(size=(channels, h, w))
    tx = torch.from_numpy(x)[None]
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = pool(tx, size, stride)[0].numpy()
    np.testing.assert_allclose(arithmetic.pool2d(x, size, stride, mode), expected, atol=1e-12)


def test_pooling_defaults_to_2x2_stride_2_and_keeps_2d_maps_2d():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(arithmetic.pool2d(x), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(arithmetic.pool2d(x, mode="avg"), [[2.5, 4.5], [10.5, 12.5]])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 0},
        {"size": 2, "stride": 0},
        {"size": 2, "stride": -1},
        {"size": 9},
        {"size": 2, "mode": "median"},
    ],
)
def test_bad_pooling_settings_raise_one_line_errors(kwargs):
    with pytest.raises(ConvError) as info:
        arithmetic.pool2d(np.zeros((4, 4)), **kwargs)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------- inputs


def test_the_tutorial_inputs():
    squares = inputs.load_input("squares8").values[0]
    assert squares.shape == (8, 8) and set(np.unique(squares)) == {0.0, 1.0}
    assert squares[0:4, 0:4].all() and squares[4:8, 4:8].all()  # two whole quadrants
    assert squares.sum() == 32 and not squares[0:4, 4:8].any() and not squares[4:8, 0:4].any()
    small = inputs.load_input("squares6").values[0]
    assert small.shape == (6, 6) and small[0:3, 0:3].all() and small[3:6, 3:6].all()
    assert small.sum() == 18
    np.testing.assert_array_equal(
        inputs.load_input("map4").values[0], np.arange(1, 17).reshape(4, 4)
    )
    volume = inputs.load_input("volume")
    assert volume.values.shape == (3, 6, 6) and volume.shape_text == "6x6x3"


def test_digit_input_is_the_mnist_test_digit_scaled_to_unit_range():
    from engine.data.mnist import load_split

    split = load_split("test")
    for index in (0, 7, 9999):
        digit = inputs.load_input(f"digit:{index}")
        expected = split.images[index].numpy()
        np.testing.assert_array_equal(digit.pixels, expected)
        np.testing.assert_allclose(digit.values[0], expected / 255.0)
        assert digit.label == int(split.labels[index])
        assert digit.values.min() >= 0 and digit.values.max() <= 1
    pixels, label = inputs.read_test_digit(7)
    assert pixels.dtype == np.uint8 and pixels.shape == (28, 28) and label == 9
    assert inputs.test_digit_count() == 10_000


@pytest.mark.parametrize("spec", ["digit:10000", "digit:-1", "nonsense", "digit:x", ""])
def test_bad_inputs_are_one_line_errors(spec):
    with pytest.raises(ConvError) as info:
        inputs.load_input(spec)
    assert "\n" not in str(info.value)


def _write_idx(path, magic, dims, body, compress=True):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    content = header + body
    path.write_bytes(gzip.compress(content) if compress else content)


def test_the_torch_free_idx_reader_validates_files(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(2, 28, 28)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 0x803, [2, 28, 28], images.tobytes())
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", 0x801, [2], bytes([3, 5]), compress=False)
    pixels, label = inputs.read_test_digit(1, tmp_path)
    np.testing.assert_array_equal(pixels, images[1])
    assert label == 5
    bad = tmp_path / "bad"
    bad.mkdir()
    _write_idx(bad / "t10k-images-idx3-ubyte.gz", 0x999, [2, 28, 28], images.tobytes())
    _write_idx(bad / "t10k-labels-idx1-ubyte.gz", 0x801, [2], bytes([3, 5]))
    with pytest.raises(DataError, match="magic number"):
        inputs.read_test_digit(0, bad)
    short = tmp_path / "short"
    short.mkdir()
    _write_idx(short / "t10k-images-idx3-ubyte.gz", 0x803, [2, 28, 28], images.tobytes()[:-5])
    _write_idx(short / "t10k-labels-idx1-ubyte.gz", 0x801, [2], bytes([3, 5]))
    with pytest.raises(DataError, match="bytes, expected"):
        inputs.read_test_digit(0, short)
    only = tmp_path / "only-images"
    only.mkdir()
    _write_idx(only / "t10k-images-idx3-ubyte.gz", 0x803, [2, 28, 28], images.tobytes())
    with pytest.raises(DataError, match="missing"):
        inputs.read_test_digit(0, only)
    with pytest.raises(DataError, match="does not exist"):
        inputs.read_test_digit(0, tmp_path / "nowhere")


# ------------------------------------------------------------------------------- filters


def test_the_hand_made_filters():
    f = {name: weights for name, (_, weights) in inputs.FILTERS.items()}
    np.testing.assert_array_equal(f["vertical"], [[1, 0, -1]] * 3)
    np.testing.assert_array_equal(f["horizontal"], np.array([[1, 0, -1]] * 3).T)
    np.testing.assert_array_equal(f["sobel-x"], [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(f["sobel-y"], np.array(f["sobel-x"]).T)
    np.testing.assert_allclose(f["blur"], np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(f["sharpen"], [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    fixed = [w.weights for w in inputs.load_filters(["fixed"])]
    np.testing.assert_array_equal(fixed[0], [[-1, -1, 1, 1]] * 4)
    np.testing.assert_array_equal(fixed[1], -fixed[0])
    np.testing.assert_array_equal(fixed[2], fixed[0].T)
    np.testing.assert_array_equal(fixed[3], -fixed[2])


def test_custom_kernels_parse_and_round_trip():
    kernel = inputs.parse_kernel("1,0,-1;1,0,-1;1,0,-1")
    np.testing.assert_array_equal(kernel, [[1, 0, -1]] * 3)
    np.testing.assert_array_equal(inputs.parse_kernel(" 0.5 1 ; -2 3e0 "), [[0.5, 1], [-2, 3]])
    filters = inputs.load_filters(["custom:1,2;3,4", "CUSTOM:0,1;1,0"])
    assert [f.name for f in filters] == ["custom:1,2;3,4", "custom:0,1;1,0"]
    assert inputs.parse_kernel(inputs.format_kernel(kernel)).tolist() == kernel.tolist()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1,0,-1;1,0", "different lengths"),
        ("1,a,3", "not a number"),
        ("", "empty"),
        ("1,2;;3,4", "empty"),
        ("1,nan", "finite"),
        ("1,inf", "finite"),
        (";".join([",".join(["1"] * 16)] * 16), "at most"),
    ],
)
def test_malformed_custom_kernels_are_one_line_errors(text, fragment):
    with pytest.raises(ConvError, match=fragment) as info:
        inputs.load_filters([f"custom:{text}"])
    assert "\n" not in str(info.value)


def test_unknown_filters_and_mixed_sizes_are_errors():
    with pytest.raises(ConvError, match="unknown filter"):
        inputs.load_filters(["laplace"])
    with pytest.raises(ConvError, match="no filter"):
        inputs.load_filters([])
    with pytest.raises(ConvError, match="different sizes"):
        lab.run_lab("squares8", ["vertical", "fixed-v"])


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"w": np.ones((2, 2)), "padding": "same"}, "odd kernel"),
        ({"w": np.ones((3, 4)), "padding": "same"}, "odd kernel"),
        ({"stride": 0}, "stride 0"),
        ({"stride": -2}, "stride -2"),
        ({"w": np.ones((7, 7))}, "larger than the padded"),
        ({"w": np.ones((9, 9)), "padding": 0}, "larger than the padded"),
        ({"padding": -1}, "padding -1"),
        ({"padding": "wide"}, "not understood"),
        ({"w": np.ones((2, 3, 3))}, "channels"),
    ],
)
def test_bad_settings_are_one_line_errors(kwargs, fragment):
    args = {"x": np.zeros((6, 6)), "w": np.ones((3, 3)), "padding": "valid", "stride": 1}
    args.update(kwargs)
    for function in (arithmetic.conv2d_by_hand, arithmetic.conv2d_vectorised):
        with pytest.raises(ConvError, match=fragment) as info:
            function(args["x"], args["w"], None, args["padding"], args["stride"])
        assert "\n" not in str(info.value)
        assert isinstance(info.value, EngineError) and info.value.exit_code == 2


def test_a_large_kernel_fits_once_padding_makes_room():
    out = arithmetic.conv2d_vectorised(np.ones((4, 4)), np.ones((6, 6)), padding=1)
    assert out.shape == (1, 1, 1) and out[0, 0, 0] == 16


def test_explain_cell_rejects_cells_outside_the_output():
    with pytest.raises(ConvError, match="outside"):
        explain.explain_cell(np.zeros((6, 6)), np.ones((3, 3)), row=4, col=0)


def test_explanation_lines_print_patch_kernel_products_and_sum():
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)
    exp = explain.explain_cell(
        image, inputs.FILTERS["vertical"][1], np.array([0.5]), "valid", 1, 0, 0, 1
    )
    text = "\n".join(display.explanation_lines(exp))
    assert "patch" in text and "kernel" in text and "products" in text
    assert "sum of products = 30" in text and "+ bias 0.5 = 30.5" in text
    assert exp.total == 30.5
    volume = inputs.load_input("volume").values
    exp = explain.explain_cell(volume, inputs.FILTERS["vertical"][1], padding=1)
    text = "\n".join(display.explanation_lines(exp))
    assert "patch ch2" in text and "padding zeros" in text and "channel 1 sum" in text


# ------------------------------------------------------------------------------- torch-free


def test_the_numpy_lab_imports_without_torch():
    code = (
        "import sys; import engine.convlab.lab, engine.convlab.inputs; "
        "engine.convlab.lab.run_lab('digit:5', ['sobel-x'], 'same', 2, 'max'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
