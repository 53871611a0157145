"""Issue 12 point 11: every spec either builds a network that fits or gets one SpecError line.

The grammar's numbers are bounded before int() reaches torch, the network's weights and
per-layer outputs are counted before anything is allocated, and specs made only of documented
tokens (``gap``, ``bn``, ``p``) are specs, not unknown model names.
"""

from __future__ import annotations

import pytest
import torch

from engine.cli.main import main
from engine.errors import SpecError
from engine.models.registry import build_model, count_params
from engine.models.spec import MAX_PARAMS, build_from_spec, looks_like_spec


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("c32s0", "stride 0; use 1 to 28"),
        ("c32s99", "stride 99; use 1 to 28"),
        ("c99999999", "channels 99999999; use 1 to 1024"),
        ("c2147483648", "channels 2147483648; use 1 to 1024"),
        ("c0", "channels 0"),
        ("f99999999", "units 99999999; use 1 to 16384"),
        ("c8-f0", "units 0"),
        ("c32k3p99999", "padding 99999; use 0 to 2"),
        ("c32k0", "kernel size 0"),
        ("c32k99", "kernel size 99; use 1 to 28"),
        ("c8-p0", "pool size 0"),
        ("c8-p99999999999", "pool size 99999999999"),
        ("c" + "9" * 5000, "channels 999999999999"),  # past Python's int() digit limit
        ("c1024-c1024-c1024-f4096", f"weights, over {MAX_PARAMS:,}"),
        ("-".join(["c2k28p27"] * 60), "values per image"),  # each layer's maps grow
        ("d1.5", "dropout is at most 1"),
        ("c8-d2", "dropout is at most 1"),
        ("d1.2.3", "is not a dropout probability"),
        ("gap-f10-gap", "comes after a dense layer"),
    ],
    ids=lambda value: value[:24],
)
def test_spec_out_of_range_is_one_spec_error(spec: str, says: str) -> None:
    with pytest.raises(SpecError) as info:
        build_model(spec)
    message = str(info.value)
    assert says in message and "\n" not in message and len(message) < 400, message


def test_too_many_layers_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="at most 64"):
        build_model("-".join(["c1"] * 65))


@pytest.mark.parametrize("spec", ["gap", "gap-f10", "bn", "p", "ap", "d0.5", "c8-bn-f16-bn", "d1"])
def test_documented_tokens_alone_build(spec: str) -> None:
    model, info = build_model(spec)
    assert info.name == spec
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_weights_are_counted_as_built() -> None:
    """The count checked against MAX_PARAMS is the built network's (so the bound is real)."""
    model = build_from_spec("c8k5p2b-p-c16s2-bn-gap-f32b-d0.5-f16")
    expected = sum(p.numel() for p in model.parameters())
    assert count_params(model) == expected and expected > 0
    # 1024 maps of 28x28 into 64 units: 51,380,224 weights, over the bound; pooled first, fits.
    with pytest.raises(SpecError, match="token 2 'f64' makes the network 51,"):
        build_from_spec("c1024k1-f64")
    build_from_spec("c1024k1-p4-f64")


@pytest.mark.parametrize("name", ["cnn", "convnet-k3", "resnet", "lenet"])
def test_names_not_shaped_like_layers_are_unknown_models(name: str) -> None:
    assert not looks_like_spec(name)
    with pytest.raises(SpecError, match=f"unknown model '{name}'"):
        build_model(name)


@pytest.mark.parametrize("spec", ["c32s0", "f99999999", "c32k3p99999", "d1.5"])
def test_cli_says_one_line_and_exits_2(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--model", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bad model spec") and "\n" not in err, err
