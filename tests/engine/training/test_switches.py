"""CPU switches: the payoff rule, the per-machine verdicts, and the trainer following them."""

from __future__ import annotations

import torch

from engine.training import switches
from engine.training.accel import Precision
from engine.training.build import build_state
from engine.training.events import Finished, Started, started_line
from engine.training.loop import train_events


def test_a_switch_pays_off_only_when_faster_by_more_than_its_warm_up() -> None:
    assert switches.pays_off(base_ms=20, switch_ms=10, warmup_s=5, steps=938)  # saves 9.4 s
    assert not switches.pays_off(base_ms=20, switch_ms=10, warmup_s=12, steps=938)
    assert not switches.pays_off(base_ms=20, switch_ms=25, warmup_s=0, steps=938)


def test_verdicts_are_kept_per_machine(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert switches.verdicts(2) == {}  # never measured: everything stays off
    result = {"bf16": {"pays_off": True}, "compile": {"pays_off": False}}
    path = switches.save_verdicts(result, threads=2)
    assert path.is_relative_to(tmp_path)
    assert switches.verdicts(2) == {"bf16": True, "compile": False}
    # Measured at 2 threads, the verdicts stand in for 1 (the TUI's engine child) too ...
    assert switches.verdicts(1) == {"bf16": True, "compile": False}
    path.write_text(path.read_text().replace(torch.__version__, "0.0"))
    assert switches.verdicts(2) == {}  # ... but not for another torch


def test_trainer_follows_a_bf16_verdict_on_the_cpu(tmp_path, monkeypatch, tiny_config) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model = torch.nn.Linear(2, 2)
    plain = Precision()
    assert switches.apply_verdicts(model, plain, 1) == (model, plain)
    switches.save_verdicts({"bf16": {"pays_off": True}, "compile": {"pays_off": False}}, 1)
    graph, precision = switches.apply_verdicts(model, plain, 1)
    assert graph is model and precision.dtype == torch.bfloat16
    config = tiny_config(batch_size=32, train_subset=128, test_subset=64)
    assert build_state(config, None).precision.dtype == torch.bfloat16
    events = list(train_events(config))
    assert isinstance(events[-1], Finished)  # and it trains so
    started = next(e for e in events if isinstance(e, Started))
    assert started.precision == "bfloat16 autocast"  # and says so, on the CLI too
    assert "cpu, 1 thread, contiguous, bfloat16 autocast" in started_line(started)


def test_without_a_verdict_a_run_reports_float32(tmp_path, monkeypatch, tiny_config) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config = tiny_config(batch_size=32, train_subset=64, test_subset=32)
    started = next(e for e in train_events(config) if isinstance(e, Started))
    assert started.precision == "float32"


def test_the_machine_key_names_the_cpu_and_its_vector_isa() -> None:
    key = switches.machine_key(2)
    assert torch.backends.cpu.get_cpu_capability() in key
    assert key.endswith("|2 threads") and torch.__version__ in key
