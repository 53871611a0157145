"""What a run trained with (threads, channels_last, precision, compilation) is recorded in its
config.json and checkpoint; --resume trains with it whatever the machine's cache now says; the
same seed with the same recorded settings gives the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.training.checkpoint import load_checkpoint
from engine.training.events import Finished, Started
from engine.training.loop import train_events
from engine.training.resume import resume_config
from engine.training.switches import cache_path, cpu_key

pytestmark = pytest.mark.usefixtures("one_torch_thread")
RECORDED = ("threads", "channels_last", "precision", "compile")


def run(config, resume=None) -> list:
    events = list(train_events(config, resume=resume))
    assert isinstance(events[-1], Finished), events[-1]
    return events


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(folder)["model_state"]


@pytest.fixture
def bf16_pays_off():
    """This machine's bench verdict (the per-machine cache file) says bf16 pays off."""
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_text() if path.exists() else None
    verdict = {"bf16": True, "compile": False}
    path.write_text(json.dumps({f"{cpu_key()}|{n} threads": verdict for n in (1, 2, 4)}))
    yield
    if previous is None:
        path.unlink()
    else:
        path.write_text(previous)


def test_a_run_records_what_it_trained_with(tiny_config, tmp_path: Path) -> None:
    run(tiny_config(threads=0, channels_last=None))  # both chosen by measurement
    on_disk = json.loads((tmp_path / "run" / "config.json").read_text())
    in_checkpoint = load_checkpoint(tmp_path / "run")["config"]
    for key in RECORDED:
        assert on_disk[key] is not None and on_disk[key] == in_checkpoint[key], key
    assert on_disk["threads"] >= 1 and on_disk["precision"] == "float32"
    assert on_disk["compile"] is False


def test_same_seed_and_settings_give_the_same_numbers(tiny_config, tmp_path: Path) -> None:
    first = run(tiny_config("a", epochs=2, precision="float32"))
    second = run(tiny_config("b", epochs=2, precision="float32"))
    metrics = [(tmp_path / d / "metrics.jsonl").read_text().splitlines() for d in "ab"]
    drop = ("seconds", "elapsed", "samples_per_sec")
    a, b = ([{k: v for k, v in json.loads(m).items() if k not in drop} for m in x] for x in metrics)
    assert a == b
    for name, tensor in weights(tmp_path / "a").items():
        assert torch.equal(tensor, weights(tmp_path / "b")[name]), name
    assert first[-1].test_acc == second[-1].test_acc


def test_resume_keeps_float32_after_the_cache_says_bf16(
    tiny_config, tmp_path: Path, bf16_pays_off
) -> None:
    """Trained in float32, resumed after the bench's verdict changed: still float32, and
    bit-identical to the same two epochs trained straight (in float32)."""
    straight = tiny_config("straight", epochs=2, precision="float32")
    run(straight)
    halted = tiny_config("halted", epochs=1, precision="float32")
    run(halted)
    events = run(resume_config(tmp_path / "halted", epochs=2), resume=tmp_path / "halted")
    started = next(e for e in events if isinstance(e, Started))
    assert started.precision == "float32"
    assert load_checkpoint(tmp_path / "halted")["config"]["precision"] == "float32"
    for name, tensor in weights(tmp_path / "straight").items():
        assert torch.equal(tensor, weights(tmp_path / "halted")[name]), name


def test_a_fresh_run_follows_the_verdict_and_records_it(
    tiny_config, tmp_path: Path, bf16_pays_off
) -> None:
    events = run(tiny_config())
    assert next(e for e in events if isinstance(e, Started)).precision.startswith("bfloat16")
    assert json.loads((tmp_path / "run" / "config.json").read_text())["precision"] == "bf16"


def test_resume_keeps_bf16_after_the_cache_is_gone(tiny_config, tmp_path: Path) -> None:
    run(tiny_config(epochs=1, precision="bf16"))
    assert not cache_path().exists() or "bf16" not in cache_path().read_text()
    events = run(resume_config(tmp_path / "run", epochs=2), resume=tmp_path / "run")
    assert next(e for e in events if isinstance(e, Started)).precision.startswith("bfloat16")


def test_fp16_needs_cuda(tiny_config, tmp_path: Path) -> None:
    end = list(train_events(tiny_config(device="cpu", precision="fp16")))[-1]
    assert end.kind == "failed" and "fp16 needs CUDA" in end.message
