"""Compute efficiency: model FLOP/s while training against this machine's float32 matmul peak.

The FLOP count (documented here, used by ``python -m engine bench --efficiency``):

    training FLOPs per sample = 3 x forward FLOPs = 3 x (2 x forward MACs) = 6 x MACs

* forward MACs come from ``engine.inspect.summary`` (torchinfo's count: for a conv layer
  out_channels x in_channels x kh x kw x out_h x out_w, plus one per output element for the
  bias; for a dense layer in x out + out);
* one multiply-accumulate is two floating-point operations (a multiply and an add);
* the backward pass costs twice the forward pass: each layer computes the gradient with respect
  to its input and the gradient with respect to its weights, each a product of the same size as
  the forward one. (Activations, pooling, batch norm, the loss and the optimizer update are not
  counted: they are memory-bound and a small share of the work.)

The peak is the best GFLOP/s of a square float32 ``torch.mm`` (2 x n^3 FLOPs) with the same
thread count as the training. Both are measured in alternating rounds in the same process, so
that load from other processes on a shared CPU hits both alike; each side's best round counts.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import torch

from engine.data.mnist import MnistSplit, batches
from engine.inspect.summary import summarize
from engine.models.registry import build_model
from engine.models.train_graph import training_graph
from engine.training.accel import prepare_device
from engine.training.device import choose_cpu_settings

FLOPS_PER_MAC = 2  # one multiply and one add
TRAIN_PASSES = 3  # forward + backward (input gradients + weight gradients)
MATMUL_SIZE = 1024


def training_flops_per_sample(forward_macs: int) -> int:
    """FLOPs of one training step per sample: 3 x 2 x forward MACs (see the module docstring)."""
    return TRAIN_PASSES * FLOPS_PER_MAC * forward_macs


def matmul_round(size: int = MATMUL_SIZE, repeats: int = 4) -> Callable[[], float]:
    """A function that times ``repeats`` float32 n x n matmuls and returns their GFLOP/s."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)  # warm-up: allocation and kernel choice

    def run() -> float:
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b, out=out)
        return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9

    return run


def training_round(
    model_name: str, split: MnistSplit, batch_size: int, steps: int
) -> tuple[Callable[[], float], dict[str, Any]]:
    """A function that trains ``steps`` batches and returns the model GFLOP/s it achieved."""
    from engine.training.config import make_config
    from engine.training.steps import make_optimizer, train_step

    settings = choose_cpu_settings(model_name, batch_size)
    fmt = torch.channels_last if settings.channels_last else torch.contiguous_format
    torch.manual_seed(0)
    model, info = build_model(model_name)
    macs = summarize(model, info.input_shape).total_macs
    model = model.to(memory_format=fmt).train()
    graph = training_graph(model)  # the graph the trainer runs (engine.models.train_graph)
    optimizer = make_optimizer(model, make_config("seed-convnet", model=model_name))
    epochs = itertools.count()
    stream = itertools.chain.from_iterable(
        batches(split, batch_size, shuffle=True, seed=0, epoch=next(epochs))
        for _ in itertools.count()
    )
    flops_per_sample = training_flops_per_sample(macs)

    def run() -> float:
        start = time.perf_counter()
        seen = 0
        for images, labels in itertools.islice(stream, steps):
            train_step(graph, optimizer, None, images, labels, memory_format=fmt)
            seen += len(labels)
        return flops_per_sample * seen / (time.perf_counter() - start) / 1e9

    run()  # warm-up
    facts = {
        "model": model_name,
        "batch_size": batch_size,
        "forward_macs": macs,
        "train_flops_per_sample": flops_per_sample,
        "settings": settings.describe(),
        "threads": settings.threads,
    }
    return run, facts


def measure_efficiency(
    split: MnistSplit,
    *,
    model_name: str = "convnet",
    batch_size: int = 128,  # 2-core CPU, side by side: 128 58-59 %, 64 53-58 %, 96 51-56 %
    rounds: int = 5,
    steps: int = 10,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Peak matmul GFLOP/s, model GFLOP/s while training, and their ratio, in one run."""
    default_threads = torch.get_num_threads()
    prepare_device(torch.device("cpu"))  # as the trainer does
    train, facts = training_round(model_name, split, batch_size, steps)
    torch.set_num_threads(facts["threads"])
    peak = matmul_round()
    best_peak = best_model = 0.0
    for _ in range(rounds):
        best_peak = max(best_peak, peak())
        best_model = max(best_model, train())
    torch.set_num_threads(default_threads)
    ratio = best_model / best_peak
    log(
        f"efficiency: float32 matmul peak {best_peak:.1f} GFLOP/s, {model_name} training "
        f"{best_model:.1f} GFLOP/s (6 x {facts['forward_macs']:,} MACs per sample, batch "
        f"{batch_size}, {facts['settings']}): {ratio:.0%} of peak"
    )
    return {
        **facts,
        "peak_gflops": round(best_peak, 2),
        "model_gflops": round(best_model, 2),
        "ratio": round(ratio, 3),
    }
