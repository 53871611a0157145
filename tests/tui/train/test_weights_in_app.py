"""``cnn-tui --model NAME --weights FILE`` shows those weights for every MNIST model, as the
CLI does; a file that does not fit the model is one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import CheckpointError
from engine.models.registry import build_model
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def saved_weights(folder: Path, model: str, seed: int = 11) -> tuple[Path, dict]:
    """A state dict of ``model`` from a fixed seed (not the registry's init), saved to a file."""
    torch.manual_seed(seed)
    net, _ = build_model(model)
    for parameter in net.parameters():
        torch.nn.init.uniform_(parameter, -0.5, 0.5)
    path = folder / f"{model}.pt"
    torch.save(net.state_dict(), path)
    return path, {k: v.numpy() for k, v in net.state_dict().items()}


@pytest.mark.parametrize("model", ["convnet", "basic-cnn", "lenet5", "mlp", "c4-p-f16"])
def test_the_engine_s_load_op_uses_the_weights_of_every_mnist_model(
    tmp_path: Path, model: str
) -> None:
    from engine.process.workbench import Workbench

    path, state = saved_weights(tmp_path, model)
    bench = Workbench()
    payload = bench.load(model=model, weights=str(path))
    assert str(path) in payload["info"]["weights"]
    loaded = bench.model.state_dict()
    assert loaded.keys() == state.keys()
    for name, values in state.items():
        np.testing.assert_array_equal(loaded[name].numpy(), values)


def test_weights_that_do_not_fit_are_one_line(tmp_path: Path) -> None:
    from engine.process.workbench import Workbench

    path, _ = saved_weights(tmp_path, "lenet5")
    with pytest.raises(CheckpointError) as info:
        Workbench().load(model="convnet", weights=str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def convnet_app_with_weights(path: Path, tmp_path: Path) -> CnnTuiApp:
    """The app on convnet with ``--weights path``, over the real engine child."""
    config = make_config("fast", model="convnet", device="cpu", threads=1)
    options = AppOptions(
        config=config,
        model="convnet",
        weights=str(path),
        color_mode="256",
        log_file=str(tmp_path / "engine.log"),
    )
    return CnnTuiApp(options)


async def test_the_app_shows_the_weights_it_was_given(tmp_path: Path, app_size, wait_for) -> None:
    """The real engine child: the inspector's first kernels are the file's."""
    path, state = saved_weights(tmp_path, "convnet")
    app = convnet_app_with_weights(path, tmp_path)
    async with app.run_test(size=app_size) as pilot:
        train = app.main.train
        await wait_for(pilot, lambda: train.layer_name, "the model", timeout=60)
        inspector = train.inspector
        await wait_for(
            pilot,
            lambda: inspector.kernels is not None and inspector.kernels.get("layer") == "conv1",
            "the first layer's kernels",
            timeout=60,
        )
        np.testing.assert_array_equal(inspector.kernels["weights"], state["conv1.weight"])


async def test_the_app_says_in_one_line_when_weights_do_not_fit(
    tmp_path: Path, app_size, wait_for
) -> None:
    path, _ = saved_weights(tmp_path, "lenet5")
    app = convnet_app_with_weights(path, tmp_path)
    async with app.run_test(size=app_size) as pilot:
        train = app.main.train
        await wait_for(pilot, lambda: train.state == "idle", "the failed load", timeout=60)
        await pilot.pause(0.2)
        first, *rest = str(train.inspector.message).splitlines()
        assert f"{path} does not fit model convnet" in first
        assert rest == ["Press c to choose another model."]  # the error itself is one line
        assert app.main.train.layer_name is None  # no random network shown instead
