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
