"""engine.inspect's evaluation, attribution and activation_max, and the Evaluate ops: confusion,
saliency, Grad-CAM, occlusion, act-max."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import EngineError, SpecError
from engine.inspect import activation_max, attribution, evaluation
from engine.process.protocol import OPS, Request
from engine.process.workbench import Workbench

LIMIT = 300  # test digits evaluated by the workbench tests


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def direct_predictions(bench: Workbench, count: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Labels, predictions and mean loss computed here, one digit at a time."""
    data = bench.split("test")
    preds, losses = [], []
    bench.model.eval()
    with torch.no_grad():
        for i in range(count):
            x = (data.images[i].float() / 255 - 0.1307) / 0.3081
            logits = bench.model(x[None, None])
            preds.append(int(logits.argmax()))
            losses.append(float(F.cross_entropy(logits, data.labels[i : i + 1])))
    return data.labels[:count].numpy(), np.array(preds), float(np.mean(losses))


# ------------------------------------------------------------------------ confusion


def test_confusion_matrix_counts_every_pair() -> None:
    rng = np.random.default_rng(1)
    labels, preds = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    expected = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(labels, preds, strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(evaluation.confusion_matrix(labels, preds), expected)


def test_per_class_accuracy_is_nan_for_absent_classes() -> None:
    confusion = evaluation.confusion_matrix(
        np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), classes=3
    )
    acc = evaluation.per_class_accuracy(confusion)
    assert acc[0] == pytest.approx(0.5) and acc[1] == pytest.approx(2 / 3)
    assert np.isnan(acc[2])


def test_evaluate_op_matches_a_direct_computation(bench: Workbench) -> None:
    out = bench.evaluate(limit=LIMIT)
    labels, preds, loss = direct_predictions(bench, LIMIT)
    np.testing.assert_array_equal(out["confusion"], evaluation.confusion_matrix(labels, preds))
    assert out["count"] == LIMIT and out["confusion"].sum() == LIMIT
    assert out["accuracy"] == pytest.approx(float((labels == preds).mean()))
    assert out["loss"] == pytest.approx(loss, rel=1e-4)
    assert out["wrong"] == int((labels != preds).sum())
    np.testing.assert_array_equal(out["class_counts"], np.bincount(labels, minlength=10))


def test_gallery_pages_through_one_confusion_cell(bench: Workbench) -> None:
    confusion = bench.evaluate(limit=LIMIT)["confusion"]
    off_diagonal = confusion - np.diag(np.diag(confusion))
    true, pred = np.unravel_index(int(off_diagonal.argmax()), confusion.shape)
    first = bench.gallery(int(true), int(pred), page=0, per_page=2)
    assert first["total"] == confusion[true, pred]
    seen = []
    for page in range(first["pages"]):
        out = bench.gallery(int(true), int(pred), page=page, per_page=2)
        assert out["images"].shape == (len(out["items"]), 28, 28)
        for item, image in zip(out["items"], out["images"], strict=True):
            assert (item["label"], item["pred"]) == (true, pred)
            assert 0 < item["confidence"] <= 1
            np.testing.assert_array_equal(image, bench.split().images[item["index"]].numpy())
            seen.append(item["index"])
    assert len(seen) == len(set(seen)) == confusion[true, pred]
    assert bench.gallery(int(true), int(pred), page=99, per_page=2)["page"] == first["pages"] - 1
    wrong = bench.gallery(page=0, per_page=1000)  # true and pred None: every mistake
    assert wrong["total"] == off_diagonal.sum()


# ------------------------------------------------------------------------- saliency


def test_saliency_of_a_linear_model_is_its_weight_row() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    x = torch.randn(1, 1, 28, 28)
    values, target = attribution.saliency(model, x, target=3)
    assert target == 3 and values.shape == (28, 28)
    expected = model[1].weight[3].detach().abs().reshape(28, 28).numpy()
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_saliency_op_matches_autograd(bench: Workbench) -> None:
    out = bench.saliency(5)
    x, _, _ = bench.inputs([5])
    x = x.clone().requires_grad_(True)
    bench.model.eval()
    logits = bench.model(x)
    assert out["pred"] == int(logits.argmax()) == out["target"]
    logits[0, out["target"]].backward()
    np.testing.assert_allclose(out["saliency"], x.grad[0, 0].abs().numpy(), rtol=1e-5, atol=1e-8)
    assert out["image"].dtype == np.uint8 and out["image"].shape == (28, 28)


