"""Speed work (issue 6): the FLOP count behind the efficiency bench, the CUDA path's choices
(checked on the CPU: no GPU here), throttled metric reads, and a torch-free first paint."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from engine.bench.efficiency import matmul_round, training_flops_per_sample
from engine.inspect.summary import summarize
from engine.models.registry import build_model
from engine.training import build as train_state
from engine.training import device as device_mod
from engine.training import loop as trainer
from engine.training import steps
from engine.training.accel import (
    Precision,
    autocast_dtype,
    backward_step,
    checks_loss_every_step,
    keep_freed_memory,
    make_precision,
    needs_grad_scaler,
    optimizer_options,
    prepare_device,
    warms_up,
)
from engine.training.build import build_state, warm_up_state
from engine.training.config import make_config
from engine.training.events import Finished, Progress, Started
from engine.training.loop import train_events
from engine.training.steps import make_optimizer, train_step

REPO = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------ FLOP count


def test_conv_macs_match_a_hand_count_and_training_flops_are_six_per_mac() -> None:
    model, info = build_model("convnet")
    layers = {row.name: row for row in summarize(model, info.input_shape).layers}
    # convnet's conv2: 32 -> 64 channels, 3x3, padding 1, on the 14x14 maps left by pool1.
    weights_macs = 64 * 32 * 3 * 3 * 14 * 14  # one MAC per weight per output position
    bias_adds = 64 * 14 * 14
    assert layers["conv2"].macs == weights_macs + bias_adds == 3_625_216
    # Forward 2 FLOPs per MAC; backward twice the forward (input and weight gradients).
    assert training_flops_per_sample(layers["conv2"].macs) == 3 * 2 * 3_625_216


def test_dense_macs_match_a_hand_count() -> None:
    model, info = build_model("convnet")
    layers = {row.name: row for row in summarize(model, info.input_shape).layers}
    assert layers["fc1"].macs == 64 * 7 * 7 * 128 + 128


def test_matmul_round_reports_positive_gflops() -> None:
    assert matmul_round(size=64, repeats=2)() > 0


# ------------------------------------------------------------------ GPU path, checked on the CPU


def test_autocast_dtype_prefers_bf16_then_fp16_and_leaves_the_cpu_in_float32() -> None:
    assert autocast_dtype("cuda", bf16_supported=True) == torch.bfloat16
    assert autocast_dtype("cuda", bf16_supported=False) == torch.float16
    assert autocast_dtype("cpu", bf16_supported=True) is None
    assert needs_grad_scaler(torch.float16)
    assert not needs_grad_scaler(torch.bfloat16) and not needs_grad_scaler(None)


@pytest.mark.filterwarnings("ignore:torch.cuda.amp.GradScaler is enabled")
@pytest.mark.parametrize(
    ("bf16", "dtype", "scaled"), [(True, torch.bfloat16, False), (False, torch.float16, True)]
)
def test_make_precision_for_cuda(monkeypatch, bf16, dtype, scaled) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    plan = make_precision(torch.device("cuda"))
    assert plan.dtype == dtype and (plan.scaler is not None) == scaled
    assert plan.device_type == "cuda"
    cpu = make_precision(torch.device("cpu"))
    assert cpu.dtype is None and cpu.scaler is None and cpu.describe() == "float32"


def test_cuda_switches(monkeypatch) -> None:
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    prepare_device(torch.device("cpu"))
    assert torch.backends.cudnn.benchmark is False
    prepare_device(torch.device("cuda"))
    assert torch.backends.cudnn.benchmark is True
    assert optimizer_options(torch.device("cuda")) == {"fused": True}
    assert optimizer_options(torch.device("cpu")) == {"fused": True}
    assert checks_loss_every_step(torch.device("cpu"))
    assert not checks_loss_every_step(torch.device("cuda"))


def test_cpu_training_uses_a_fused_optimizer_and_keeps_freed_memory() -> None:
    model, _ = build_model("c4-p-f16")
    for name in ("adam", "sgd"):
        optimizer = make_optimizer(model, make_config("fast", model="c4-p-f16", optimizer=name))
        assert optimizer.param_groups[0]["fused"] is True
    if sys.platform == "linux":  # glibc's mallopt exists there
        assert keep_freed_memory()


def test_auto_device_picks_cuda_when_available_and_falls_back(monkeypatch) -> None:
    monkeypatch.setattr(device_mod, "cuda_available", lambda: True)
    assert device_mod.resolve_device("auto").type == "cuda"
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    assert device_mod.resolve_device("auto").type == "cpu"


def _step_inputs(seed: int = 0):
    torch.manual_seed(seed)
    model, _ = build_model("c4-p-f16")
    images = torch.randint(0, 255, (32, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (32,))
    return model, images, labels


def test_autocast_step_runs_in_low_precision_and_returns_a_float_loss() -> None:
    # CPU autocast stands in for CUDA's: same code path, bf16 matmuls, float32 loss.
    model, images, labels = _step_inputs()
    dtypes: list[torch.dtype] = []
    model[0].register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    before = model[0].weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss, correct = train_step(
        model, optimizer, None, images, labels, precision=Precision("cpu", torch.bfloat16)
    )
    assert dtypes == [torch.bfloat16] and loss.dtype == torch.float32
    assert 0 <= int(correct) <= 32 and not torch.equal(before, model[0].weight)


def test_the_scaler_path_takes_the_same_step_as_the_plain_one() -> None:
    results = []
    for scaler in (None, torch.amp.GradScaler("cpu", init_scale=1024.0)):
        model, images, labels = _step_inputs()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        train_step(model, optimizer, None, images, labels, precision=Precision("cpu", None, scaler))
        results.append(model[0].weight.detach().clone())
    assert torch.allclose(results[0], results[1], atol=1e-6)


def test_backward_step_without_a_plan_is_plain_backward_and_step() -> None:
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.SGD([weight], lr=0.5)
    backward_step((weight * 2).sum(), optimizer, None)
    assert torch.allclose(weight.detach(), torch.zeros(3))


class FakeClock:
    """perf_counter advancing 20 ms per call: slow steps, without waiting for them."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.02
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_metrics_are_read_a_few_times_a_second_not_every_step(monkeypatch, tmp_path) -> None:
    reads = []
    monkeypatch.setattr(trainer, "time", FakeClock())
    # Running sums stay on the device; count the host reads (float() and .item()).
    original = torch.Tensor.__float__

    def counted(self: torch.Tensor) -> float:
        reads.append(1)
        return original(self)

    original_item = torch.Tensor.item

    def counted_item(self: torch.Tensor) -> float:
        reads.append(1)
        return original_item(self)

    monkeypatch.setattr(torch.Tensor, "__float__", counted)
    monkeypatch.setattr(torch.Tensor, "item", counted_item)
    monkeypatch.setattr(torch.Tensor, "__int__", lambda t: reads.append(1) or int(original(t)))
    monkeypatch.setattr(trainer, "checks_loss_every_step", lambda device: False)  # as on CUDA
    # SGD: CPU Adam reads its step counter on the host (on CUDA the fused Adam does not).
    config = make_config(
        "fast",
        model="c4-p-f16",
        optimizer="sgd",
        epochs=1,
        batch_size=16,
        train_subset=512,
        test_subset=64,
        threads=1,
        channels_last=False,
        run_dir=str(tmp_path / "run"),
    )
    steps = 512 // 16
    progress, reads_at = [], {}
    for event in train_events(config):
        if isinstance(event, Started):
            reads_at["start"] = len(reads)
        elif isinstance(event, Progress):
            progress.append(event)
            reads_at["last progress"] = len(reads)
    # A step costs about 60 ms of fake time, so Progress (and the reads of the running sums
    # behind it) comes every fourth or fifth step (PROGRESS_INTERVAL), not every step.
    assert 0 < len(progress) <= steps // 3
    training_reads = reads_at["last progress"] - reads_at["start"]
    assert training_reads <= 2 * len(progress) < steps


