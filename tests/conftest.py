"""Shared pytest fixtures: repository paths, small MNIST slices, one torch thread, a Workbench."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_MNIST = REPO / "data" / "mnist"

# The CPU switch verdicts a local `engine bench` saved must not change what tests train.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cnn-tui-test-cache-")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return BUNDLED_MNIST


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread: on a shared 2-core machine more threads only contend.

    Use it per module with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``; torch
    is imported here, not at the top, so torch-free test modules never load it.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def bench() -> Any:
    """A Workbench with a freshly initialised (seed 0) lenet5 loaded, one per test module."""
    import torch

    from engine.process.workbench import Workbench

    torch.manual_seed(0)
    wb = Workbench()
    wb.load(model="lenet5")
    return wb


@pytest.fixture(scope="session")
def tiny_spec() -> str:
    """The spec of the engine's few-step test runs: one small conv, a pool, a small dense layer."""
    return "c4-p-f16"


@pytest.fixture
def tiny_config(tmp_path: Path, tiny_spec: str) -> Any:
    """A factory of few-step runs: ``tiny_config(name="run", **overrides) -> TrainConfig``.

    Small spec, 256 training digits, one thread, no channels_last, run folder
    ``tmp_path / name``; ``overrides`` replace any field (``run_dir=None`` for the default)."""
    from engine.training.config import TrainConfig, make_config

    def make(name: str = "run", **overrides: Any) -> TrainConfig:
        values: dict[str, Any] = dict(
            model=tiny_spec,
            schedule="constant",
            lr=0.01,
            batch_size=64,
            epochs=1,
            train_subset=256,
            test_subset=128,
            threads=1,
            channels_last=False,
            run_dir=str(tmp_path / name),
        )
        values.update(overrides)
        return make_config("fast", **values)

    return make


@pytest.fixture(scope="session")
def tiny_trained_run(tmp_path_factory: pytest.TempPathFactory, tiny_spec: str) -> Path:
    """A finished one-epoch run of ``tiny_spec`` (256 digits), trained once per session: its
    run folder. Read it; tests that change a run copy it first."""
    from engine.training.config import make_config
    from engine.training.events import Finished
    from engine.training.loop import train_events

    run_dir = tmp_path_factory.mktemp("tiny-trained") / "run"
    config = make_config(
        "fast", model=tiny_spec, schedule="constant", lr=0.01, batch_size=64, epochs=1,
        train_subset=256, test_subset=128, threads=1, channels_last=False, run_dir=str(run_dir),
    )  # fmt: skip
    assert isinstance(list(train_events(config))[-1], Finished)
    return run_dir


@pytest.fixture(scope="session")
def trained_fast_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fast-net trained by the default ``fast`` recipe for one epoch over 12,000 digits
    (about 97 % test accuracy; ~2 s on one thread), once per session: its run folder. The
    smallest run measured whose act-max images of all ten classes reach p >= 0.9 (8,000
    digits: worst 0.93; 12,000: 0.956; the full 60,000: 0.987). Read it; copy it to change it."""
    from engine.training.config import make_config
    from engine.training.events import Finished
    from engine.training.loop import train_events

    run_dir = tmp_path_factory.mktemp("fast-trained") / "run"
    config = make_config(
        "fast", train_subset=12_000, test_subset=1_000, threads=1, channels_last=False,
        precision="float32", compile=False, run_dir=str(run_dir),
    )  # fmt: skip
    assert isinstance(list(train_events(config))[-1], Finished)
    return run_dir