def test_saliency_leaves_no_gradients_on_the_weights() -> None:
    wb = Workbench()
    wb.load(model="lenet5")
    wb.saliency(0)
    wb.gradcam(0)
    assert all(p.grad is None for p in wb.model.parameters())


# ------------------------------------------------------------- Grad-CAM and occlusion


def two_blob_net() -> nn.Sequential:
    """Class c's score is the total of input channel c (through an identity conv and ReLU)."""
    conv = nn.Conv2d(2, 2, 1, bias=False)
    fc = nn.Linear(2 * 16 * 16, 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(2).reshape(2, 2, 1, 1))
        fc.weight.zero_()
        fc.weight[0, : 16 * 16] = 1.0
        fc.weight[1, 16 * 16 :] = 1.0
    return nn.Sequential(OrderedDict(conv=conv, relu=nn.ReLU(), flatten=nn.Flatten(), fc=fc))


def two_blob_input() -> torch.Tensor:
    """Channel 0 bright at the top left, channel 1 bright at the bottom right."""
    x = torch.zeros(1, 2, 16, 16)
    x[0, 0, 2:6, 2:6] = 1.0
    x[0, 1, 10:14, 10:14] = 1.0
    return x


@pytest.mark.parametrize(("target", "rows", "cols"), [(0, (2, 6), (2, 6)), (1, (10, 14), (10, 14))])
def test_grad_cam_peaks_where_the_class_evidence_is(target, rows, cols) -> None:
    raw, cam, chosen, layer = attribution.grad_cam(two_blob_net(), two_blob_input(), None, target)
    assert layer == "relu" and chosen == target  # the conv's rectified output by default
    assert raw.shape == (16, 16) and cam.shape == (16, 16)
    assert (cam >= 0).all() and (raw >= 0).all() and cam.max() == pytest.approx(1.0)
    r, c = np.unravel_index(int(cam.argmax()), cam.shape)
    assert rows[0] <= r < rows[1] and cols[0] <= c < cols[1]
    other = cam[14 - rows[0] : 14 - rows[0] + 4, 14 - cols[0] : 14 - cols[0] + 4]
    assert other.max() < 0.05  # the other class's blob gets no credit


@pytest.mark.parametrize(("target", "rows", "cols"), [(0, (2, 6), (2, 6)), (1, (10, 14), (10, 14))])
def test_occlusion_is_most_sensitive_on_the_class_blob(target, rows, cols) -> None:
    values, chosen = attribution.occlusion(
        two_blob_net(), two_blob_input(), target, patch=4, stride=2, baseline=0.0
    )
    assert chosen == target and values.shape == (16, 16)
    r, c = np.unravel_index(int(values.argmax()), values.shape)
    assert rows[0] <= r < rows[1] and cols[0] <= c < cols[1]
    assert values.max() > 0.1
    assert values[0:2, 14:16].max() == pytest.approx(0.0, abs=1e-6)  # empty corner: no effect


def test_grad_cam_op_on_a_real_model(bench: Workbench) -> None:
    out = bench.gradcam(7, layer="conv1")
    assert out["layer"] == "conv1" and out["cam"].shape == (28, 28)
    assert out["raw"].shape == (28, 28) and (out["cam"] >= 0).all()
    assert out["cam"].max() <= 1.0 + 1e-6 and out["layers"] == ["relu1", "relu2"]
    assert out["convs"] == ["conv1", "conv2"] and out["empty"] == (not out["cam"].any())
    assert bench.gradcam(7)["layer"] == "relu2"  # the last conv's rectified output by default


def test_occlusion_op_shapes(bench: Workbench) -> None:
    out = bench.occlusion(3, patch=7, stride=7)
    assert out["sensitivity"].shape == (28, 28) and out["patch"] == 7
    assert out["range"][0] <= out["range"][1]


def test_grad_cam_needs_a_conv_layer() -> None:
    wb = Workbench()
    wb.load(model="mlp")
    with pytest.raises(SpecError, match="no conv layers") as info:
        wb.gradcam(0)
    assert "\n" not in str(info.value)
    with pytest.raises(SpecError, match="not a conv layer"):
        attribution.grad_cam(two_blob_net(), two_blob_input(), layer="fc")


# ------------------------------------------------------------ activation maximisation