# ------------------------------------------------------------------ warm-up (CUDA's, run here)


@pytest.fixture
def warm_up_config(tiny_config):
    """Batch norm, dropout and augmentation: all that a warm-up could disturb; 200 digits make
    a full batch of 64 and a last one of 8."""
    return lambda name: tiny_config(
        name, model="c4b-p-d0.3-f16b", augment="shift-rotate", train_subset=200, test_subset=64
    )


def test_warm_up_steps_a_copy_at_both_batch_shapes_and_leaves_the_run_untouched(
    monkeypatch, tmp_path, warm_up_config
) -> None:
    state = build_state(warm_up_config("run"), None)
    before = {k: v.clone() for k, v in state.model.state_dict().items()}
    rng = torch.get_rng_state()
    shapes: list[int] = []
    real_step = steps.train_step
    monkeypatch.setattr(
        steps, "train_step", lambda m, o, s, images, *a, **k: shapes.append(len(images))
        or real_step(m, o, s, images, *a, **k),
    )  # fmt: skip
    warm_up_state(state)
    assert sorted(shapes) == [200 % 64, 64]  # the last partial batch and a full one
    after = state.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN statistics
    assert state.optimizer.state_dict()["state"] == {} and torch.equal(torch.get_rng_state(), rng)


def test_a_warmed_up_run_trains_exactly_like_a_cold_one(
    monkeypatch, tmp_path, warm_up_config
) -> None:
    cold = list(train_events(warm_up_config("cold")))
    assert not warms_up(torch.device("cpu")) and warms_up(torch.device("cuda"))
    monkeypatch.setattr(train_state, "warms_up", lambda device: True)  # as on CUDA
    warm = list(train_events(warm_up_config("warm")))
    finals = [[e for e in run if isinstance(e, Finished)][0] for run in (cold, warm)]
    assert finals[0].test_acc == finals[1].test_acc
    weights = [torch.load(tmp_path / n / "checkpoint.pt")["model_state"] for n in ("cold", "warm")]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


# ------------------------------------------------------------------ torch-free first paint

PAINT_PROBE = textwrap.dedent("""
    import asyncio, sys
    from engine.process.remote import prepare_for_spawn
    from tui.app import AppOptions, CnnTuiApp
    prepare_for_spawn()
    app = CnnTuiApp(AppOptions(color_mode="256"))
    original = app._display
    state = {}
    def display(screen, renderable):
        original(screen, renderable)
        if renderable is not None and "torch" not in state:
            state["torch"] = "torch" in sys.modules
            app.exit()
    app._display = display
    async def main():
        async with app.run_test(size=(120, 40)) as pilot:
            while "torch" not in state:
                await pilot.pause(0.005)
    asyncio.run(main())
    print("torch at first paint:", state["torch"], flush=True)
""")


def test_the_ui_process_paints_before_and_without_importing_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PAINT_PROBE], cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch at first paint: False" in result.stdout.splitlines()
