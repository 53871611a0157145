"""Every weights and checkpoint path (CLI --weights and --checkpoint, eval, resume, the app's load
op, AlexNet) loads DataParallel's ``module.`` keys, names what does not fit, refuses hostile
pickles in one line with no torch warning first, and accepts a run folder wherever eval does."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.cli.main import main
from engine.errors import CheckpointError
from engine.models.registry import build_model
from engine.process.protocol import Request
from engine.process.workbench import Workbench
from engine.training.checkpoint import load_checkpoint
from engine.training.events import Finished
from engine.training.loop import train_events

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def trained(tiny_trained_run: Path) -> Path:
    """A finished one-epoch run of c4-p-f16: its run folder (shared, read only)."""
    return tiny_trained_run


def _prefixed(state: dict, prefix: str = "module.") -> dict:
    return {prefix + key: value for key, value in state.items()}


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


def _kernels(capsys, *source: str) -> str:
    assert main(["kernels", *source, "--layer", "conv1", "--ascii", "--width", "80"]) == 0
    return capsys.readouterr().out.split("\n", 1)[1]  # the first line names the source


def test_a_dataparallel_checkpoint_loads_everywhere(trained, tmp_path, capsys) -> None:
    ckpt = load_checkpoint(trained)
    ckpt["model_state"] = _prefixed(ckpt["model_state"])
    prefixed = tmp_path / "dp" / "checkpoint.pt"
    prefixed.parent.mkdir()
    torch.save(ckpt, prefixed)
    assert main(["eval", "--checkpoint", str(trained), "--json"]) == 0
    original = capsys.readouterr().out.split('"test_loss"')[1]
    assert main(["eval", "--checkpoint", str(prefixed), "--json"]) == 0
    assert capsys.readouterr().out.split('"test_loss"')[1] == original  # same numbers
    assert _kernels(capsys, "--checkpoint", str(prefixed)) == _kernels(
        capsys, "--checkpoint", str(trained)
    )
    bench = Workbench()
    assert bench.handle(Request(1, "load", {"checkpoint": str(prefixed)})).ok
    events = list(train_events(_resume_config(ckpt, prefixed.parent), resume=str(prefixed)))
    assert isinstance(events[-1], Finished), events[-1]


def _resume_config(ckpt: dict, run_dir: Path):
    from engine.training.config import TrainConfig

    values = dict(ckpt["config"], epochs=2, run_dir=str(run_dir))
    return TrainConfig(**{k: v for k, v in values.items() if k in TrainConfig.__dataclass_fields__})


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "_orig_mod.module."])
def test_prefixed_state_dicts_load_as_weights(trained, tmp_path, capsys, prefix) -> None:
    state = load_checkpoint(trained)["model_state"]
    plain, wrapped = tmp_path / "plain.pt", tmp_path / "wrapped.pt"
    torch.save(state, plain)
    torch.save(_prefixed(state, prefix), wrapped)
    expected = _kernels(capsys, "--model", "c4-p-f16", "--weights", str(plain))
    assert _kernels(capsys, "--model", "c4-p-f16", "--weights", str(wrapped)) == expected
    bench = Workbench()
    load = Request(1, "load", {"model": "c4-p-f16", "weights": str(wrapped)})
    assert bench.handle(load).ok
    reply = bench.handle(Request(2, "kernels", {"layer": "conv1"}))
    assert torch.equal(torch.from_numpy(reply.payload["weights"]), state["conv1.weight"])


def test_weights_that_do_not_fit_name_the_keys_shapes_and_fix(trained, tmp_path, capsys) -> None:
    lenet = tmp_path / "lenet5.pt"
    torch.save(build_model("lenet5")[0].state_dict(), lenet)
    assert main(["summary", "--model", "c4-p-f16", "--weights", str(lenet)]) == 2
    err = _one_line(capsys)
    assert "does not fit model c4-p-f16: conv1.weight is [6, 1, 5, 5] in the file but" in err
    assert "[4, 1, 3, 3] in the model (and 5 more)" in err
    assert "unexpected conv2.weight [16, 6, 5, 5]" in err
    assert err.endswith("pass weights saved from c4-p-f16, or a run's checkpoint with --checkpoint")


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda s: {k: v for k, v in s.items() if k != "fc2.bias"}, "missing fc2.bias [10]"),
        (lambda s: {**s, "fc3.weight": torch.zeros(2, 2)}, "unexpected fc3.weight [2, 2]"),
        (lambda s: {**s, "fc1.weight": torch.zeros(16, 10)}, "fc1.weight is [16, 10] in the file"),
    ],
    ids=["missing", "unexpected", "mismatched"],
)
def test_every_kind_of_misfit_is_named(trained, fragment, edit) -> None:
    from engine.models.weights import fit_state_dict

    state = edit(dict(load_checkpoint(trained)["model_state"]))
    model, _ = build_model("c4-p-f16")
    with pytest.raises(CheckpointError) as info:
        fit_state_dict(model, state, "FILE", "c4-p-f16", "FIX")
    message = str(info.value)
    assert message.startswith("FILE does not fit model c4-p-f16: ") and message.endswith("; FIX")
    assert fragment in message and "\n" not in message


def test_a_checkpoint_whose_weights_do_not_fit_names_the_key(trained, tmp_path, capsys) -> None:
    ckpt = load_checkpoint(trained)
    ckpt["model_state"] = dict(ckpt["model_state"], **{"fc2.weight": torch.zeros(10, 17)})
    bad = tmp_path / "checkpoint.pt"
    torch.save(ckpt, bad)
    assert main(["eval", "--checkpoint", str(bad)]) == 2
    assert "fc2.weight is [10, 17] in the file but [10, 16] in the model" in _one_line(capsys)


def test_alexnet_weights_that_do_not_fit_name_the_key(tmp_path, capsys) -> None:
    wrong = tmp_path / "alexnet.pt"
    torch.save({"module.features.0.weight": torch.zeros(2, 3, 3, 3)}, wrong)
    with pytest.raises(CheckpointError) as info:
        build_model("alexnet", wrong)
    message = str(info.value)
    assert "features.0.weight is [2, 3, 3, 3] in the file but [64, 3, 11, 11]" in message
    assert "missing features.0.bias [64]" in message and "torchvision AlexNet" in message


class Hostile:
    """Unpickling this would create a folder: proof that the loader ran code."""

    marker = ""

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def _hostile_files(folder: Path) -> dict[str, Path]:
    Hostile.marker = str(folder / "PWNED")
    files = {"legacy-pickle": folder / "legacy.pt", "zip": folder / "zip.pt"}
    with files["legacy-pickle"].open("wb") as handle:  # a plain pickle, protocol 4
        pickle.dump({"model_state": Hostile(), "config": {"model": "lenet5"}}, handle, protocol=4)
    torch.save({"model_state": Hostile()}, files["zip"])
    return files


@pytest.mark.parametrize("kind", ["legacy-pickle", "zip"])
def test_hostile_pickles_are_refused_on_every_path(tmp_path, capsys, kind) -> None:
    path = _hostile_files(tmp_path)[kind]
    for argv in (
        ["eval", "--checkpoint", str(path)],
        ["summary", "--checkpoint", str(path)],
        ["summary", "--model", "lenet5", "--weights", str(path)],
        ["summary", "--model", "alexnet", "--weights", str(path)],
    ):
        assert main(argv) == 2, argv
        assert "other than tensors, which the safe loader refuses" in _one_line(capsys)
    bench = Workbench()
    for kwargs in ({"checkpoint": str(path)}, {"model": "lenet5", "weights": str(path)}):
        reply = bench.handle(Request(1, "load", kwargs))
        assert not reply.ok and "safe loader refuses" in reply.error
    assert not (tmp_path / "PWNED").exists()


def test_a_legacy_hostile_pickle_prints_one_line_and_no_torch_warning(tmp_path) -> None:
    path = _hostile_files(tmp_path)["legacy-pickle"]
    for argv in (["eval", "--checkpoint", str(path)], ["summary", "--model", "lenet5",
                                                       "--weights", str(path)]):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "engine", *argv], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["summary"],
        ["kernels", "--layer", "conv1", "--ascii"],
        ["featuremaps", "--layer", "conv1", "--ascii"],
        ["eval"],
    ],
    ids=["summary", "kernels", "featuremaps", "eval"],
)
def test_every_command_accepts_a_run_folder(trained, capsys, argv) -> None:
    assert main([*argv, "--checkpoint", str(trained)]) == 0
    assert main([*argv, "--checkpoint", str(trained / "checkpoint.pt")]) == 0
    assert main([*argv, "--checkpoint", str(trained.parent / "absent")]) == 2
    assert "pass a run's checkpoint.pt (runs/<run>/checkpoint.pt) or its run folder" in (
        _one_line(capsys)
    )


def test_the_apps_load_op_accepts_a_run_folder(trained) -> None:
    reply = Workbench().handle(Request(1, "load", {"checkpoint": str(trained)}))
    assert reply.ok and reply.payload["info"]["name"] == "c4-p-f16"


@pytest.mark.parametrize(
    "content",
    [bytes(range(7, 107)), b"hello world\n", b"\x80\x02}q\x00(X"],
    ids=["random", "text", "cut"],
)
def test_a_file_that_is_not_a_pickle_is_called_corrupt(tmp_path, capsys, content) -> None:
    """Random bytes, text or a cut pickle are not hostile objects: the message says corrupt."""
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    assert main(["eval", "--checkpoint", str(path)]) == 2
    line = _one_line(capsys)
    assert "truncated, corrupt or not a torch file" in line and "Python objects" not in line