def test_activation_maximisation_excites_the_channel(bench: Workbench) -> None:
    before = {k: v.clone() for k, v in bench.model.state_dict().items()}
    out = bench.actmax(layer="conv2", channel=4, steps=30)
    assert out["end"] > out["start"] + 0.1  # the mean of ReLU(conv2[4]) (untrained: small)
    assert out["image"].shape == (28, 28) and 0 <= out["image"].min() <= out["image"].max() <= 1
    module = bench.model.conv2
    x = (torch.from_numpy(out["image"])[None, None] - 0.1307) / 0.3081
    with torch.no_grad():
        noise = 0.1 * torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(9))
        excited = float(activation_max.channel_activation(bench.model, module, 4, x, 0.0))
        baseline = float(activation_max.channel_activation(bench.model, module, 4, noise, 0.0))
    assert excited > baseline
    for key, value in bench.model.state_dict().items():
        torch.testing.assert_close(value, before[key])  # the weights are untouched
    with pytest.raises(SpecError, match="channel 16 is out of range"):
        bench.actmax(layer="conv2", channel=16)


# ------------------------------------------------------------------------ protocol


def test_interpret_ops_are_served_by_handle(bench: Workbench) -> None:
    for op in (
        "evaluate",
        "gallery",
        "saliency",
        "gradcam",
        "occlusion",
        "actmax",
        "snapshots",
        "snapshot_kernels",
        "compare_runs",
        "export",
    ):
        assert op in OPS
    reply = bench.handle(Request(1, "gradcam", {"index": 1, "layer": "pool1"}))
    assert not reply.ok and "not a conv layer" in reply.error and "\n" not in reply.error
    reply = bench.handle(Request(2, "saliency", {"index": 10**6}))
    assert not reply.ok and "out of range" in reply.error
    reply = bench.handle(Request(3, "snapshots", {}))
    assert not reply.ok and "no run directory" in reply.error


def test_alexnet_cannot_be_evaluated_on_mnist() -> None:
    wb = Workbench()
    wb.load(model="alexnet")
    with pytest.raises(EngineError, match="inspection only"):
        wb.evaluate(limit=10)


# ---------------------------------------------------------------------- headless eval


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> str:
    """A lenet5 checkpoint after a few dozen steps on a subset (seconds on a CPU)."""
    from engine.training.config import make_config
    from engine.training.loop import train_events

    run_dir = tmp_path_factory.mktemp("tiny-run")
    config = make_config(
        "seed-lenet5",
        epochs=1,
        train_subset=1024,
        test_subset=100,
        batch_size=32,
        device="cpu",
        threads=1,
        run_dir=str(run_dir),
    )
    events = list(train_events(config))
    assert events[-1].kind == "finished", events[-1]
    return str(run_dir / "checkpoint.pt")


def test_eval_command_prints_the_same_numbers_as_json(tiny_checkpoint, capsys) -> None:
    import json

    from engine.cli.main import main
    from engine.training.checkpoint import model_from_checkpoint

    code = main(
        [
            "eval",
            "--checkpoint",
            tiny_checkpoint,
            "--confusion",
            "--misclassified",
            "4",
            "--saliency",
            "3",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    wb = Workbench()
    model, info, _ = model_from_checkpoint(tiny_checkpoint)
    wb.set_model(model, info)
    expected = wb.evaluate()
    np.testing.assert_array_equal(np.array(out["confusion"]), expected["confusion"])
    assert out["test_acc"] == pytest.approx(expected["accuracy"])
    assert sum(map(sum, out["confusion"])) == out["samples"] == 10_000
    assert len(out["misclassified"]) == 4 and out["misclassified_total"] == expected["wrong"]
    assert all(m["label"] != m["pred"] for m in out["misclassified"])
    np.testing.assert_allclose(
        np.array(out["saliency"]["values"]), wb.saliency(3)["saliency"], atol=1e-6
    )


def test_eval_command_text_and_bad_index(tiny_checkpoint, capsys) -> None:
    from engine.cli.main import main

    assert main(["eval", "--checkpoint", tiny_checkpoint, "--confusion"]) == 0
    text = capsys.readouterr().out
    assert "confusion (rows: true class, columns: predicted)" in text and "acc %" in text
    assert main(["eval", "--checkpoint", tiny_checkpoint, "--saliency", "10000"]) == 2
    err = capsys.readouterr().err
    assert "out of range" in err and len(err.strip().splitlines()) == 1
