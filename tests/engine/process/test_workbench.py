"""engine.process.workbench: the inspection ops in-process (shapes, dtypes, ranges, errors, live
mode)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine.models.registry import build_model
from engine.process.payloads import block_average
from engine.process.protocol import Request
from engine.process.workbench import Workbench
from engine.render.maps import dequantize


def _reply(bench: Workbench, op: str, **kwargs):
    return bench.handle(Request(1, op, kwargs))


def test_load_payload_has_info_summary_and_layers(bench: Workbench) -> None:
    payload = bench.load(model="lenet5")
    assert payload["info"]["name"] == "lenet5"
    assert tuple(payload["info"]["input_shape"]) == (1, 28, 28)
    assert payload["summary"]["total_params"] == 61_706
    assert payload["layers"][:3] == ["conv1", "relu1", "pool1"]
    assert [row["name"] for row in payload["summary"]["layers"]] == payload["layers"]
    assert payload["classes"] == [str(i) for i in range(10)]
    assert not bench.model.training  # loaded models are inspected in eval mode


def test_sample_image_label_and_probabilities(bench: Workbench) -> None:
    out = bench.sample(3)
    assert out["index"] == 3 and isinstance(out["label"], int)
    assert out["image"].dtype == np.uint8 and out["image"].shape == (28, 28)
    assert out["probs"].dtype == np.float32 and out["probs"].shape == (10,)
    assert out["probs"].sum() == pytest.approx(1.0, abs=1e-5)
    assert out["pred"] == int(out["probs"].argmax())
    assert bench.sample(3, split="train")["image"].shape == (28, 28)


def test_conv_kernels(bench: Workbench) -> None:
    out = bench.kernels("conv1")
    weights = out["weights"]
    assert weights.dtype == np.float32 and weights.shape == (6, 1, 5, 5)
    expected = bench.model.conv1.weight.detach().numpy()
    np.testing.assert_allclose(weights, expected)
    assert out["range"] == pytest.approx((expected.min(), expected.max()))


def test_dense_kernels_are_matrices(bench: Workbench) -> None:
    out = bench.kernels("fc1")
    assert out["weights"].shape == (120, 400) and out["weights"].dtype == np.float32


def test_large_dense_weights_are_block_averaged() -> None:
    wb = Workbench()
    wb.load(model="convnet")  # fc1 is 128 x 3136 (the mlp's fc1, fed by the image, is
    weights = wb.kernels("fc1")["weights"]  # sent whole: its rows are 28x28 templates)
    assert weights.shape == (128, 448)
    full = wb.model.fc1.weight.detach().numpy()
    np.testing.assert_allclose(
        weights, full.reshape(128, 448, 7).mean(axis=2), rtol=1e-5, atol=1e-7
    )
    assert wb.kernels("fc1")["shape"] == (128, 3136) and "template_shape" not in wb.kernels("fc1")


def test_block_average_uneven_blocks() -> None:
    matrix = np.arange(7 * 1100, dtype=np.float32).reshape(7, 1100)
    out = block_average(matrix, limit=512)
    assert out.shape == (7, 367)  # blocks of 3 columns, the last one of 2
    np.testing.assert_allclose(out[:, 0], matrix[:, :3].mean(axis=1))
    np.testing.assert_allclose(out[:, -1], matrix[:, 1098:].mean(axis=1))
    assert block_average(matrix[:, :10]).shape == (7, 10)


def test_activations_quantised_per_map(bench: Workbench) -> None:
    out = bench.activations("conv1", 5)
    assert out["maps"].dtype == np.uint8 and out["maps"].shape == (6, 28, 28)
    assert out["ranges"].dtype == np.float32 and out["ranges"].shape == (6, 2)
    assert out["shape"] == (6, 28, 28) and out["index"] == 5
    x, _, _ = bench.inputs([5])
    with torch.no_grad():
        reference = bench.model.conv1(x)[0].numpy()
    restored = dequantize(out["maps"], out["ranges"])
    span = (out["ranges"][:, 1] - out["ranges"][:, 0]).max()
    assert np.abs(restored - reference).max() <= span / 255 + 1e-5
    assert out["pred"] == bench.sample(5)["pred"]


def test_dense_activations_become_one_row(bench: Workbench) -> None:
    out = bench.activations("fc1", 0)
    assert out["maps"].shape == (1, 1, 120) and out["ranges"].shape == (1, 2)
    assert out["shape"] == (120,)


def test_activations_many(bench: Workbench) -> None:
    out = bench.activations_many("pool2", [0, 1, 2])
    assert [item["index"] for item in out["items"]] == [0, 1, 2]
    labels = bench.split("test").labels[:3].tolist()
    assert [item["label"] for item in out["items"]] == labels
    for item in out["items"]:
        assert item["maps"].shape == (16, 5, 5) and item["maps"].dtype == np.uint8
        assert isinstance(item["pred"], int)
    single = bench.activations("pool2", 1)
    np.testing.assert_array_equal(out["items"][1]["maps"], single["maps"])


def test_misclassified_finds_next_wrong_and_wraps(bench: Workbench) -> None:
    labels = bench.split("test").labels.numpy()
    preds = bench.predictions()
    assert bench.predictions() is preds  # cached for this model version
    wrong = np.flatnonzero(preds != labels)
    assert len(wrong) > 1  # an untrained network gets plenty wrong
    assert bench.misclassified(-1)["index"] == wrong[0]
    assert bench.misclassified(int(wrong[0]))["index"] == wrong[1]
    assert bench.misclassified(int(wrong[-1]))["index"] == wrong[0]  # wraps around
    first = int(wrong[0])
    assert bench.sample(first)["pred"] != bench.sample(first)["label"]


def test_custom_image(bench: Workbench, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "digit.png"
    pixels = np.zeros((40, 40), dtype=np.uint8)
    pixels[8:32, 18:22] = 255
    Image.fromarray(pixels).save(path)
    out = bench.image(str(path))
    assert out["index"] == -1 and out["label"] is None
    assert out["image"].dtype == np.uint8 and out["image"].shape == (28, 28)
    assert out["probs"].shape == (10,)
    assert bench.activations("conv1", -1)["maps"].shape == (6, 28, 28)
    items = bench.activations_many("conv1", [-1, 0])["items"]
    assert [item["label"] for item in items][0] is None


@pytest.mark.parametrize(
    ("op", "kwargs", "needle"),
    [
        ("kernels", {"layer": "conv9"}, "unknown layer 'conv9'"),
        ("kernels", {"layer": "relu1"}, "has no kernels"),
        ("activations", {"layer": "conv1", "index": 10_000}, "out of range"),
        ("activations", {"layer": "nope", "index": 0}, "unknown layer"),
        ("sample", {"index": 0, "split": "validation"}, "unknown split"),
        ("sample", {"index": "x"}, "not an integer"),
        ("load", {"checkpoint": "/nonexistent/run.pt"}, "does not exist"),
        ("load", {"model": "no-such-net"}, "unknown model"),
        ("image", {"path": "/nonexistent.png"}, "does not exist"),
        ("kernels", {"layer": "conv1", "bogus": 1}, "bad arguments"),
        ("frobnicate", {}, "unknown op"),
        ("save", {}, "nothing to save"),
    ],
)
def test_errors_are_one_line_replies(bench: Workbench, op: str, kwargs: dict, needle: str) -> None:
    reply = _reply(bench, op, **kwargs)
    assert not reply.ok and reply.payload is None
    assert needle in reply.error and "\n" not in reply.error
    assert bench.info.name == "lenet5"  # a failed load keeps the previous model


def test_bad_checkpoint_file_is_an_error_reply(bench: Workbench, tmp_path: Path) -> None:
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    reply = _reply(bench, "load", checkpoint=str(path))
    assert not reply.ok and "\n" not in reply.error
    assert bench.info.name == "lenet5"


def test_no_model_loaded() -> None:
    reply = Workbench().handle(Request(7, "kernels", {"layer": "conv1"}))
    assert not reply.ok and reply.request_id == 7 and "no model is loaded" in reply.error


def test_live_model_keeps_train_mode_and_invalidates_cache() -> None:
    model, info = build_model("c4-p-d0.5-f8")
    model.train()
    state = SimpleNamespace(model=model, info=info, global_step=1)
    wb = Workbench()
    wb.set_live(state)
    before = wb.predictions()
    assert wb.activations("conv1", 0)["maps"].shape == (4, 28, 28)
    assert wb.sample(0)["probs"].shape == (10,)
    assert model.training and all(m.training for m in model.modules())
    # eval mode during the op: dropout off, so repeated answers agree
    np.testing.assert_array_equal(wb.sample(1)["probs"], wb.sample(1)["probs"])
    assert wb.predictions() is before
    state.global_step = 2
    assert wb.predictions() is not before  # weights may have changed: recomputed
    assert not _reply(wb, "load", model="lenet5").ok  # no loading while training
    described = _reply(wb, "describe").payload  # the model being trained
    assert described["layers"][0] == "conv1" and described["info"]["name"] == "c4-p-d0.5-f8"
    wb.end_live()
    assert wb.model is model and not wb.live
