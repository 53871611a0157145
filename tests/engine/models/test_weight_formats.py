"""Issue 15 point 2: weights in the formats people have load into the user's model exactly (a
state dict, one wrapped in a checkpoint dict, Lightning checkpoints, DataParallel and
torch.compile prefixes, .safetensors), read with weights_only=True; what does not fit or
cannot be read is one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from engine.cli.main import main
from engine.errors import CheckpointError
from engine.models.registry import build_model

ROOT = Path(__file__).resolve().parents[3]
SOURCE = f"{ROOT / 'tests' / 'zoo' / 'tiny_resnet.py'}:TinyResNet"
CLASSES = ("circle", "square", "cross")


@pytest.fixture(scope="module")
def trained() -> nn.Module:
    """A TinyResNet for three classes whose every tensor, batch-norm statistics included, is
    random: a weights file that loaded wrongly or not at all cannot equal it."""
    torch.manual_seed(15)
    model, _ = build_model(SOURCE, classes=CLASSES)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand_like(tensor) + 0.5)  # positive: valid running_var
            else:
                tensor.fill_(7)  # num_batches_tracked
    return model


def _optimizer_and_scheduler_states(model: nn.Module) -> tuple[dict, dict]:
    """Real Adam and StepLR state dicts after one step, as a training script saves them."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    model(torch.rand(2, 1, 28, 28)).sum().backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return optimizer.state_dict(), scheduler.state_dict()


