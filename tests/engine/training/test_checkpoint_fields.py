"""Checkpoints whose fields have the wrong type or range are refused with one line naming the
field, by every reader: ``eval``, ``train --resume``, the inspection commands' --checkpoint and
the app's engine child (its ``load`` op)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from engine.cli.main import main
from engine.process.protocol import Request
from engine.process.workbench import Workbench
from engine.training.events import Finished
from engine.training.loop import train_events

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# (name, field, change): change(checkpoint dict) makes one field wrong
VARIANTS: list[tuple[str, str, Any]] = [
    ("config-model-int", "config.model", lambda c: c["config"].update(model=12345)),
    ("config-not-a-dict", "config", lambda c: c.update(config=5)),
    ("config-lr-text", "config.lr", lambda c: c["config"].update(lr="fast")),
    ("config-lr-nan", "config.lr", lambda c: c["config"].update(lr=float("nan"))),
    ("config-batch-zero", "config", lambda c: c["config"].update(batch_size=0)),
    ("config-epochs-float", "config.epochs", lambda c: c["config"].update(epochs=2.5)),
    ("config-epochs-bool", "config.epochs", lambda c: c["config"].update(epochs=True)),
    ("config-layout-text", "config.channels_last", lambda c: c["config"].update(channels_last="y")),
    ("config-subset-text", "config.train_subset", lambda c: c["config"].update(train_subset="9")),
    ("config-precision", "config", lambda c: c["config"].update(precision="fp8")),
    ("model-int", "model", lambda c: c.update(model=7)),
    ("model-empty", "model", lambda c: c.update(model=" ")),
    ("state-list", "model_state", lambda c: c.update(model_state=[1, 2])),
    ("state-text", "model_state", lambda c: c["model_state"].update({"fc1.weight": "x"})),
    ("epoch-negative", "epoch", lambda c: c.update(epoch=-1)),
    ("epoch-text", "epoch", lambda c: c.update(epoch="3")),
    ("step-float", "global_step", lambda c: c.update(global_step=1.5)),
    ("step-in-epoch-negative", "step_in_epoch", lambda c: c.update(step_in_epoch=-2)),
    ("elapsed-text", "elapsed", lambda c: c.update(elapsed="long")),
    ("totals-list", "epoch_totals", lambda c: c.update(epoch_totals=[1])),
    ("metrics-dict", "metrics", lambda c: c.update(metrics={"a": 1})),
    ("metrics-ints", "metrics", lambda c: c.update(metrics=[1, 2])),
    ("info-int", "info", lambda c: c.update(info=3)),
    ("optimizer-int", "optimizer_state", lambda c: c.update(optimizer_state=5)),
    ("rng-text", "rng_state.torch", lambda c: c.update(rng_state={"torch": "abc"})),
]


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory) -> Path:
    from engine.training.config import make_config

    folder = tmp_path_factory.mktemp("good")
    config = make_config(
        "fast",
        model="c4-p-f16",
        schedule="constant",
        train_subset=128,
        test_subset=64,
        threads=1,
        channels_last=False,
        run_dir=str(folder / "run"),
    )
    assert isinstance(list(train_events(config))[-1], Finished)
    return folder / "run" / "checkpoint.pt"


@pytest.fixture(params=VARIANTS, ids=[v[0] for v in VARIANTS])
def bad(request, good_checkpoint: Path, tmp_path: Path) -> tuple[Path, str]:
    """(a checkpoint with one bad field in a run folder of its own, the field's name)."""
    name, field, change = request.param
    ckpt = torch.load(good_checkpoint, weights_only=True)
    change(ckpt)
    folder = tmp_path / name
    folder.mkdir()
    torch.save(ckpt, folder / "checkpoint.pt")
    return folder / "checkpoint.pt", field


def refused(code: int, err: str, field: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"field {field} " in err and "internal error" not in err


def test_eval_refuses_it(bad, capsys) -> None:
    path, field = bad
    code = main(["eval", "--checkpoint", str(path), "--device", "cpu"])
    refused(code, capsys.readouterr().err, field)


def test_resume_refuses_it_and_writes_nothing(bad, capsys) -> None:
    path, field = bad
    before = sorted(p.name for p in path.parent.iterdir())
    code = main(["train", "--resume", str(path), "--epochs", "3"])
    refused(code, capsys.readouterr().err, field)
    assert sorted(p.name for p in path.parent.iterdir()) == before


@pytest.mark.parametrize("command", ["summary", "kernels"])
def test_the_inspection_commands_refuse_it(bad, capsys, command: str) -> None:
    path, field = bad
    extra = ["--layer", "conv1"] if command == "kernels" else []
    code = main([command, "--checkpoint", str(path), *extra])
    refused(code, capsys.readouterr().err, field)


def test_the_apps_engine_child_refuses_it(bad) -> None:
    path, field = bad
    reply = Workbench().handle(Request(1, "load", {"checkpoint": str(path)}))
    assert not reply.ok
    assert f"field {field} " in reply.error and "failed:" not in reply.error


def test_a_good_checkpoint_still_loads(good_checkpoint: Path, capsys) -> None:
    assert main(["eval", "--checkpoint", str(good_checkpoint), "--device", "cpu"]) == 0
    reply = Workbench().handle(Request(1, "load", {"checkpoint": str(good_checkpoint)}))
    assert reply.ok, reply.error
