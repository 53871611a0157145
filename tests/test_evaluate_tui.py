"""The Evaluate tab (tui.evaluate.EvaluatePane) in the real app with Pilot: every key, the
requests it sends, the replies it draws, the inspector hand-off; and the torch-free import."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fake_engine import FakeEngine, mnist_test_digits
from textual.widgets import Static, TabbedContent

from engine.config import make_config
from engine.interpret import cell_indices, confusion_matrix, per_class_accuracy
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate import EvaluatePane
from tui.evaluate_views import ConfusionMatrix, matrix_text, thumbnails_per_page
from tui.widgets import HeatmapGrid

SIZE = (100, 32)


class EvalFakeEngine(FakeEngine):
    """FakeEngine plus the Evaluate ops, consistent with its ``sample`` op (every 7th digit
    is predicted as the next class)."""

    def predictions(self) -> tuple[np.ndarray, np.ndarray]:
        labels = mnist_test_digits()[1].astype(np.int64)
        preds = labels.copy()
        preds[::7] = (labels[::7] + 1) % 10
        return labels, preds

    def op_evaluate(self, split: str = "test", limit: int | None = None) -> dict:
        labels, preds = self.predictions()
        confusion = confusion_matrix(labels, preds)
        return {
            "split": split,
            "count": len(labels),
            "loss": 0.25,
            "accuracy": float((labels == preds).mean()),
            "confusion": confusion,
            "per_class": per_class_accuracy(confusion),
            "class_counts": confusion.sum(axis=1),
            "wrong": int((labels != preds).sum()),
        }

    def op_gallery(self, true=None, pred=None, page=0, per_page=12, split="test") -> dict:
        labels, preds = self.predictions()
        indices = cell_indices(labels, preds, true, pred)
        pages = max(1, -(-len(indices) // per_page))
        chosen = indices[page * per_page : (page + 1) * per_page]
        items = [
            {"index": int(i), "label": int(labels[i]), "pred": int(preds[i]), "confidence": 0.8}
            for i in chosen
        ]
        return {
            "true": true,
            "pred": pred,
            "page": page,
            "pages": pages,
            "total": len(indices),
            "per_page": per_page,
            "split": split,
            "items": items,
            "images": mnist_test_digits()[0][chosen],
        }

    def _digit(self, index: int, target) -> dict:
        labels, preds = self.predictions()
        return {
            "index": index,
            "split": "test",
            "image": mnist_test_digits()[0][index],
            "label": int(labels[index]),
            "pred": int(preds[index]),
            "confidence": 0.8,
            "target": int(preds[index]) if target is None else int(target),
        }

    def op_saliency(self, index, target=None, split="test") -> dict:
        values = mnist_test_digits()[0][index].astype(np.float32) / 255
        return {**self._digit(index, target), "saliency": values, "range": (0.0, 1.0)}

    def op_gradcam(self, index, layer=None, target=None, split="test") -> dict:
        if layer not in (None, "conv1", "conv2"):
            raise ValueError(f"layer {layer!r} is not a conv layer; use one of conv1, conv2")
        cam = np.zeros((28, 28), np.float32)
        cam[10:18, 10:18] = 1
        return {
            **self._digit(index, target),
            "layer": layer or "conv2",
            "cam": cam,
            "raw": cam[::4, ::4],
            "layers": ["conv1", "conv2"],
        }

    def op_occlusion(self, index, target=None, patch=6, stride=2, split="test") -> dict:
        values = np.linspace(-0.2, 0.5, 784, dtype=np.float32).reshape(28, 28)
        return {
            **self._digit(index, target),
            "sensitivity": values,
            "patch": patch,
            "stride": stride,
            "range": (-0.2, 0.5),
        }

    def op_actmax(self, layer=None, channel=0, steps=60, lr=0.1, l2=1e-3, seed=0) -> dict:
        layer = layer or "conv2"
        channels = 8 if layer == "conv1" else 16
        image = np.full((28, 28), channel / channels, np.float32)
        return {
            "layer": layer,
            "channel": channel,
            "channels": channels,
            "layers": ["conv1", "conv2"],
            "image": image,
            "start": 0.1,
            "end": 2.5,
        }

    def op_export(self, name, run_dir=None, fallback_dir=None, **parts) -> dict:
        folder = run_dir or fallback_dir or self.run_dir
        names = [
            f"{name}-{part}" for kind in parts.values() if isinstance(kind, dict) for part in kind
        ]
        return {
            "paths": [f"{folder}/exports/{n}.png" for n in names],
            "folder": f"{folder}/exports",
        }


def make_app(**options) -> tuple[CnnTuiApp, EvalFakeEngine]:
    fake = EvalFakeEngine()
    config = make_config("fast", model="tiny", epochs=1)
    app = CnnTuiApp(
        AppOptions(config=config, seed=7, color_mode="truecolor", **options),
        engine_factory=lambda data_dir, log_file: fake,
    )
    return app, fake


async def wait_for(pilot, condition, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def open_tab(pilot) -> EvaluatePane:
    app = pilot.app
    await wait_for(pilot, lambda: app.main.state == "idle" and app.main.layer_name, "the model")
    await pilot.press("3")
    pane = app.main.query_one(EvaluatePane)
    await wait_for(pilot, lambda: pane.evaluation is not None, "the evaluation")
    return pane


async def open_mistakes(pilot, pane: EvaluatePane, timeout: float = 10.0) -> None:
    """Press w (every misclassified digit) and wait for the gallery to arrive."""
    await pilot.press("w")
    await wait_for(pilot, lambda: pane.gallery is not None, "the gallery", timeout=timeout)


def sent(fake: FakeEngine, op: str) -> list[dict]:
    return [kwargs for name, kwargs in fake.sent if name == op]


def text(pane: EvaluatePane, selector: str) -> str:
    content = pane.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)


async def test_tab_shows_accuracy_and_confusion_matrix() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        assert app.main.query_one(TabbedContent).active == "evaluate"
        assert app.focused is pane
        labels, preds = fake.predictions()
        accuracy = 100 * (labels == preds).mean()
        assert f"accuracy {accuracy:.2f}%" in text(pane, "#eval-summary")
        assert f"{int((labels != preds).sum()):,} wrong" in text(pane, "#eval-summary")
        matrix = pane.query_one(ConfusionMatrix)
        np.testing.assert_array_equal(matrix.confusion, confusion_matrix(labels, preds))
        drawn = matrix.render().plain.splitlines()
        assert len(drawn) == 11  # a header and ten classes
        row3 = drawn[4].split()
        assert row3[0] == "3" and int(row3[5]) == int(((labels == 3) & (preds == 4)).sum())
        assert row3[-1].endswith("%")


async def test_cursor_enter_opens_the_cell_gallery_and_pages() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("down", "down", "right", "right", "right", "j", "l", "left")
        assert pane.query_one(ConfusionMatrix).cursor == (3, 3)
        await pilot.press("right")
        assert pane.query_one(ConfusionMatrix).cursor == (3, 4)
        assert "true 3, predicted 4" in text(pane, "#eval-cell")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.gallery is not None, "the gallery")
        request = sent(fake, "gallery")[-1]
        assert (request["true"], request["pred"], request["page"]) == (3, 4, 0)
        assert pane.view == "gallery" and pane.has_class("-pictures")
        grid = pane.query_one(HeatmapGrid)
        assert (
            grid.count
            == len(pane.gallery["items"])
            == min(pane.gallery["total"], request["per_page"])
        )
        assert all("3→4✗" in title for title in grid.titles)
        assert grid.model.highlight[0] == 0
        await pilot.press("right")
        assert pane.selected == 1 and grid.model.highlight[0] == 1
        await pilot.press("escape")
        assert pane.view == "matrix" and not pane.has_class("-pictures")


async def test_mistakes_gallery_pages_with_keys() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        await open_mistakes(pilot, pane)
        first = pane.gallery
        assert sent(fake, "gallery")[-1]["true"] is None and first["pages"] > 1
        await pilot.press("n")
        await wait_for(pilot, lambda: pane.gallery["page"] == 1, "page 2")
        assert pane.gallery["items"][0]["index"] != first["items"][0]["index"]
        assert "page 2/" in pane.query_one(HeatmapGrid).model.caption
        await pilot.press("p", "p")
        await wait_for(pilot, lambda: pane.gallery["page"] == 0, "page 1")
        assert [kw["page"] for kw in sent(fake, "gallery")] == [0, 1, 0]


async def test_explaining_a_digit_and_sending_it_to_the_inspector() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        await open_mistakes(pilot, pane)
        await pilot.press("right", "enter")
        index = pane.gallery["items"][1]["index"]
        await wait_for(pilot, lambda: len(pane.digit) == 3, "saliency, Grad-CAM, occlusion")
        assert pane.view == "digit" and pane.digit_index == index
        for op in ("saliency", "gradcam", "occlusion"):
            assert sent(fake, op)[-1]["index"] == index and sent(fake, op)[-1]["target"] is None
        grid = pane.query_one(HeatmapGrid)
        assert grid.count == 4 and grid.model.rgb
        assert grid.titles[1:] == ["saliency", "Grad-CAM conv2", "occlusion"]
        await pilot.press("g")
        await wait_for(
            pilot,
            lambda: pane.gradcam_layer == "conv1" and "gradcam" in pane.digit,
            "Grad-CAM of conv1",
        )
        assert sent(fake, "gradcam")[-1]["layer"] == "conv1"
        await pilot.press("v")  # explain the true class instead of the prediction
        label = int(fake.predictions()[0][index])
        await wait_for(pilot, lambda: len(pane.digit) == 3, "the true-class views")
        assert sent(fake, "saliency")[-1]["target"] == label
        assert f"why class {label}" in grid.model.caption
        await pilot.press("escape")
        assert pane.view == "gallery"
        await pilot.press("enter")
        await pilot.press("i")
        await wait_for(pilot, lambda: app.main.active_tab == "train", "the inspector tab")
        assert app.main.sample_index == index
        await wait_for(
            pilot,
            lambda: ("sample", {"index": index}) in fake.sent,
            "the inspector's sample request",
        )


async def test_activation_maximisation_view_keys() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.actmax_payload is not None, "act-max")
        assert pane.view == "actmax" and sent(fake, "actmax")[-1] == {"layer": None, "channel": 0}
        grid = pane.query_one(HeatmapGrid)
        assert "conv2 channel 1/16" in grid.model.caption and "→ 2.5" in grid.model.caption
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: pane.actmax_payload["channel"] == 2, "channel 3")
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: pane.actmax_payload["channel"] == 15, "wrap to 16")
        await pilot.press("g")
        await wait_for(pilot, lambda: pane.actmax_payload["layer"] == "conv1", "conv1")
        assert sent(fake, "actmax")[-1] == {"layer": "conv1", "channel": 0}
        await pilot.press("escape")
        assert pane.view == "matrix"


async def test_export_key_sends_the_view_and_reports_where(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"x")
    app, fake = make_app(checkpoint=str(checkpoint))
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export")
        request = sent(fake, "export")[-1]
        assert request["name"] == "confusion" and request["fallback_dir"] == str(tmp_path / "run")
        assert request["heatmaps"]["matrix"].shape == (10, 10)
        rows = request["tables"]["matrix"]["rows"]
        assert [row[0] for row in rows] == list(range(10)) and len(rows[0]) == 12
        assert f"to {tmp_path / 'run' / 'exports'}" in pane.status
        assert any("Exported" in n.message for n in app._notifications)


async def test_engine_errors_show_in_the_tab() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_tab(pilot)
        pane.gradcam_layer = "pool1"  # as if the model had changed under the tab
        pane.digit_index = 5
        pane.view = "digit"
        await pilot.press("v")
        await wait_for(pilot, lambda: "not a conv layer" in pane.status, "the error")
        assert "not a conv layer" in text(pane, "#eval-status")
        assert app.main.state == "idle"  # the rest of the app is untouched


async def test_update_key_evaluates_again_and_global_keys_still_work() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot)
        count = len(sent(fake, "evaluate"))
        await pilot.press("u")
        await wait_for(pilot, lambda: len(sent(fake, "evaluate")) == count + 1, "re-evaluation")
        await pilot.press("1")
        assert app.main.active_tab == "train"


def test_matrix_text_marks_the_cursor_and_zeros() -> None:
    confusion = np.diag(np.arange(1, 11)) + np.eye(10, k=1, dtype=np.int64)
    drawn = matrix_text(confusion, [1.0] * 10, (2, 3), "ascii").plain.splitlines()
    assert drawn[3].split()[:4] == ["2", "·", "·", "3"] and "[  1]" in drawn[3]
    assert drawn[1].split()[:4] == ["0", "1", "1", "·"]  # zeros are dots
    assert thumbnails_per_page(80, 17) == 10


def test_importing_the_tab_leaves_torch_out() -> None:
    code = "import sys; import tui.evaluate, tui.compare; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


@pytest.mark.parametrize("mode", ["truecolor", "256", "ascii"])
def test_every_colour_mode_draws_the_matrix(mode: str) -> None:
    confusion = np.arange(100).reshape(10, 10)
    drawn = matrix_text(confusion, np.linspace(0, 1, 10), (0, 0), mode)
    assert drawn.plain.splitlines()[10].split()[1:11] == [str(v) for v in range(90, 100)]


# ------------------------------------------------------------------------ compare runs


class CompareFakeEngine(EvalFakeEngine):
    def op_compare_runs(self, dirs) -> dict:
        from engine.errors import EngineError
        from engine.history import compare_runs

        try:
            return {"runs": compare_runs(dirs)}
        except EngineError as exc:  # the fake reports failures as ValueError
            raise ValueError(str(exc)) from None


def fake_run(folder: Path, model: str, params: int, accs: list[float]) -> Path:
    """A run directory with a history index (kernels: one tiny layer)."""
    from engine.history import write_snapshot

    for epoch, acc in enumerate(accs, start=1):
        write_snapshot(
            folder,
            epoch,
            {"conv1": np.zeros((2, 1, 3, 3), np.float32)},
            {"test_acc": acc, "train_loss": 1 / epoch, "seconds": 2.0, "elapsed": 2.0 * epoch},
            {"model": model, "params": params, "config": {"model": model}},
        )
    return folder


async def test_compare_view_from_the_command_line_options(tmp_path: Path) -> None:
    cnn = fake_run(tmp_path / "cnn", "convnet", 421_642, [0.97, 0.985, 0.99])
    mlp = fake_run(tmp_path / "mlp", "mlp", 669_706, [0.95, 0.97])
    fake = CompareFakeEngine()
    app = CnnTuiApp(
        AppOptions(
            config=make_config("fast", model="tiny"), color_mode="256", compare=(str(cnn), str(mlp))
        ),
        engine_factory=lambda data_dir, log_file: fake,
    )
    from textual.widgets import DataTable

    from tui.compare import CompareScreen

    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        screen = app.screen
        await wait_for(pilot, lambda: screen.runs, "the runs")
        assert sent(fake, "compare_runs")[-1] == {"dirs": [str(cnn), str(mlp)]}
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(0)] == [
            "cnn",
            "convnet",
            "421,642",
            "3",
            "99.00%",
            "99.00%",
            "6.0s",
        ]
        assert [str(c) for c in table.get_row_at(1)][4] == "97.00%"
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.exported, "the export")
        request = sent(fake, "export")[-1]
        assert request["run_dir"] == str(cnn) and request["name"] == "compare"
        assert [row["run"] for row in request["tables"]["curves"]] == ["cnn"] * 3 + ["mlp"] * 2
        assert request["tables"]["runs"][1]["final_acc"] == 0.97
        await pilot.press("escape")
        assert app.screen is app.main


async def test_compare_view_reports_a_foreign_run(tmp_path: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "history").mkdir()
    (foreign / "history" / "index.json").write_text('{"format": "other"}')
    fake = CompareFakeEngine()
    app = CnnTuiApp(
        AppOptions(config=make_config("fast", model="tiny"), compare=(str(foreign),)),
        engine_factory=lambda data_dir, log_file: fake,
    )
    from tui.compare import CompareScreen

    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        await wait_for(
            pilot, lambda: "not a cnn-tui history index" in app.screen.status, "the message"
        )


def test_compare_option_checks_the_run_directories(tmp_path: Path, capsys) -> None:
    from tui import __main__ as cli

    for bad, message in (
        (tmp_path / "missing", "does not exist"),
        (tmp_path, "is not a cnn-tui run directory"),
    ):
        with pytest.raises(SystemExit) as info:
            cli.main(["--compare", str(bad)])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert message in err and str(bad) in err and len(err.strip().splitlines()) == 1
    run = fake_run(tmp_path / "run", "mlp", 1, [0.5])
    args = cli.build_parser().parse_args(["--compare", str(run), str(run)])
    assert cli.check_paths(args) is None
    assert cli.options_from_args(args).compare == (str(run), str(run))


async def test_real_engine_child_answers_the_tab(tmp_path: Path) -> None:
    """The same keys against the real child process and a tiny checkpoint (a few seconds)."""
    from engine.trainer import train_events

    config = make_config(
        "seed-lenet5",
        epochs=1,
        train_subset=256,
        test_subset=50,
        batch_size=64,
        device="cpu",
        threads=1,
        run_dir=str(tmp_path / "run"),
    )
    assert list(train_events(config))[-1].kind == "finished"
    checkpoint = str(tmp_path / "run" / "checkpoint.pt")
    app = CnnTuiApp(
        AppOptions(
            config=config,
            checkpoint=checkpoint,
            color_mode="256",
            log_file=str(tmp_path / "engine.log"),
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: app.main.state == "idle" and app.main.layer_name,
            "the checkpoint",
            timeout=60,
        )
        await pilot.press("3")
        pane = app.main.query_one(EvaluatePane)
        await wait_for(pilot, lambda: pane.evaluation is not None, "evaluation", timeout=60)
        assert pane.evaluation["count"] == 10_000
        assert pane.evaluation["confusion"].sum() == 10_000
        await open_mistakes(pilot, pane, timeout=30)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.digit) == 3, "the digit views", timeout=30)
        assert pane.digit["gradcam"]["layers"] == ["conv1", "conv2"]
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.exported, "the export", timeout=30)
        assert all(
            Path(p).is_file() and Path(p).parent == tmp_path / "run" / "exports"
            for p in pane.exported
        )
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.actmax_payload is not None, "act-max", timeout=30)
        assert pane.actmax_payload["end"] > pane.actmax_payload["start"]


# ------------------------------------------------------------- kernel history (inspector)


class HistoryFakeEngine(EvalFakeEngine):
    """Serves ``snapshots`` and ``snapshot_kernels`` from real history files (torch-free)."""

    def op_snapshots(self, run_dir=None) -> dict:
        from engine import history

        return {
            "run_dir": run_dir,
            "epochs": history.list_snapshots(run_dir),
            "layers": ["conv1"],
            "metrics": history.load_history(run_dir).epochs,
        }

    def op_snapshot_kernels(self, layer, epoch, run_dir=None, base_epoch=None) -> dict:
        from engine import history

        weights = (
            history.snapshot_layer(run_dir, epoch, layer)
            if base_epoch is None
            else history.kernel_delta(run_dir, layer, base_epoch, epoch)
        )
        return {
            "layer": layer,
            "weights": weights,
            "range": (float(weights.min()), float(weights.max())),
            "shape": weights.shape,
            "epoch": epoch,
            "base_epoch": base_epoch,
            "delta": base_epoch is not None,
        }


def kernels_at(epoch: int) -> np.ndarray:
    offsets = np.arange(8, dtype=np.float32).reshape(8, 1, 1, 1)
    return np.full((8, 1, 3, 3), 0.1 * epoch, np.float32) + offsets


async def test_inspector_steps_through_kernel_snapshots(tmp_path: Path) -> None:
    from engine.history import write_snapshot
    from tui.widgets import Inspector

    run = tmp_path / "run"
    for epoch in (1, 2, 3):
        write_snapshot(
            run,
            epoch,
            {"conv1": kernels_at(epoch)},
            {"test_acc": 0.5},
            {"model": "tiny", "params": 80},
        )
    (run / "checkpoint.pt").write_bytes(b"x")
    fake = HistoryFakeEngine()
    app = CnnTuiApp(
        AppOptions(
            config=make_config("fast", model="tiny"),
            color_mode="256",
            checkpoint=str(run / "checkpoint.pt"),
        ),
        engine_factory=lambda data_dir, log_file: fake,
    )
    async with app.run_test(size=SIZE) as pilot:
        main = app.main
        await wait_for(pilot, lambda: main.state == "idle" and main.layer_name == "conv1", "load")
        inspector = main.query_one(Inspector)

        async def shown(epoch, what: str) -> None:
            await wait_for(
                pilot,
                lambda: inspector.kernels is not None and inspector.kernels.get("epoch") == epoch,
                what,
            )

        await pilot.press("e")
        await shown(3, "the last snapshot")
        assert sent(fake, "snapshots")[-1] == {"run_dir": str(run)}
        np.testing.assert_array_equal(inspector.kernels["weights"], kernels_at(3))
        assert inspector.message.startswith("kernels after epoch 3 of 3")
        await pilot.press("e")
        await shown(2, "epoch 2")
        await pilot.press("x")
        await wait_for(pilot, lambda: inspector.kernels.get("delta"), "the change")
        np.testing.assert_allclose(
            inspector.kernels["weights"], kernels_at(2) - kernels_at(1), atol=1e-6
        )
        assert inspector.message.startswith("kernel change from epoch 1 to 2")
        await pilot.press("x", "E", "E")
        await wait_for(
            pilot,
            lambda: sent(fake, "kernels") and fake.sent[-1][0] == "kernels",
            "the live weights again",
        )
        assert main.snapshots.epoch is None and inspector.message == ""


def test_kernel_snapshot_stepping_rules() -> None:
    from tui.compare import KernelSnapshots

    snaps = KernelSnapshots("run", [1, 2, 5])
    snaps.step(1)
    assert snaps.epoch is None  # forward from live stays live
    snaps.step(-1)
    assert snaps.epoch == 5 and snaps.kernels_request("conv1")[0] == "snapshot_kernels"
    snaps.step(-5)
    assert snaps.epoch == 1
    snaps.delta = True
    assert snaps.base_epoch is None and "no change to show" in snaps.note()
    snaps.step(1)
    assert snaps.base_epoch == 1 and snaps.kernels_request("c")[1]["base_epoch"] == 1
    snaps.step(2)
    assert snaps.epoch is None and snaps.kernels_request("c") == ("kernels", {"layer": "c"})