class LitClassifier(nn.Module):
    """Stands in for a LightningModule (itself an nn.Module) holding the network as
    ``self.model`` next to a loss with a buffer-free module: its state dict is Lightning's."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.model = net
        self.loss = nn.CrossEntropyLoss()


def lightning_checkpoint(net: nn.Module) -> dict:
    """What Lightning's Trainer writes (its checkpoint connector's dump_checkpoint): the
    module's state dict under "state_dict" with "model." keys, loops, callbacks, optimizer and
    scheduler states, the version and the hyper-parameters as a plain dict."""
    state = {key: value.clone() for key, value in LitClassifier(net).state_dict().items()}
    copy, _ = build_model(SOURCE, classes=CLASSES)
    optimizer, scheduler = _optimizer_and_scheduler_states(copy)
    progress = {"ready": 40, "completed": 40, "started": 40, "processed": 40}
    return {
        "epoch": 3,
        "global_step": 160,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": state,
        "loops": {
            "fit_loop": {
                "state_dict": {},
                "epoch_loop.state_dict": {"_batches_that_stepped": 160},
                "epoch_loop.batch_progress": {
                    "total": progress,
                    "current": progress,
                    "is_last_batch": True,
                },
                "epoch_progress": {"total": progress, "current": progress},
            },
            "validate_loop": {"state_dict": {}},
            "test_loop": {"state_dict": {}},
            "predict_loop": {"state_dict": {}},
        },
        "callbacks": {
            "ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min', 'every_n_train_steps': 0, "
            "'every_n_epochs': 1, 'train_time_interval': None}": {
                "monitor": "val_loss",
                "best_model_score": torch.tensor(0.21),
                "best_model_path": "/runs/lightning_logs/version_0/checkpoints/epoch=3.ckpt",
                "current_score": torch.tensor(0.21),
                "dirpath": "/runs/lightning_logs/version_0/checkpoints",
                "best_k_models": {"/runs/epoch=3.ckpt": torch.tensor(0.21)},
                "kth_best_model_path": "/runs/epoch=3.ckpt",
                "kth_value": torch.tensor(0.21),
                "last_model_path": "",
            },
            "EarlyStopping{'monitor': 'val_loss', 'mode': 'min'}": {
                "wait_count": 0,
                "stopped_epoch": 0,
                "best_score": torch.tensor(0.21),
                "patience": 3,
            },
        },
        "optimizer_states": [optimizer],
        "lr_schedulers": [scheduler],
        "hparams_name": "kwargs",
        "hyper_parameters": {"lr": 1e-3, "num_classes": 3, "betas": (0.9, 0.999), "wd": None},
    }


def _prefixed(state: dict, prefix: str) -> dict:
    return {prefix + key: value for key, value in state.items()}


SAVED: dict[str, Callable[[nn.Module, Path], None]] = {
    "state-dict": lambda m, p: torch.save(m.state_dict(), p),
    "state_dict-entry": lambda m, p: torch.save({"state_dict": m.state_dict(), "epoch": 2}, p),
    "model_state-entry": lambda m, p: torch.save({"model_state": m.state_dict()}, p),
    "model-entry": lambda m, p: torch.save({"model": m.state_dict(), "step": 9}, p),
    "tutorial-checkpoint": lambda m, p: torch.save(
        {
            "epoch": 5,
            "model_state_dict": m.state_dict(),
            "optimizer_state_dict": _optimizer_and_scheduler_states(_clone(m))[0],
            "loss": 0.4,
        },
        p,
    ),
    "nested-entries": lambda m, p: torch.save({"model": {"state_dict": m.state_dict()}}, p),
    "lightning": lambda m, p: torch.save(lightning_checkpoint(m), p),
    "lightning-net-attribute": lambda m, p: torch.save(
        {"state_dict": _prefixed(m.state_dict(), "net."), "epoch": 1}, p
    ),
    "dataparallel": lambda m, p: torch.save(nn.DataParallel(m).state_dict(), p),
    "compile-over-dataparallel": lambda m, p: torch.save(
        _prefixed(m.state_dict(), "_orig_mod.module."), p
    ),
    "lightning-over-dataparallel": lambda m, p: torch.save(
        {"state_dict": _prefixed(m.state_dict(), "model.module.")}, p
    ),
    "safetensors": lambda m, p: save_file(m.state_dict(), p.with_suffix(".safetensors")),
    "safetensors-renamed": lambda m, p: save_file(m.state_dict(), p),  # .pt name, safetensors
}


def _saved(kind: str, model: nn.Module, folder: Path) -> Path:
    path = folder / f"{kind}.pt"
    SAVED[kind](model, path)
    return path.with_suffix(".safetensors") if kind == "safetensors" else path


def _clone(model: nn.Module) -> nn.Module:
    copy, _ = build_model(SOURCE, classes=CLASSES)
    copy.load_state_dict(model.state_dict())
    return copy


@pytest.mark.parametrize("kind", list(SAVED))
def test_every_format_loads_exactly(trained, tmp_path, kind) -> None:
    path = _saved(kind, trained, tmp_path)
    model, info = build_model(SOURCE, path, classes=CLASSES)
    expected = trained.state_dict()
    loaded = model.state_dict()
    assert list(loaded) == list(expected)
    assert all(torch.equal(loaded[key], expected[key]) for key in expected), kind
    assert info.weights == f"weights from {path}" and info.classes == CLASSES


def test_a_realistic_lightning_checkpoint_reads_with_the_safe_loader(trained, tmp_path) -> None:
    path = tmp_path / "epoch=3-step=160.ckpt"
    torch.save(lightning_checkpoint(trained), path)
    content = torch.load(path, weights_only=True)  # what read_torch_file does
    assert set(content) >= {"loops", "callbacks", "optimizer_states", "hyper_parameters"}
    assert all(key.startswith("model.") for key in content["state_dict"])


def test_the_cli_reads_safetensors_for_a_user_model(trained, tmp_path, capsys) -> None:
    path = _saved("safetensors", trained, tmp_path)
    assert main(["kernels", "--model", SOURCE, "--weights", str(path), "--layer", "fc"]) == 2
    # 10 digits by default: the file's 3-class head does not fit, named in one line
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "fc.weight is [3, 32] in the file but [10, 32] in the model" in err


def test_the_cli_draws_the_same_kernels_from_every_format(tmp_path, capsys) -> None:
    digits, _ = build_model(SOURCE)  # the CLI's default: ten digit classes
    save_file(digits.state_dict(), tmp_path / "w.safetensors")
    torch.save(lightning_checkpoint(digits), tmp_path / "w.ckpt")
    torch.save(digits.state_dict(), tmp_path / "w.pt")
    drawn = []
    for name in ("w.pt", "w.safetensors", "w.ckpt"):
        argv = ["kernels", "--model", SOURCE, "--weights", str(tmp_path / name)]
        assert main([*argv, "--layer", "stem.0", "--ascii", "--width", "80"]) == 0
        drawn.append(capsys.readouterr().out.split("\n", 1)[1])  # after the title line
    assert drawn[0] == drawn[1] == drawn[2] and drawn[0].strip()


def test_weights_of_another_head_name_the_shapes(trained, tmp_path) -> None:
    path = _saved("state-dict", trained, tmp_path)
    with pytest.raises(CheckpointError) as info:
        build_model(SOURCE, path, classes=list("abcde"))
    message = str(info.value)
    assert "does not fit model TinyResNet: fc.weight is [3, 32] in the file but [5, 32]" in message
    assert "(and 1 more)" in message and "\n" not in message


def test_missing_and_unexpected_keys_are_named(trained, tmp_path) -> None:
    state = dict(trained.state_dict())
    state.pop("fc.bias")
    state["head.weight"] = torch.zeros(3, 2)
    path = tmp_path / "edited.safetensors"
    save_file(state, path)
    with pytest.raises(CheckpointError) as info:
        build_model(SOURCE, path, classes=CLASSES)
    message = str(info.value)
    assert "missing fc.bias [3]" in message and "unexpected head.weight [3, 2]" in message


@pytest.mark.parametrize(
    "damage",
    [lambda data: b"not a safetensors file at all", lambda data: data[: len(data) // 2]],
    ids=["garbage", "truncated"],
)
def test_a_corrupt_safetensors_file_is_one_line(trained, tmp_path, damage) -> None:
    good = _saved("safetensors", trained, tmp_path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(CheckpointError) as info:
        build_model(SOURCE, bad, classes=CLASSES)
    message = str(info.value)
    assert message.startswith(f"{bad} is not a readable safetensors weights file (")
    assert "\n" not in message and message.endswith("or a run's checkpoint with --checkpoint")


def test_an_unsafe_object_is_refused_by_name(trained, tmp_path) -> None:
    checkpoint = lightning_checkpoint(trained)
    checkpoint["hyper_parameters"]["data_dir"] = Path("/data/shapes")  # a pickled PosixPath
    path = tmp_path / "last.ckpt"
    torch.save(checkpoint, path)
    with pytest.raises(CheckpointError) as info:
        build_model(SOURCE, path, classes=CLASSES)
    message = str(info.value)
    assert "which the safe loader refuses: pathlib.PosixPath" in message and "\n" not in message
