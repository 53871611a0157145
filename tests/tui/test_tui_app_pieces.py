"""Tests of the cnn-tui pieces without a running app: the link, the header, the CLI."""

from __future__ import annotations

import pytest

from engine.process.protocol import Reply
from engine.training.config import make_config
from engine.training.events import Progress, Started
from tui import __main__ as cli
from tui.link import EngineProgress, EngineReply, Link
from tui.train.engine_routing import started_device
from tui.widgets.header import Status, status_text

# ------------------------------------------------------------------------ pieces


def test_link_keeps_one_request_per_purpose_and_the_newest_ask(fake_engine_class) -> None:
    fake = fake_engine_class()
    link = Link(factory=lambda data_dir, log_file: fake)
    link.start()
    link.want("load", "load", model="tiny")
    assert link.busy("load")
    first = link.want("kernels", "kernels", layer="conv1")
    link.want("kernels", "kernels", layer="relu1")
    link.want("kernels", "kernels", layer="conv2")
    assert first is None and [kw for op, kw in fake.sent if op == "kernels"] == [{"layer": "conv1"}]
    replies = [fake.poll(0), fake.poll(0)]
    assert link.resolve(replies[0])[0] == "load"
    assert link.resolve(replies[1]) == ("kernels", {"layer": "conv1"})
    assert [kw for op, kw in fake.sent if op == "kernels"] == [
        {"layer": "conv1"},
        {"layer": "conv2"},
    ]
    assert link.resolve(Reply(999, "sample", True, {}))[0] is None


def test_link_reports_a_dead_child_once_and_restarts(fake_engine_class) -> None:
    class Dead(fake_engine_class):
        def send(self, op, **kwargs):
            raise OSError("[Errno 32] Broken pipe")

    engines = [Dead(), fake_engine_class()]
    told: list[str] = []
    link = Link(factory=lambda data_dir, log_file: engines.pop(0), on_lost=told.append)
    link.start()
    assert link.request("kernels", "kernels", layer="conv1") is None
    link.stop()
    assert link.train(make_config("fast")) is None
    assert len(told) == 1 and "Broken pipe" in told[0] and not link.alive
    link.start()  # a fresh child
    assert link.alive and link.request("load", "load", model="tiny") is not None


def test_progress_messages_merge() -> None:
    def progress(step: int) -> Progress:
        return Progress(
            epoch=0,
            step=step,
            steps_per_epoch=10,
            global_step=step,
            loss=1.0,
            acc=0.5,
            lr=0.1,
            samples_per_sec=1.0,
            elapsed=0.0,
        )

    older, newer = EngineProgress(progress(1)), EngineProgress(progress(2))
    assert older.can_replace(newer)
    assert not older.can_replace(EngineReply(Reply(1, "sample", True, {})))


def test_header_drops_speed_before_accuracy_when_narrow() -> None:
    status = Status(
        model="fast-net",
        device="cpu",
        state="training",
        epoch=1,
        epochs=2,
        step=10,
        steps=235,
        samples_per_sec=2310.0,
        test_acc=0.9812,
    )
    wide = status_text(status, 200).plain
    assert all(
        part in wide
        for part in (
            "fast-net",
            "cpu",
            "training",
            "epoch 1/2 step 10/235",
            "2,310 samples/s",
            "test acc 98.12%",
        )
    )
    narrow = status_text(status, 80).plain
    assert "test acc 98.12%" in narrow and "samples/s" not in narrow
    assert len(narrow) <= 80


def test_header_device_names_a_lower_precision() -> None:
    started = Started(run_dir="r", model="fast-net", device="cpu", epochs=1, steps_per_epoch=9)
    assert started_device(started) == {"device": "cpu", "precision": "float32"}
    bf16 = Started(
        **{**started.__dict__, "precision": "bfloat16 autocast", "device_name": "cuda:0 (H200)"}
    )
    assert started_device(bf16) == {"device": "cuda:0 (H200)", "precision": "bf16"}
    shown = status_text(Status(model="fast-net", state="training", **started_device(bf16)), 120)
    assert "cuda:0 (H200) bf16" in shown.plain


def test_fake_engine_digits_are_mnist(mnist_test_digits) -> None:
    images, labels = mnist_test_digits()
    assert images.shape == (10000, 28, 28) and labels[0] == 7


# -------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--checkpoint", "/nonexistent.pt"], "checkpoint /nonexistent.pt does not exist"),
        (["--image", "/nonexistent.png"], "--image /nonexistent.png: no such file"),
        (["--data-dir", "/nonexistent"], "--data-dir /nonexistent: no such folder"),
        (["--device", "gpu"], "--device gpu: use auto, cpu, cuda or cuda:N"),
        (["--recipe", "slow"], "argument --recipe: invalid choice"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--epochs", "0"], "0 must be at least 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cnn-tui: error:") and message in err


def test_cuda_without_a_gpu_driver_exits_2_before_the_app(monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli, "gpu_driver_present", lambda: False)
    with pytest.raises(SystemExit) as exc:
        cli.main(["--device", "cuda:0"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1
    assert "CUDA requested but this machine has no GPU driver" in err and "--device cpu" in err
    monkeypatch.setattr(cli, "gpu_driver_present", lambda: True)  # then the engine decides
    assert cli.check_paths(cli.build_parser().parse_args(["--device", "cuda"])) is None


def test_gpu_driver_detection_reads_the_device_files(monkeypatch) -> None:
    monkeypatch.setattr(cli.sys, "platform", "darwin")
    assert not cli.gpu_driver_present()
    monkeypatch.setattr(cli.sys, "platform", "linux")
    present = set()
    monkeypatch.setattr(cli.Path, "exists", lambda path: str(path) in present)
    monkeypatch.setattr(cli.Path, "glob", lambda path, pattern: iter(()))
    assert not cli.gpu_driver_present()
    present.add("/dev/kfd")  # ROCm, which torch drives through torch.cuda too
    assert cli.gpu_driver_present()


def test_options_from_arguments(tmp_path) -> None:
    args = cli.build_parser().parse_args(
        [
            "--recipe",
            "seed-lenet5",
            "--device",
            "cpu",
            "--run-dir",
            str(tmp_path / "r"),
            "--train-subset",
            "2048",
            "--epochs",
            "1",
            "--ascii",
        ]
    )
    options = cli.options_from_args(args)
    config = options.config
    assert (config.model, config.optimizer, config.epochs, config.train_subset) == (
        "lenet5",
        "sgd",
        1,
        2048,
    )
    assert config.run_dir == str((tmp_path / "r").resolve()) and options.ascii
    args = cli.build_parser().parse_args(["--model", "c8-p-f10"])
    assert cli.options_from_args(args).config.model == "c8-p-f10"


def test_help_mentions_every_public_option() -> None:
    text = cli.build_parser().format_help()
    for option in (
        "--model",
        "--recipe",
        "--device",
        "--checkpoint",
        "--run-dir",
        "--data-dir",
        "--image",
        "--weights",
        "--ascii",
    ):
        assert option in text
    assert "--train-subset" not in text
